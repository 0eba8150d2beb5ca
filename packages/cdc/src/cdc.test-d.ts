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
    // A number on one server, the token (the checkpoint) on a cluster.
    expectTypeOf(feed.position).toEqualTypeOf<number | ChangeFeedCheckpoint | undefined>();
    expectTypeOf(feed.checkpoint).toEqualTypeOf<ChangeFeedCheckpoint>();
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

  it('takes from as a number, a keyword or a checkpoint', async () => {
    const feed = await ferrite.cdc.subscribe('*');
    void ferrite.cdc.subscribe('*', { from: feed.checkpoint });
    const stored: string = feed.checkpoint;
    void ferrite.cdc.subscribe('*', { from: stored as ChangeFeedCheckpoint });
    // @ts-expect-error a plain string must be declared a checkpoint
    void ferrite.cdc.subscribe('*', { from: stored });
    // Whatever the topology, a position resumes: the token as it is, or the id after it.
    const position = feed.position;
    void ferrite.cdc.subscribe('*', { from: typeof position === 'number' ? position + 1 : position });
    // @ts-expect-error a position may be the token: narrow it before adding 1
    void ferrite.cdc.subscribe('*', { from: feed.position + 1 });
    const subscription = await ferrite.cdc.onChange('*', () => {});
    expectTypeOf(subscription.position).toEqualTypeOf<number | ChangeFeedCheckpoint | undefined>();
  });

  it('takes from as a number or a keyword only', () => {
    // @ts-expect-error a bigint id is not accepted
    void ferrite.cdc.subscribe('*', { from: 1n });
    // @ts-expect-error unknown keyword
    void ferrite.cdc.subscribe('*', { from: 'newest' });
  });
});
