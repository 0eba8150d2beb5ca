import { FerriteProtocolError, FerriteValidationError, prepareCommand, type Reply } from '@ferrite/core';
import { describe, expect, it } from 'vitest';
import { deleteCommand, getCommand, setCommand, statsCommand } from './index.js';

const decode = <R>(command: { decode: (reply: Reply, context: { protocol: 2 | 3 }) => R }, reply: Reply) =>
  command.decode(reply, { protocol: 2 });

describe('SEMANTIC.SET', () => {
  it('encodes EX only when a TTL is given, and routes by the namespace', () => {
    expect(prepareCommand(setCommand, 'ns', 'text', 'value').wire).toMatchObject({
      name: 'SEMANTIC.SET',
      args: ['ns', 'text', 'value'],
      routingKey: 'ns',
    });
    expect(prepareCommand(setCommand, 'ns', 'text', '', 30).wire.args).toEqual(['ns', 'text', '', 'EX', '30']);
    expect(setCommand.retryable).toBe(true);
  });

  it('reads OK and nothing else', () => {
    expect(decode(setCommand, 'OK')).toBeUndefined();
    expect(() => decode(setCommand, 'QUEUED')).toThrow(FerriteProtocolError);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects a TTL of %s', (ttl) => {
    expect(() => prepareCommand(setCommand, 'ns', 'text', 'value', ttl)).toThrow(FerriteValidationError);
  });
});

describe('SEMANTIC.GET', () => {
  it('always sends THRESHOLD, lowered to cover 6-decimal rounding, and WITHSCORE', () => {
    expect(prepareCommand(getCommand, 'ns', 'text', 0.85).wire.args).toEqual(['ns', 'text', 'THRESHOLD', '0.8499994', 'WITHSCORE']);
    expect(prepareCommand(getCommand, 'ns', 'text', 0).wire.args[3]).toBe('0');
    expect(prepareCommand(getCommand, 'ns', 'text', 1).wire.args[3]).toBe('0.9999994');
    expect(prepareCommand(getCommand, 'ns', 'text', 1e-7).wire.args[3]).toBe('0');
    expect(getCommand.readonly).toBe(true);
  });

  it('decodes a hit with its similarity, and null as a miss', () => {
    expect(decode(getCommand, ['Paris', '0.912345'])).toEqual({ value: 'Paris', similarity: 0.912345 });
    expect(decode(getCommand, [Buffer.from('Ünï'), '1.000000'])).toEqual({ value: 'Ünï', similarity: 1 });
    expect(decode(getCommand, null)).toBeNull();
  });

  it('refuses replies the protocol does not allow', () => {
    expect(() => decode(getCommand, 'Paris')).toThrow(FerriteProtocolError);
    expect(() => decode(getCommand, ['Paris'])).toThrow(FerriteProtocolError);
    expect(() => decode(getCommand, ['Paris', 'high'])).toThrow(FerriteProtocolError);
    expect(() => decode(getCommand, ['Paris', '1.5'])).toThrow(FerriteProtocolError);
  });

  it.each([-0.01, 1.01, Number.NaN, Number.POSITIVE_INFINITY])('rejects a threshold of %s', (threshold) => {
    expect(() => prepareCommand(getCommand, 'ns', 'text', threshold)).toThrow(FerriteValidationError);
  });
});

describe('SEMANTIC.DEL', () => {
  it('encodes one text or the whole namespace and reads the count', () => {
    expect(prepareCommand(deleteCommand, 'ns').wire.args).toEqual(['ns']);
    expect(prepareCommand(deleteCommand, 'ns', 'text').wire.args).toEqual(['ns', 'text']);
    expect(decode(deleteCommand, 3)).toBe(3);
  });
});

describe('SEMANTIC.STATS', () => {
  it('reads a RESP3 map and a RESP2 flat array alike', () => {
    const expected = { entries: 2, hits: 5, misses: 1 };
    expect(decode(statsCommand, new Map<string, Reply>([['entries', 2], ['hits', 5], ['misses', 1]]))).toEqual(expected);
    expect(decode(statsCommand, ['misses', 1, 'entries', 2, 'hits', 5])).toEqual(expected);
  });

  it('says which field is missing', () => {
    expect(() => decode(statsCommand, ['entries', 2, 'hits', 5])).toThrow(/no misses field/);
  });
});

describe('names and texts', () => {
  it.each([
    ['', 'namespace'],
    ['a\rb', 'namespace'],
    ['a\nb', 'namespace'],
    ['a\0b', 'namespace'],
  ])('rejects the namespace %j', (namespace, field) => {
    const error = (() => {
      try {
        prepareCommand(statsCommand, namespace);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(FerriteValidationError);
    expect((error as FerriteValidationError).field).toBe(field);
  });

  it('accepts texts with newlines and NUL, and refuses blank ones', () => {
    expect(prepareCommand(getCommand, 'ns', 'line one\nline\0two', 0.5).wire.args[1]).toBe('line one\nline\0two');
    expect(() => prepareCommand(getCommand, 'ns', ' \t\n', 0.5)).toThrow(FerriteValidationError);
  });
});
