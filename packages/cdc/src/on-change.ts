import type { ChangeFeed, ChangeHandler, ChangeSubscription } from './types.js';

/** Drives `handler` from `feed`, one event at a time; see `CdcApi.onChange`. */
export function runHandler<Value extends string | Buffer>(feed: ChangeFeed<Value>, handler: ChangeHandler<Value>): ChangeSubscription {
  let position: number | undefined;
  const done = (async () => {
    // Leaving the loop, by a throw or otherwise, closes the feed (for await calls return()).
    for await (const event of feed) {
      await handler(event);
      position = event.id;
    }
  })();
  const close = async () => {
    await feed.close();
    // A handler already running finishes first; its error (if any) is done's to report.
    await done.catch(() => {});
  };
  return {
    get position() {
      return position;
    },
    done,
    close,
    [Symbol.asyncDispose]: close,
  };
}
