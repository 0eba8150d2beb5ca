import type { ChangeFeed, ChangeHandler, ChangeSubscription } from './types.js';

/** Drives `handler` from `feed`, one event at a time; see `CdcApi.onChange`. */
export function runHandler<Value extends string | Buffer>(feed: ChangeFeed<Value>, handler: ChangeHandler<Value>): ChangeSubscription {
  let checkpoint = feed.checkpoint;
  const done = (async () => {
    // Leaving the loop, by a throw or otherwise, closes the feed (for await calls return()).
    for await (const event of feed) {
      await handler(event);
      // The feed hands out nothing between this event and the next next(): its checkpoint is this event's.
      checkpoint = feed.checkpoint;
    }
  })();
  const close = async () => {
    await feed.close();
    // A handler already running finishes first; its error (if any) is done's to report.
    await done.catch(() => {});
  };
  return {
    get checkpoint() {
      return checkpoint;
    },
    done,
    close,
    [Symbol.asyncDispose]: close,
  };
}
