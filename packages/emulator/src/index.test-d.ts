import type { Transport } from '@ferrite/core';
import { describe, expectTypeOf, it } from 'vitest';
import { Emulator, faultProxy, memoryTransport, startEmulator } from './index.js';
import type { Embedder, EmulatorOptions, RunningEmulator, StartEmulatorOptions } from './index.js';

describe('public API types', () => {
  it('memoryTransport is a Transport', () => {
    expectTypeOf(memoryTransport).returns.toEqualTypeOf<Transport>();
    expectTypeOf(memoryTransport).parameter(0).toEqualTypeOf<{ readonly emulator?: Emulator; readonly protocol?: 2 | 3 } | undefined>();
  });

  it('startEmulator takes the Emulator options plus where to listen', () => {
    expectTypeOf<StartEmulatorOptions>().toMatchTypeOf<EmulatorOptions>();
    expectTypeOf(startEmulator).returns.resolves.toEqualTypeOf<RunningEmulator>();
    expectTypeOf<RunningEmulator>().toHaveProperty('url').toEqualTypeOf<string>();
    expectTypeOf<RunningEmulator['close']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<RunningEmulator['restart']>().toEqualTypeOf<(options?: { readonly emulator?: Emulator }) => Promise<void>>();
  });

  it('Emulator options', () => {
    expectTypeOf<EmulatorOptions['clock']>().toEqualTypeOf<(() => number) | undefined>();
    expectTypeOf<EmulatorOptions['embedder']>().toEqualTypeOf<Embedder | undefined>();
    expectTypeOf<Embedder>().toEqualTypeOf<(text: string) => Float32Array>();
    expectTypeOf(new Emulator().expireDue).returns.toEqualTypeOf<number>();
    expectTypeOf(faultProxy).toBeFunction();
  });
});
