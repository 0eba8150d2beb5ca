import { readmeExampleIn } from '@ferrite/testkit';
import { createFerrite } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { vector } from '@ferrite/vector';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { FerriteInstrumentation } from './index.js';


// Each test file has a module registry of its own, so the registration ends with this file.
afterAll(() => {
  trace.disable();
  context.disable();
});

it('the README example runs as shown and is the same code', async () => {
  const printed: unknown[] = [];
  const console = { log: (value: unknown) => void printed.push(value) };

  // README example: begin
  // Once, at startup (with @opentelemetry/sdk-node, pass the instrumentation to NodeSDK instead).
  const exporter = new InMemorySpanExporter(); // in production: an OTLP exporter
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  registerInstrumentations({ instrumentations: [new FerriteInstrumentation()] });

  const ferrite = createFerrite({ transport: memoryTransport(), plugins: [vector()] });
  const tracer = trace.getTracer('shop');
  await tracer.startActiveSpan('GET /search', async (request) => {
    await ferrite.vector.createIndex('products', { dim: 3 });
    await ferrite.vector.search('products', [0.1, 0.2, 0.3], { topK: 5 });
    request.end();
  });

  for (const span of exporter.getFinishedSpans()) {
    console.log(`${span.name} (${span.attributes['db.system.name']}, parent ${span.parentSpanContext?.spanId ?? 'none'})`);
  }
  // VECTOR.INDEX.CREATE products (ferrite, parent <id of GET /search>)
  // VECTOR.SEARCH products (ferrite, parent <id of GET /search>)
  // GET /search (undefined, parent none)
  await ferrite.close();
  // README example: end

  const spans = exporter.getFinishedSpans();
  const request = spans.find((s) => s.name === 'GET /search')!;
  const parent = request.spanContext().spanId;
  expect(printed).toEqual([
    `VECTOR.INDEX.CREATE products (ferrite, parent ${parent})`,
    `VECTOR.SEARCH products (ferrite, parent ${parent})`,
    'GET /search (undefined, parent none)',
  ]);
  expect(spans.filter((s) => s !== request).every((s) => s.kind === SpanKind.CLIENT)).toBe(true);
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(readmeExampleIn(import.meta.url));
});
