import { FerriteConnectionError, FerriteReplyError, FerriteTimeoutError } from '@ferrite/core';
import { ClosingError, ConnectionError, RequestError, TimeoutError } from '@valkey/valkey-glide';
import { describe, expect, it } from 'vitest';
import { awaitingConnection, refusedBeforeSending, serverText, translateError } from './errors.js';

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

  it('says a request GLIDE had no connection for was never written, and anything else may have been', () => {
    expect(translateError(new RequestError('Received connection error `Requested connection not found - ConnectionNotFoundForRoute: 127.0.0.1:7000`'), 'INCR', 1000)).toMatchObject({ maybeApplied: false });
    expect(translateError(new RequestError('Connection in recovery- ClientError'), 'INCR', 1000)).toMatchObject({ maybeApplied: false });
    for (const error of [new ConnectionError('broken pipe'), new ClosingError(''), new Error('odd')]) {
      const translated = translateError(error, 'INCR', 1000);
      expect(translated).toBeInstanceOf(FerriteConnectionError);
      expect(translated).toMatchObject({ maybeApplied: true });
    }
    expect(refusedBeforeSending(new ClosingError('Unable to execute requests; the client is closed.'))).toMatchObject({ maybeApplied: false });
    expect(translateError(new ClosingError('Unable to execute requests; the client is closed. Please create a new client.'), 'INCR', 1000)).toMatchObject({ maybeApplied: false });
  });

  it("gives GLIDE's own deadline as a timeout that may have been applied", () => {
    const error = translateError(new TimeoutError('timed out'), 'INCR', 1500);
    expect(error).toBeInstanceOf(FerriteTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 1500, maybeApplied: true });
  });
});

describe('awaitingConnection', () => {
  it('writes again what did not run: no connection yet, or a refusal while the cluster changes, unless the call was for one node', () => {
    expect(awaitingConnection(new RequestError('Connection in recovery- ClientError'), false)).toBe(true);
    for (const kind of ['Moved: 5698 127.0.0.1:7001', 'ClusterDown: The cluster is down', 'TryAgain: Multiple keys request during rehashing']) {
      const error = new RequestError(`An error was signalled by the server: - ${kind}`);
      expect(awaitingConnection(error, true)).toBe(true);
      expect(awaitingConnection(error, false)).toBe(false);
    }
    expect(awaitingConnection(new RequestError('An error was signalled by the server: - ResponseError: unknown index: x'), true)).toBe(false);
    expect(awaitingConnection(new ClosingError('Unable to execute requests; the client is closed.'), true)).toBe(false);
    expect(awaitingConnection(new TimeoutError('timed out'), true)).toBe(false);
  });
});
