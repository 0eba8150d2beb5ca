import type { LanguageModelV4GenerateResult } from '@ai-sdk/provider';
import { createFerrite, type Transport } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { semantic } from '@ferrite/semantic';
import { generateText, wrapLanguageModel, type ModelMessage } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { FerriteInstrumentation } from '@ferrite/opentelemetry';
import { AggregationTemporality, MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TTL_SECONDS, semanticCacheMiddleware, type HistoryMode } from './index.js';
import { usage } from './__tests__/models.js';

/** The memory transport, noting every semantic namespace a command names and every TTL a store sets. */
function recording() {
  const inner = memoryTransport();
  const namespaces = new Set<string>();
  const ttls = new Set<string>();
  const transport: Transport = {
    name: inner.name,
    protocol: inner.protocol,
    send(command, options) {
      if (command.name.startsWith('SEMANTIC.')) namespaces.add(String(command.args[0]));
      if (command.name === 'SEMANTIC.SET') ttls.add(command.args.length > 3 ? `${String(command.args[3])} ${String(command.args[4])}` : 'none');
      return inner.send(command, options);
    },
    batch: (commands, options) => inner.batch(commands, options),
    dedicated: (options) => inner.dedicated(options),
    close: () => inner.close(),
  };
  return { transport, namespaces, ttls };
}

/** Collects on demand, with cumulative totals. */
class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

// The OpenTelemetry instrumentation, with a metric reader: what an app's dashboards would see.
const reader = new CollectingReader();
const instrumentation = new FerriteInstrumentation();
instrumentation.setMeterProvider(new MeterProvider({ readers: [reader] }));
afterAll(() => instrumentation.disable());

/** The distinct attribute sets of the duration metric's semantic commands. */
async function semanticAttributeSets(): Promise<string[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === 'db.client.operation.duration')
    .flatMap((metric) => (metric as HistogramMetricData).dataPoints)
    .filter((point) => String(point.attributes['db.operation.name']).startsWith('SEMANTIC.'))
    .map((point) => JSON.stringify(point.attributes));
}

const CONVERSATIONS = 1000;
const TURNS = 5;

async function converse(history: HistoryMode | undefined, conversations: number) {
  const { transport, namespaces, ttls } = recording();
  const ferrite = createFerrite({ transport, plugins: [semantic()] });
  const model = new MockLanguageModelV4({
    doGenerate: async (): Promise<LanguageModelV4GenerateResult> => ({
      content: [{ type: 'text', text: 'An answer.' }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage,
      warnings: [],
    }),
  });
  const cached = wrapLanguageModel({ model, middleware: semanticCacheMiddleware(ferrite, history === undefined ? {} : { history }) });
  for (let conversation = 0; conversation < conversations; conversation++) {
    const messages: ModelMessage[] = [];
    for (let turn = 0; turn < TURNS; turn++) {
      messages.push({ role: 'user', content: `conversation ${conversation} turn ${turn}: tell me about topic ${conversation * TURNS + turn}` });
      const result = await generateText({ model: cached, system: 'You are a helpful assistant.', messages });
      messages.push({ role: 'assistant', content: result.text });
    }
  }
  await ferrite.close();
  return { namespaces, ttls, modelCalls: model.doGenerateCalls.length };
}

describe('what the middleware leaves on the server stays bounded', () => {
  it(`${CONVERSATIONS} conversations of ${TURNS} turns use one namespace and two metric attribute sets, stores expire after a day, follow-up turns skip the cache`, async () => {
    const { namespaces, ttls, modelCalls } = await converse(undefined, CONVERSATIONS);
    expect([...namespaces]).toEqual([expect.stringMatching(/^ai-sdk:[A-Za-z0-9_-]{43}$/)]);
    expect([...ttls]).toEqual([`EX ${DEFAULT_TTL_SECONDS}`]);
    // Every follow-up turn went to the model (first turns may hit each other: they are alike).
    expect(modelCalls).toBeGreaterThanOrEqual(CONVERSATIONS * (TURNS - 1));
    // The metric names the namespace prefix: one attribute set per command, whatever the traffic.
    const sets = await semanticAttributeSets();
    expect(sets.map((set) => JSON.parse(set) as Record<string, unknown>)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ 'db.operation.name': 'SEMANTIC.GET', 'db.collection.name': 'ai-sdk' }),
        expect.objectContaining({ 'db.operation.name': 'SEMANTIC.SET', 'db.collection.name': 'ai-sdk' }),
      ]),
    );
    expect(sets).toHaveLength(2);
  }, 120_000);

  it('with history "compare" or "ignore" still one namespace for every turn of every conversation', async () => {
    for (const history of ['compare', 'ignore'] as const) {
      const { namespaces } = await converse(history, 100);
      expect(namespaces.size, history).toBe(1);
    }
  }, 120_000);
});
