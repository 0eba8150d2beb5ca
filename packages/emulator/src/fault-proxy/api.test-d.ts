import { describe, expectTypeOf, it } from 'vitest';
import { faultProxy, type CutMode, type FaultProxy, type FaultProxyOptions } from '../fault-proxy.js';

declare const proxy: FaultProxy;

describe('faultProxy typing', () => {
  it('needs only the target port', () => {
    expectTypeOf(faultProxy).parameter(0).toEqualTypeOf<FaultProxyOptions>();
    expectTypeOf(faultProxy).returns.resolves.toEqualTypeOf<FaultProxy>();
    expectTypeOf<{ target: { port: number } }>().toExtend<FaultProxyOptions>();
    // @ts-expect-error the target port is required
    void faultProxy({ target: {} });
  });

  it('is async-disposable and read-only where it reports state', () => {
    expectTypeOf(proxy).toExtend<AsyncDisposable>();
    expectTypeOf(proxy.url).toEqualTypeOf<string>();
    // @ts-expect-error connections is reported, not set
    proxy.connections = 1;
  });

  it('cuts with a FIN or a reset only', () => {
    expectTypeOf<CutMode>().toEqualTypeOf<'fin' | 'rst'>();
    expectTypeOf(proxy.cut).parameter(0).toEqualTypeOf<{ readonly mode?: CutMode } | undefined>();
    // @ts-expect-error no such mode
    void proxy.cut({ mode: 'timeout' });
  });
});
