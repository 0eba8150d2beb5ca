import { createFerrite } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { semantic } from '@ferrite/semantic';
import { MeterProvider, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createHash } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { FerriteInstrumentation } from './index.js';
import { TestMetricReader } from './__tests__/metric-reader.js';
import { metricCollectionName } from './instrumentation.js';


const exporter = new InMemorySpanExporter();
const reader = new TestMetricReader();
const instrumentation = new FerriteInstrumentation();
instrumentation.setTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
instrumentation.setMeterProvider(new MeterProvider({ readers: [reader] }));
afterAll(() => instrumentation.disable());

const digest = (text: string, encoding: 'base64url' | 'hex') => createHash('sha256').update(text).digest(encoding);

it('the duration metric carries the namespace prefix, never a digest: 1000 digest namespaces give one attribute set', async () => {
  const ferrite = createFerrite({ transport: memoryTransport(), plugins: [semantic()] });
  // The shapes the integrations use: `ai-sdk:<base64url sha256>` and `langchain:<hex sha256>`,
  // here one per conversation, the worst case for cardinality.
  for (let conversation = 0; conversation < 1000; conversation++) {
    await ferrite.semantic.get(`ai-sdk:${digest(`conversation ${conversation}`, 'base64url')}`, 'hello');
    await ferrite.semantic.get(`langchain:${digest(`conversation ${conversation}`, 'hex')}`, 'hello');
  }
  await ferrite.semantic.get('support-bot', 'hello');
  await ferrite.close();

  const { resourceMetrics } = await reader.collect();
  const points = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === 'db.client.operation.duration')
    .flatMap((metric) => (metric as HistogramMetricData).dataPoints)
    .filter((point) => point.attributes['db.operation.name'] === 'SEMANTIC.GET');
  expect(points.map((point) => point.attributes['db.collection.name']).sort()).toEqual(['ai-sdk', 'langchain', 'support-bot']);
  expect(points.reduce((sum, point) => sum + point.value.count, 0)).toBe(2001);
  // Spans may carry the full name: they are not aggregated.
  expect(exporter.getFinishedSpans().some((span) => /^SEMANTIC\.GET ai-sdk:[A-Za-z0-9_-]{43}$/.test(span.name))).toBe(true);
});

it('keeps names that do not end in a digest as they are', () => {
  expect(metricCollectionName('{tenant:7}:answers')).toBe('{tenant:7}:answers');
  expect(metricCollectionName('ai-sdk:short')).toBe('ai-sdk:short');
  expect(metricCollectionName(`app:${'a'.repeat(64)}`)).toBe('app');
});
