import { AggregationTemporality, MetricReader } from '@opentelemetry/sdk-metrics';

/** A reader the tests collect from on demand, with cumulative totals. */
export class TestMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}
