import { FERRITE_COMMAND_CHANNEL, wrapCommandExecution, type FerriteCommandEvent } from '@ferrite/core';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Histogram, type Span } from '@opentelemetry/api';
import { InstrumentationBase, type InstrumentationConfig, type InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { tracingChannel } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_FERRITE_PLUGIN,
  ATTR_FERRITE_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  DB_SYSTEM_NAME_VALUE_FERRITE,
  METRIC_DB_CLIENT_OPERATION_DURATION,
} from './attributes.js';

const PACKAGE_NAME = '@ferrite/opentelemetry';
// src/ and dist/ both sit one level below package.json.
const PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Options, named as in the ioredis and redis instrumentations. */
export interface FerriteInstrumentationConfig extends InstrumentationConfig {
  /** Only trace calls made inside an existing span (a request, a job): default `false`. */
  readonly requireParentSpan?: boolean;
  /**
   * Record the full command with its arguments as `db.query.text`. Off by default, because the
   * arguments of Ferrite commands are prompts, vectors and metadata.
   */
  readonly captureQueryText?: boolean;
  /**
   * Called when a span starts, with the event core published: add your own attributes (the
   * plugin, the transport, …). An exception it throws is logged and ignored.
   */
  readonly requestHook?: (span: Span, event: FerriteCommandEvent) => void;
}

interface State {
  readonly spans: WeakMap<FerriteCommandEvent, Span>;
  readonly onStart: (event: unknown) => void;
  readonly onAsyncEnd: (event: unknown) => void;
  histogram?: Histogram;
  /** Removes the command wrapper; set while subscribed. */
  unwrap?: () => void;
}

const channel = tracingChannel<Context, FerriteCommandEvent>(FERRITE_COMMAND_CHANNEL);
// The base class calls `enable()` and `_updateMetricInstruments()` from its constructor, before
// a subclass's own fields exist, so each instance's state lives here.
const states = new WeakMap<FerriteInstrumentation, State>();

/**
 * What the duration metric records as `db.collection.name`: the namespace without a trailing
 * digest segment (`ai-sdk:<base64url sha256>`, `langchain:<hex sha256>`), which the integrations
 * add per model configuration. A metric attribute must have few values; spans keep the full name.
 */
export function metricCollectionName(collection: string): string {
  return collection.replace(/(:([A-Za-z0-9_-]{43}|[0-9a-f]{64}))+$/, '');
}

function operationName(event: FerriteCommandEvent): string {
  if (event.operation !== 'batch') return event.command ?? 'UNKNOWN';
  return event.command === null ? 'BATCH' : `BATCH ${event.command}`;
}

/** Attributes of both the span and the duration metric; the metric's collection is the name's prefix (see metricCollectionName). */
function commonAttributes(event: FerriteCommandEvent, use: 'span' | 'metric'): Attributes {
  const attributes: Attributes = {
    [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_FERRITE,
    [ATTR_DB_OPERATION_NAME]: operationName(event),
  };
  if (event.collection !== null) attributes[ATTR_DB_COLLECTION_NAME] = use === 'span' ? event.collection : metricCollectionName(event.collection);
  if (event.server !== null) {
    attributes[ATTR_SERVER_ADDRESS] = event.server.address;
    if (event.server.port !== undefined) attributes[ATTR_SERVER_PORT] = event.server.port;
    if (event.server.database !== undefined) attributes[ATTR_DB_NAMESPACE] = String(event.server.database);
  }
  return attributes;
}

/**
 * OpenTelemetry instrumentation for Ferrite: a CLIENT span and a `db.client.operation.duration`
 * measurement for every command any Ferrite client runs, on every transport. It patches no module:
 * it listens to the `ferrite:command` tracing channel that `@ferrite/core` publishes on.
 *
 * ```ts
 * registerInstrumentations({ instrumentations: [new FerriteInstrumentation()] });
 * ```
 */
export class FerriteInstrumentation extends InstrumentationBase<FerriteInstrumentationConfig> {
  constructor(config: FerriteInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  protected override init(): InstrumentationModuleDefinition[] {
    return [];
  }

  protected override _updateMetricInstruments(): void {
    this.state().histogram = this.meter.createHistogram(METRIC_DB_CLIENT_OPERATION_DURATION, {
      description: 'Duration of Ferrite client operations, batches included.',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] },
    });
  }

  /** Starts turning `ferrite:command` events into spans and metrics. */
  override enable(): void {
    super.enable();
    const state = this.state();
    if (state.unwrap === undefined) {
      channel.start.subscribe(state.onStart);
      channel.asyncEnd.subscribe(state.onAsyncEnd);
      // Each command's transport work runs with its Ferrite span active (public API only:
      // `context.with`), so a driver's own instrumentation nests its spans under it.
      state.unwrap = wrapCommandExecution((event, run) => {
        const span = state.spans.get(event);
        return span === undefined ? run() : context.with(trace.setSpan(context.active(), span), run);
      });
    }
  }

  /** Stops listening to `ferrite:command`; calls made afterwards produce no spans or metrics. */
  override disable(): void {
    super.disable();
    const state = this.state();
    if (state.unwrap === undefined) return;
    state.unwrap();
    state.unwrap = undefined;
    channel.start.unsubscribe(state.onStart);
    channel.asyncEnd.unsubscribe(state.onAsyncEnd);
  }

  // The base class calls `enable()` and `_updateMetricInstruments()` from its constructor, before
  // a subclass's own fields exist, so the state is made on first use and kept outside the object.
  private state(): State {
    let state = states.get(this);
    if (state === undefined) {
      const spans = new WeakMap<FerriteCommandEvent, Span>();
      const onStart = (message: unknown) => void this.startSpan(message as FerriteCommandEvent, context.active());
      const onAsyncEnd = (message: unknown) => this.finish(message as FerriteCommandEvent);
      states.set(this, (state = { spans, onStart, onAsyncEnd }));
    }
    return state;
  }

  private startSpan(event: FerriteCommandEvent, parent: Context): Span | undefined {
    const config = this.getConfig();
    if (config.requireParentSpan && trace.getSpan(parent) === undefined) return undefined;
    const attributes = commonAttributes(event, 'span');
    if (event.batchSize !== null) attributes[ATTR_DB_OPERATION_BATCH_SIZE] = event.batchSize;
    if (event.plugin !== null) attributes[ATTR_FERRITE_PLUGIN] = event.plugin;
    attributes[ATTR_FERRITE_TRANSPORT] = event.transport;
    if (config.captureQueryText) attributes[ATTR_DB_QUERY_TEXT] = event.statement;
    const operation = operationName(event);
    const name = event.collection === null ? operation : `${operation} ${event.collection}`;
    const span = this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    this.state().spans.set(event, span);
    this._runSpanCustomizationHook(config.requestHook, 'requestHook', span, event);
    return span;
  }

  private finish(event: FerriteCommandEvent): void {
    const state = this.state();
    const attributes = commonAttributes(event, 'metric');
    if (event.outcome === 'error') attributes[ATTR_ERROR_TYPE] = event.errorClass ?? '_OTHER';
    if (event.durationMs !== undefined) state.histogram?.record(event.durationMs / 1000, attributes);

    const span = state.spans.get(event);
    if (span === undefined) return;
    state.spans.delete(event);
    if (event.outcome === 'error') {
      span.setAttribute(ATTR_ERROR_TYPE, attributes[ATTR_ERROR_TYPE] as string);
      // The error's message is the server's text or core's own, never the arguments.
      const message = event.error instanceof Error ? event.error.message : `${event.failed ?? 0} of ${event.batchSize ?? 1} commands failed`;
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    span.end();
  }
}
