import { describe, expect, it } from 'vitest';
import { NULL, array, bulk, integer, map, simple } from '../engine/reply.js';
import { encodeReply } from './encoder.js';

describe('encodeReply', () => {
  it('writes text and binary values in order, byte for byte, in RESP2 and RESP3', () => {
    // Not UTF-8 on purpose: binary values must pass through untouched between the text around them.
    const value = Buffer.from([0xff, 0x00, 0xc3, 0x0d, 0x0a]);
    const reply = array([integer(7), map([[bulk('key'), bulk(value)], [bulk('value'), NULL]]), simple('café')]);
    expect(encodeReply(reply, 3)).toEqual(
      Buffer.concat([Buffer.from('*3\r\n:7\r\n%2\r\n$3\r\nkey\r\n$5\r\n'), value, Buffer.from('\r\n$5\r\nvalue\r\n_\r\n+café\r\n')]),
    );
    expect(encodeReply(reply, 2)).toEqual(
      Buffer.concat([Buffer.from('*3\r\n:7\r\n*4\r\n$3\r\nkey\r\n$5\r\n'), value, Buffer.from('\r\n$5\r\nvalue\r\n$-1\r\n+café\r\n')]),
    );
  });

  it('never hands out a buffer the engine still holds', () => {
    const value = Buffer.from('stored');
    const encoded = encodeReply(bulk(value), 3);
    value.fill(0);
    expect(encoded.toString('latin1')).toBe('$6\r\nstored\r\n');
  });
});
