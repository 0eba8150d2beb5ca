import { createFerrite, type Transport } from '@ferrite/core';
import { describe, expectTypeOf, it } from 'vitest';
import { cdc, type ChangeEvent, type ChangeFeed, type ChangeFeedCheckpoint, type ChangeOp, type ChangeSubscription } from './index.js';

declare const event0: ChangeEvent;

declare const transport: Transport;
const ferrite = createFerrite({ transport, plugins: [cdc()] });

describe('cdc types', () => {
  it('gives text values by default and Buffers with binary: true', async () => {
    expectTypeOf(await ferrite.cdc.subscribe('*')).toEqualTypeOf<ChangeFeed<string>>();
    expectTypeOf(await ferrite.cdc.subscribe('*', { binary: false })).toEqualTypeOf<ChangeFeed<string>>();
    expectTypeOf(await ferrite.cdc.subscribe('*', { binary: true })).toEqualTypeOf<ChangeFeed<Buffer>>();
    const feed = await ferrite.cdc.subscribe('*');
    for await (const event of feed) {
      expectTypeOf(event).toEqualTypeOf<ChangeEvent<string>>();
      expectTypeOf(event.value).toEqualTypeOf<string | null>();
      expectTypeOf(event.id).toEqualTypeOf<number>();
      expectTypeOf(event.timestamp).toEqualTypeOf<number>();
    }
    // One resume handle, whatever the topology.
    expectTypeOf(feed.checkpoint).toEqualTypeOf<ChangeFeedCheckpoint>();
    expectTypeOf(event0.log).toEqualTypeOf<string | undefined>();
    expectTypeOf(feed.checkpoint).toExtend<string>();
    expectTypeOf(event0.node).toEqualTypeOf<string | undefined>();
    expectTypeOf(feed.lag()).toEqualTypeOf<Promise<number>>();
  });

  it('types op as the known ops plus any string', () => {
    expectTypeOf<'SET'>().toExtend<ChangeOp>();
    expectTypeOf<'SOMETHING.NEW'>().toExtend<ChangeOp>();
    expectTypeOf<ChangeOp>().toExtend<string>();
  });

  it('types the handler by the binary option', async () => {
    const subscription = await ferrite.cdc.onChange('*', (event) => {
      expectTypeOf(event.value).toEqualTypeOf<string | null>();
    });
    expectTypeOf(subscription).toEqualTypeOf<ChangeSubscription>();
    await ferrite.cdc.onChange(
      '*',
      (event) => {
        expectTypeOf(event.value).toEqualTypeOf<Buffer | null>();
      },
      { binary: true },
    );
  });

  it('takes from as a keyword or a checkpoint', async () => {
    const feed = await ferrite.cdc.subscribe('*');
    void ferrite.cdc.subscribe('*', { from: feed.checkpoint });
    const stored: string = feed.checkpoint;
    void ferrite.cdc.subscribe('*', { from: stored as ChangeFeedCheckpoint });
    // @ts-expect-error a plain string must be declared a checkpoint
    void ferrite.cdc.subscribe('*', { from: stored });
    // @ts-expect-error an event id is no resume handle: ids count per log
    void ferrite.cdc.subscribe('*', { from: 42 });
    const subscription = await ferrite.cdc.onChange('*', () => {});
    expectTypeOf(subscription.checkpoint).toEqualTypeOf<ChangeFeedCheckpoint>();
    // @ts-expect-error position was removed: save checkpoint
    void feed.position;
  });

  it('takes no other start', () => {
    // @ts-expect-error a bigint id is not accepted
    void ferrite.cdc.subscribe('*', { from: 1n });
    // @ts-expect-error unknown keyword
    void ferrite.cdc.subscribe('*', { from: 'newest' });
  });
});
