import type { FerriteCommandEvent } from '@ferrite/core';
import type { Span } from '@opentelemetry/api';
import { InstrumentationBase, registerInstrumentations, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { expectTypeOf, test } from 'vitest';
import { FerriteInstrumentation, type FerriteInstrumentationConfig } from './index.js';

test('is an instrumentation configured like the ioredis and redis ones', () => {
  expectTypeOf<FerriteInstrumentation>().toExtend<InstrumentationBase<FerriteInstrumentationConfig>>();
  expectTypeOf<FerriteInstrumentationConfig>().toExtend<InstrumentationConfig>();
  expectTypeOf<FerriteInstrumentationConfig['requestHook']>().toEqualTypeOf<((span: Span, event: FerriteCommandEvent) => void) | undefined>();
  registerInstrumentations({ instrumentations: [new FerriteInstrumentation({ requireParentSpan: true, captureQueryText: false })] });
  // @ts-expect-error no such option
  new FerriteInstrumentation({ dbStatementSerializer: () => '' });
});
