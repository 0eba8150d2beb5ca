import { FerriteReplyError } from '@ferrite/core';
import { RESP_TYPES, SimpleError } from 'redis';
import { describe, expect, it } from 'vitest';
import { normaliseReply, ReplyDecoding } from './normalise.js';

/*
 * The pairing of recorded number kinds with decoded values, without a server: `decode` reads the
 * mapping entries in reply order, as node-redis' decoder does once per `:` and `,` value.
 */

type Frame = 'integer' | 'double';

function decoded(frames: readonly Frame[]): ReplyDecoding {
  const decoding = new ReplyDecoding();
  for (const frame of frames) {
    const constructor = decoding.typeMapping[frame === 'integer' ? RESP_TYPES.NUMBER : RESP_TYPES.DOUBLE];
    expect(constructor).toBe(String);
  }
  return decoding;
}

const normalise = (raw: unknown, frames: readonly Frame[], binary = false) =>
  normaliseReply(raw, decoded(frames), { binary, commandName: 'test' });

describe('normaliseReply', () => {
  it('asks the decoder for strings as Buffers, maps as Map, numbers as text', () => {
    const { typeMapping } = new ReplyDecoding();
    expect(typeMapping[RESP_TYPES.BLOB_STRING]).toBe(Buffer);
    expect(typeMapping[RESP_TYPES.SIMPLE_STRING]).toBe(Buffer);
    expect(typeMapping[RESP_TYPES.VERBATIM_STRING]).toBe(Buffer);
    expect(typeMapping[RESP_TYPES.MAP]).toBe(Map);
    expect(typeMapping[RESP_TYPES.NUMBER]).toBe(String);
    expect(typeMapping[RESP_TYPES.DOUBLE]).toBe(String);
  });

  it('tells whole doubles from integers by the recorded frames, in order', () => {
    expect(normalise(['3', '3', Buffer.from('3')], ['double', 'integer'])).toEqual(['3', 3, '3']);
    expect(normalise([['7', '2.5'], null, ['-9223372036854775808']], ['integer', 'double', 'integer'])).toEqual([
      [7, '2.5'],
      null,
      [-9223372036854775808n],
    ]);
  });

  it('skips map keys that came as bulk strings and counts the ones that came as numbers', () => {
    const bulkKeys = new Map<unknown, unknown>([['5', '1'], ['score', '1']]);
    expect(normalise(bulkKeys, ['integer', 'double'])).toEqual(new Map<string, unknown>([['5', 1], ['score', '1']]));
    const numberKeys = new Map<unknown, unknown>([['5', '1'], ['6', '1']]);
    expect(normalise(numberKeys, ['integer', 'double', 'integer', 'integer'])).toEqual(new Map<string, unknown>([['5', '1'], ['6', 1]]));
  });

  it('falls back to reading integers from the text when the record does not line up', () => {
    expect(normalise(['3', '2.5', '12345678901234567890'], [])).toEqual([3, '2.5', 12345678901234567890n]);
  });

  it('gives big numbers, doubles and bulk strings as Buffers in binary mode, integers as numbers', () => {
    expect(normalise([Buffer.from([0, 255]), 10n ** 30n, '1.5', '42'], ['double', 'integer'], true)).toEqual([
      Buffer.from([0, 255]),
      Buffer.from('1000000000000000000000000000000'),
      Buffer.from('1.5'),
      42,
    ]);
  });

  it('turns booleans into 1/0 and sets into arrays', () => {
    expect(normalise([true, false, new Set([Buffer.from('a')])], [])).toEqual([1, 0, ['a']]);
  });

  it('fails with the first error found inside a reply', () => {
    const error = (() => {
      try {
        return normalise([Buffer.from('OK'), new SimpleError('WRONGTYPE Operation against a key holding the wrong kind of value')], []);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(FerriteReplyError);
    expect((error as FerriteReplyError).kind).toBe('wrongtype');
  });
});
