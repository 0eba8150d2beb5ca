import { describe, expectTypeOf, it } from 'vitest';
import { createFerrite, type FerriteClient } from './client.js';
import { defineCommand, type CommandArgs, type CommandResult } from './command.js';
import { definePlugin } from './plugin.js';
import type { Reply } from './reply.js';
import type { Transport } from './transport.js';

declare const transport: Transport;

const alpha = () => definePlugin({ name: 'alpha', setup: () => ({ ping: async (): Promise<'pong'> => 'pong' }) });
const beta = (options: { n: number }) => definePlugin({ name: 'beta', setup: () => ({ n: options.n }) });

describe('createFerrite typing', () => {
  it('has exactly the namespaces of the plugins given', () => {
    const ferrite = createFerrite({ transport, plugins: [alpha(), beta({ n: 1 })] });
    expectTypeOf(ferrite.alpha.ping).returns.resolves.toEqualTypeOf<'pong'>();
    expectTypeOf(ferrite.beta.n).toEqualTypeOf<number>();
    expectTypeOf(ferrite.send).returns.resolves.toEqualTypeOf<Reply>();
    // @ts-expect-error no such plugin was given
    void ferrite.gamma;
  });

  it("hands a plugin's state to its setup with the type state returns", () => {
    const cached = definePlugin({
      name: 'cached',
      state: () => new Map<string, number>(),
      setup: (_context, cache) => {
        expectTypeOf(cache).toEqualTypeOf<Map<string, number>>();
        return { size: () => cache.size };
      },
    });
    const ferrite = createFerrite({ transport, plugins: [cached] });
    expectTypeOf(ferrite.withOptions({ timeout: 5 }).cached.size).returns.toEqualTypeOf<number>();
  });

  it('has no plugin namespace without plugins', () => {
    const bare = createFerrite({ transport });
    expectTypeOf(bare).toEqualTypeOf<FerriteClient<readonly []>>();
    // @ts-expect-error alpha was not given
    void bare.alpha;
  });

  it('adds a namespace with extend', () => {
    const extended = createFerrite({ transport, plugins: [alpha()] }).extend(beta({ n: 2 }));
    expectTypeOf(extended.alpha.ping).returns.resolves.toEqualTypeOf<'pong'>();
    expectTypeOf(extended.beta.n).toEqualTypeOf<number>();
  });

  it('infers command argument and result types', () => {
    const command = defineCommand({ name: 'X', encode: (key: string, n: number) => [key, n], decode: (r) => r === null });
    expectTypeOf<CommandArgs<typeof command>>().toEqualTypeOf<[key: string, n: number]>();
    expectTypeOf<CommandResult<typeof command>>().toEqualTypeOf<boolean>();
    // @ts-expect-error encode takes (string, number)
    command.encode(1, 'x');
  });

  it('keeps the plugin namespaces through withOptions, composed views and extend', () => {
    const ferrite = createFerrite({ transport, plugins: [alpha(), beta({ n: 1 })] });
    const view = ferrite.withOptions({ timeout: 500, signal: AbortSignal.timeout(1000) });
    expectTypeOf(view).toEqualTypeOf<typeof ferrite>();
    expectTypeOf(view.withOptions({}).alpha.ping).returns.resolves.toEqualTypeOf<'pong'>();
    expectTypeOf(createFerrite({ transport, plugins: [alpha()] }).withOptions({}).extend(beta({ n: 2 })).beta.n).toEqualTypeOf<number>();
    // @ts-expect-error no such plugin was given
    void view.gamma;
    // @ts-expect-error timeout is a number of milliseconds
    ferrite.withOptions({ timeout: '5s' });
  });

  it('takes timeout and maxAttempts', () => {
    createFerrite({ transport, timeout: Infinity, maxAttempts: 1 });
    // @ts-expect-error maxAttempts is a number
    createFerrite({ transport, maxAttempts: 'many' });
  });

  it('is async-disposable', () => {
    expectTypeOf(createFerrite({ transport })).toMatchTypeOf<AsyncDisposable>();
  });
});
