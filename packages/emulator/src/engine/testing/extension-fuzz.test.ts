import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cdcCommands } from '../cdc/commands.js';
import { crdtCommands } from '../crdt/commands.js';
import { Emulator } from '../emulator.js';
import type { EngineReply } from '../reply.js';
import { semanticCommands } from '../semantic/commands.js';
import { vectorCommands } from '../vector/commands.js';

/**
 * Random arguments for every extension command: each reply must be a reply or one of the
 * documented errors, never the dispatcher's `ERR internal error` for an exception a handler let
 * escape. Runs in process; BLOCK is left out so no call waits.
 */
const names = [...vectorCommands, ...semanticCommands, ...crdtCommands, ...cdcCommands].map((spec) => spec.name);

const blob = fc.array(fc.float({ noNaN: false }), { maxLength: 4 }).map((values) => {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => buffer.writeFloatLE(value, i * 4));
  return buffer;
});
const token = fc.oneof(
  fc.constantFrom('DIM', 'DISTANCE', 'TYPE', 'M', 'TOP_K', 'FILTER', 'THRESHOLD', 'WITHSCORE', 'EX', 'ID', 'EVENTS', 'FROM', 'COUNT', 'LATEST', 'EARLIEST'),
  fc.constantFrom('idx', 'ns', 'k', '*', '1', '2', '0', '-1', '1e400', '0.5', 'nan', "a = 'x'", '(', "'", '9223372036854775808'),
  fc.string({ maxLength: 6 }),
);
const argument = fc.oneof(token.map((text) => Buffer.from(text)), blob, fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes)));

async function settle(reply: EngineReply | Promise<EngineReply>): Promise<EngineReply> {
  return reply instanceof Promise ? await reply : reply;
}

describe('extension commands under random arguments', () => {
  it('never let an exception escape a handler', async () => {
    const emulator = new Emulator({ cdcCapacity: 20 });
    const session = emulator.createSession({ protocol: 3 });
    // Some state to act on, so arguments meet existing indexes, namespaces and subscriptions.
    for (const setup of [
      ['VECTOR.INDEX.CREATE', 'idx', 'DIM', '1'],
      ['SEMANTIC.SET', 'ns', 'k', 'v'],
      ['CRDT.SET.ADD', 'k', 'm'],
      ['CDC.SUBSCRIBE', '*', 'FROM', 'EARLIEST'],
    ]) {
      await settle(emulator.execute(session, setup.map((arg) => Buffer.from(arg))));
    }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.array(argument, { maxLength: 6 }), async (name, args) => {
        if (name === 'CDC.POLL' && args.some((arg) => arg.toString('latin1').toUpperCase() === 'BLOCK')) return;
        const reply = await settle(emulator.execute(session, [Buffer.from(name), ...args]));
        if (reply.kind === 'error') expect(reply.message).not.toMatch(/internal error/);
      }),
      { numRuns: 3000 },
    );
    emulator.closeSession(session);
  });
});
