import { describe, expect, it } from 'vitest';
import { signed, unsigned } from './wasm-encoding.js';

describe('LEB128', () => {
  it('encodes unsigned values as the WebAssembly spec does', () => {
    expect(unsigned(0)).toEqual([0x00]);
    expect(unsigned(127)).toEqual([0x7f]);
    expect(unsigned(128)).toEqual([0x80, 0x01]);
    expect(unsigned(240)).toEqual([0xf0, 0x01]);
    expect(unsigned(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(unsigned(2 ** 32 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('encodes signed values with the sign in the last byte', () => {
    expect(signed(0)).toEqual([0x00]);
    expect(signed(63)).toEqual([0x3f]);
    expect(signed(64)).toEqual([0xc0, 0x00]);
    expect(signed(-1)).toEqual([0x7f]);
    expect(signed(-64)).toEqual([0x40]);
    expect(signed(-65)).toEqual([0xbf, 0x7f]);
    expect(signed(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});
