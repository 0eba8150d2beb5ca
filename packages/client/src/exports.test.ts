import { definePlugin as coreDefinePlugin } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as client from './index.js';
import { createClient, definePlugin, type ChangeFeedCheckpoint, type TransportNode } from './index.js';

describe('@ferrite/client exports', () => {
  it("re-exports each package's public entry whole, and none of core's internals", () => {
    expect(client.FerriteCrossSlotError).toBeTypeOf('function');
    expect(client.isCrossSlotError).toBeTypeOf('function');
    expect(client.isMaybeApplied).toBeTypeOf('function');
    expect(client.FERRITE_COMMAND_CHANNEL).toBeTypeOf('string');
    expect(client.CdcPositionExpiredError).toBeTypeOf('function');
    expect(definePlugin).toBe(coreDefinePlugin);
    expectTypeOf<TransportNode>().toHaveProperty('id');
    expectTypeOf<ChangeFeedCheckpoint>().not.toBeNever();
    for (const internal of ['withDeadline', 'blockingTime', 'describeValue', 'assertName', 'assertInteger', 'assertFiniteNumber', 'asFerriteError']) {
      expect(Object.keys(client), internal).not.toContain(internal);
    }
  });

  it('keeps `redis` through extend and withOptions', async () => {
    await using ferrite = createClient({ transport: memoryTransport() });
    const extra = definePlugin({ name: 'extra', setup: (ctx) => ({ ping: () => ctx.send('PING') }) });
    const extended = ferrite.withOptions({ timeout: 5000 }).extend(extra);
    expect('redis' in extended).toBe(true);
    expect(extended.redis).toBe(ferrite.redis);
    expect(await extended.extra.ping()).toBe('PONG');
    expect(await extended.vector.list()).toEqual([]);
  });
});
