import { FerriteConnectionError, FerriteReplyError, FerriteTimeoutError } from '@ferrite/core';
import { ClosingError, ConnectionError, RequestError, TimeoutError } from '@valkey/valkey-glide';
import { describe, expect, it } from 'vitest';
import { refusedBeforeSending, refusedWhileChanging, serverText, translateError } from './errors.js';

// GLIDE's own texts, as it rejected with them here (redis-server 7.0, the emulator).
describe('the server text behind GLIDE error messages', () => {
  it.each([
    ['An error was signalled by the server: - ResponseError: unknown index: docs', 'ERR unknown index: docs'],
    ['An error was signalled by the server: - CrossSlot: Keys in request', 'CROSSSLOT Keys in request'],
    ['An error was signalled by the server: - ExecAbortError: Transaction discarded', 'EXECABORT Transaction discarded'],
    ['WRONGTYPE: Operation against a key holding the wrong kind of value', 'WRONGTYPE Operation against a key holding the wrong kind of value'],
    ['CDC: position expired: oldest retained event is 3', 'CDC position expired: oldest retained event is 3'],
  ])('%s', (glide, server) => expect(serverText(glide)).toBe(server));

  it("finds none in an error of GLIDE's own", () => {
    expect(serverText('Connection in recovery- ClientError')).toBeUndefined();
    expect(serverText('An error was signalled by the server: - ClientError: broken pipe')).toBeUndefined();
  });
});

describe('translateError', () => {
  it('gives a server error with its text and command, never arguments', () => {
    const error = translateError(new RequestError('An error was signalled by the server: - ResponseError: unknown index: docs'), 'vector.search', 1000);
    expect(error).toBeInstanceOf(FerriteReplyError);
    expect(error).toMatchObject({ serverMessage: 'ERR unknown index: docs', command: 'VECTOR.SEARCH', kind: 'unknown-index' });
  });

  it('says only a call refused on a closed client was never written: a cluster request GLIDE had no connection for may have been', () => {
    // GLIDE's cluster core words for its last attempt; an earlier attempt may have been written.
    for (const error of [
      new RequestError('Received connection error `Requested connection not found - ConnectionNotFoundForRoute: 127.0.0.1:7000`'),
      new ConnectionError('Requested connection not found'),
      new RequestError('Connection in recovery- ClientError'),
      new ConnectionError('Connection in recovery'),
    ]) {
      const translated = translateError(error, 'INCR', 1000);
      expect(translated, error.message).toBeInstanceOf(FerriteConnectionError);
      expect(translated, error.message).toMatchObject({ maybeApplied: true });
      expect(translated.message).toContain("GLIDE had no connection for the request's last attempt; an earlier attempt may have been written");
      expect(translated.message).toContain(error.message);
    }
    for (const error of [new ConnectionError('broken pipe'), new ClosingError(''), new TimeoutError('timed out'), new Error('odd')]) {
      expect(translateError(error, 'INCR', 1000)).toMatchObject({ maybeApplied: true });
    }
    expect(refusedBeforeSending(new ClosingError('Unable to execute requests; the client is closed.'))).toMatchObject({ maybeApplied: false });
    expect(refusedBeforeSending(new Error('Connection in recovery'))).toMatchObject({ maybeApplied: false });
    expect(translateError(new ClosingError('Unable to execute requests; the client is closed. Please create a new client.'), 'INCR', 1000)).toMatchObject({ maybeApplied: false });
  });

  it("gives GLIDE's own deadline as a timeout that may have been applied", () => {
    const error = translateError(new TimeoutError('timed out'), 'INCR', 1500);
    expect(error).toBeInstanceOf(FerriteTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 1500, maybeApplied: true });
  });
});

describe('refusedWhileChanging', () => {
  it("makes the cluster's refusal while changing a connection error that may have been applied, and nothing else", () => {
    for (const kind of ['Moved: 5698 127.0.0.1:7001', 'ClusterDown: The cluster is down', 'TryAgain: Multiple keys request during rehashing']) {
      const refused = refusedWhileChanging(new RequestError(`An error was signalled by the server: - ${kind}`));
      expect(refused, kind).toBeInstanceOf(FerriteConnectionError);
      expect(refused, kind).toMatchObject({ maybeApplied: true });
      expect(refused?.message).toContain(kind);
    }
    for (const error of [
      new RequestError('An error was signalled by the server: - ResponseError: unknown index: x'),
      new RequestError('Connection in recovery- ClientError'),
      new ClosingError('Unable to execute requests; the client is closed.'),
      new TimeoutError('timed out'),
      new ConnectionError('broken pipe'),
    ]) {
      expect(refusedWhileChanging(error), error.message).toBeUndefined();
    }
  });
});
