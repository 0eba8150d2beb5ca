import { createFerrite, defineCommand, definePlugin, prepareCommand, readInteger } from '@ferrite/core';
import { semantic } from '@ferrite/semantic';
import { describeEachTransport } from '@ferrite/test-transports';
import { vector } from '@ferrite/vector';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { RedisInstrumentation } from '@opentelemetry/instrumentation-redis';
import { MeterProvider, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_DB_CLIENT_OPERATION_DURATION,
} from '@opentelemetry/semantic-conventions';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { FerriteInstrumentation } from './index.js';
import { TestMetricReader } from './__tests__/metric-reader.js';

const SCOPE = '@ferrite/opentelemetry';

const incrCommand = defineCommand({ name: 'INCR', encode: (key: string) => [key], decode: (reply) => readInteger(reply) });
const counters = definePlugin({
  name: 'counters',
  setup: (ctx) => ({ incrAll: (keys: string[]) => ctx.batch(keys.map((key) => prepareCommand(incrCommand, key))) }),
});


const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const metricReader = new TestMetricReader();
const meterProvider = new MeterProvider({ readers: [metricReader] });
const contextManager = new AsyncLocalStorageContextManager();
const tracer = provider.getTracer('app');

// Made before the context manager is installed, as an SDK often does: it must pick the manager up later.
const instrumentation = new FerriteInstrumentation();
instrumentation.setTracerProvider(provider);
instrumentation.setMeterProvider(meterProvider);

/**
 * The drivers' own instrumentations, applied to the modules the transports load (the SDK's
 * require hook would do the same at startup; vitest loads the drivers before any hook could).
 */
function instrumentDrivers() {
  const require = createRequire(import.meta.url);
  const ioredis = new IORedisInstrumentation({ enabled: false });
  ioredis.setTracerProvider(provider);
  ioredis.getModuleDefinitions()[0]!.patch!(require('ioredis'), '6.0.0');
  const nodeRedis = new RedisInstrumentation({ enabled: false });
  nodeRedis.setTracerProvider(provider);
  const client = require.resolve('@redis/client', { paths: [dirname(require.resolve('redis'))] });
  const file = nodeRedis
    .getModuleDefinitions()
    .flatMap((d) => d.files)
    .find((f) => f.name.replaceAll('\\', '/') === '@redis/client/dist/lib/client/index.js')!;
  file.patch(require(join(dirname(client), 'lib/client/index.js')), '6.0.0');
}

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  instrumentDrivers();
});
afterAll(() => {
  instrumentation.disable();
  context.disable();
});
beforeEach(() => {
  instrumentation.setConfig({});
  instrumentation.enable();
  exporter.reset();
});

const ours = () => exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === SCOPE);
const driverSpans = () => exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name !== SCOPE && s.instrumentationScope.name !== 'app');
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

async function inSpan<T>(name: string, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await work(span);
    } finally {
      span.end();
    }
  });
}

describeEachTransport(
  'FerriteInstrumentation',
  (harness) => {
    const client = () => createFerrite({ transport: harness.transport, plugins: [vector(), semantic()] });
    const unique = (name: string) => `${name}-${harness.target.driver}-${harness.target.protocol}`;
    const serverAttributes = () =>
      harness.target.driver === 'memory'
        ? {}
        : {
            [ATTR_SERVER_ADDRESS]: '127.0.0.1',
            [ATTR_SERVER_PORT]: (harness.transport.server as { port: number }).port,
            [ATTR_DB_NAMESPACE]: '0',
          };

    it('makes a CLIENT span per call, named after the command and its index, under the active span', async () => {
      const ferrite = client();
      const index = unique('products');
      const request = await inSpan('GET /search', async (span) => {
        await ferrite.vector.createIndex(index, { dim: 3 });
        await ferrite.vector.add(index, 'sku:1', [0.1, 0.2, 0.3], { category: 'shoes' });
        await ferrite.vector.search(index, [0.1, 0.2, 0.3], { topK: 1 });
        return span;
      });
      const spans = ours();
      expect(spans.map((s) => s.name)).toEqual([`VECTOR.INDEX.CREATE ${index}`, `VECTOR.ADD ${index}`, `VECTOR.SEARCH ${index}`]);
      for (const span of spans) {
        expect(span.kind).toBe(SpanKind.CLIENT);
        expect(parentOf(span)).toBe(request.spanContext().spanId);
        expect(span.status.code).toBe(SpanStatusCode.UNSET);
      }
      expect(spans[2]!.attributes).toEqual({
        [ATTR_DB_SYSTEM_NAME]: 'ferrite',
        [ATTR_DB_OPERATION_NAME]: 'VECTOR.SEARCH',
        [ATTR_DB_COLLECTION_NAME]: index,
        'ferrite.plugin': 'vector',
        'ferrite.transport': harness.target.driver,
        ...serverAttributes(),
      });
    });

    it('names a pipeline BATCH with its size', async () => {
      const ferrite = client();
      const index = unique('batch');
      await ferrite.vector.createIndex(index, { dim: 2 });
      exporter.reset();
      const items = [1, 2, 3].map((i) => ({ id: `v${i}`, vector: [i, 1] }));
      await ferrite.vector.addMany(index, items, { batchSize: 3 });
      const [span] = ours();
      expect(span?.name).toBe(`BATCH VECTOR.ADD ${index}`);
      expect(span?.attributes).toMatchObject({ [ATTR_DB_OPERATION_NAME]: 'BATCH VECTOR.ADD', [ATTR_DB_OPERATION_BATCH_SIZE]: 3 });
    });

    it('marks a pipeline with a failed entry with error.type and an error status', async () => {
      const ferrite = createFerrite({ transport: harness.transport, plugins: [counters] });
      const key = unique('counter');
      await ferrite.send('SET', `${key}:text`, 'not a number');
      exporter.reset();
      const settled = await ferrite.counters.incrAll([`${key}:n`, `${key}:text`]);
      expect(settled.map((s) => s.ok)).toEqual([true, false]);
      const [span] = ours();
      expect(span?.name).toBe('BATCH INCR');
      expect(span?.attributes).toMatchObject({ [ATTR_DB_OPERATION_BATCH_SIZE]: 2, 'ferrite.plugin': 'counters' });
      expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: '1 of 2 commands failed' });
      expect(span?.attributes[ATTR_ERROR_TYPE]).toBe('FerriteReplyError');
    });

    it('marks failed calls with error.type and an error status', async () => {
      const ferrite = client();
      await expect(ferrite.vector.search(unique('missing'), [1, 2], { topK: 1 })).rejects.toThrow();
      const [span] = ours();
      expect(span?.status.code).toBe(SpanStatusCode.ERROR);
      expect(span?.attributes[ATTR_ERROR_TYPE]).toBe('FerriteReplyError');
    });

    it('records no prompt text anywhere unless captureQueryText is on', async () => {
      const ferrite = client();
      const namespace = unique('faq');
      const prompt = 'how do llamas reset their password';
      await ferrite.semantic.set(namespace, prompt, 'with the llama link');
      await ferrite.semantic.get(namespace, prompt);
      expect(ours().map((s) => s.name)).toEqual([`SEMANTIC.SET ${namespace}`, `SEMANTIC.GET ${namespace}`]);
      for (const span of ours()) expect(JSON.stringify(span.attributes)).not.toContain('llama');
      // The drivers' own instrumentations, with their default statement serializers, leave it out too.
      for (const span of driverSpans()) expect(JSON.stringify(span.attributes)).not.toContain('llama');

      instrumentation.setConfig({ captureQueryText: true });
      exporter.reset();
      await ferrite.semantic.get(namespace, prompt);
      expect(ours()[0]?.attributes[ATTR_DB_QUERY_TEXT]).toMatch(new RegExp(`^SEMANTIC\\.GET ${namespace} ${prompt} THRESHOLD 0\\.8\\d* WITHSCORE$`));
    });

    it('parents the driver instrumentation’s spans', async () => {
      const ferrite = client();
      await ferrite.semantic.set(unique('nest'), 'question', 'answer');
      const [span] = ours();
      const driver = driverSpans();
      if (harness.target.driver === 'memory') {
        expect(driver).toEqual([]);
      } else {
        expect(driver.length).toBeGreaterThanOrEqual(1);
        for (const child of driver) expect(parentOf(child)).toBe(span?.spanContext().spanId);
        expect(driver[0]?.spanContext().traceId).toBe(span?.spanContext().traceId);
      }
    });

    it('makes no spans when disabled, and only under a parent with requireParentSpan', async () => {
      const ferrite = client();
      instrumentation.disable();
      await ferrite.send('PING');
      expect(ours()).toEqual([]);

      instrumentation.enable();
      instrumentation.setConfig({ requireParentSpan: true });
      await ferrite.send('PING');
      expect(ours()).toEqual([]);
      await inSpan('job', () => ferrite.send('PING'));
      expect(ours().map((s) => s.name)).toEqual(['PING']);
      // The duration metric does not depend on spans.
      const { resourceMetrics } = await metricReader.collect();
      const pings = resourceMetrics.scopeMetrics
        .flatMap((m) => m.metrics)
        .filter((m) => m.descriptor.name === METRIC_DB_CLIENT_OPERATION_DURATION)
        .flatMap((m) => (m as HistogramMetricData).dataPoints)
        .filter((p) => p.attributes[ATTR_DB_OPERATION_NAME] === 'PING');
      expect(pings.reduce((sum, p) => sum + p.value.count, 0)).toBeGreaterThanOrEqual(2);
    });

    it('lets a requestHook add attributes', async () => {
      const ferrite = client();
      instrumentation.setConfig({ requestHook: (span, event) => span.setAttribute('app.operation', event.operation) });
      await ferrite.send('PING');
      expect(ours()[0]?.attributes['app.operation']).toBe('send');
    });

    it('records db.client.operation.duration in seconds', async () => {
      const ferrite = client();
      const namespace = unique('metric');
      await ferrite.semantic.get(namespace, 'anything');
      const { resourceMetrics } = await metricReader.collect();
      const metric = resourceMetrics.scopeMetrics
        .filter((s) => s.scope.name === SCOPE)
        .flatMap((s) => s.metrics)
        .find((m) => m.descriptor.name === METRIC_DB_CLIENT_OPERATION_DURATION) as HistogramMetricData;
      expect(metric.descriptor.unit).toBe('s');
      const point = metric.dataPoints.find((p) => p.attributes[ATTR_DB_COLLECTION_NAME] === namespace);
      expect(point?.attributes).toEqual({
        [ATTR_DB_SYSTEM_NAME]: 'ferrite',
        [ATTR_DB_OPERATION_NAME]: 'SEMANTIC.GET',
        [ATTR_DB_COLLECTION_NAME]: namespace,
        ...serverAttributes(),
      });
      expect(point?.value.count).toBe(1);
      expect(point?.value.sum).toBeGreaterThan(0);
      expect(point?.value.sum).toBeLessThan(5);
    });
  },
  { drivers: ['memory', 'ioredis', 'node-redis'] },
);
