import { expect } from 'chai';
import { attr, attributeMap, decodeAttributes, encodeAttributes, read, scanAttributes } from '../../../native-free-netlink/core/attributes.js';
import { toHex } from '../../../native-free-netlink/core/bytes.js';

describe('netlink attributes', () => {
  it('pads data to 4 bytes but counts only the data in nla_len', () => {
    expect(toHex(encodeAttributes([attr.be16(4, 80)]))).to.equal('060004000050' + '0000');
    expect(toHex(encodeAttributes([attr.string(6, 'rr')]))).to.equal('070006007272' + '00' + '00');
  });

  it('sets NLA_F_NESTED only when asked, and NLA_F_NET_BYTEORDER on request', () => {
    const inner = [attr.u16(1, 2)];
    expect(toHex(encodeAttributes([attr.nest(1, inner)]).subarray(0, 4))).to.equal('0c000180');
    expect(toHex(encodeAttributes([attr.nest(1, inner, false)]).subarray(0, 4))).to.equal('0c000100');
    expect(toHex(encodeAttributes([attr.be32(1, 0x0a60000a, { netByteOrderFlag: true })]))).to.equal('080001400a60000a');
  });

  it('round-trips nested attributes with their flags', () => {
    const attrs = [
      attr.nest(1, [attr.u16(1, 2), attr.u16(2, 6), attr.bytes(3, Uint8Array.of(10, 96, 0, 10)), attr.be16(4, 80)]),
      attr.u32(4, 900),
      attr.flag(9),
    ];
    const decoded = decodeAttributes(encodeAttributes(attrs));
    expect(decoded).to.deep.equal(attrs);
    const inner = attributeMap(read.nested(decoded[0]!));
    expect(read.u16(inner.get(2)!)).to.equal(6);
    expect(read.be16(inner.get(4)!)).to.equal(80);
    expect(read.u32(decoded[1]!)).to.equal(900);
  });

  it('accepts a last attribute without its padding, as the kernel does', () => {
    const bytes = encodeAttributes([attr.u8(1, 7)]).subarray(0, 5);
    expect(read.u8(decodeAttributes(bytes)[0]!)).to.equal(7);
  });

  it('rejects an attribute longer than what is left', () => {
    const bytes = encodeAttributes([attr.u32(1, 1)]);
    bytes[0] = 12;
    expect(() => decodeAttributes(bytes, 20)).to.throw(/bad nla_len 12 .*at byte 20/);
  });

  it('refuses to read a u32 from a 2-byte attribute', () => {
    expect(() => read.u32(attr.u16(1, 1))).to.throw(/too short for u32/);
  });

  it('scans from an offset: the same attributes and errors as decoding the view after it', () => {
    const run = encodeAttributes([attr.u16(1, 7), attr.string(3, 'abc'), attr.u32(2, 9)]);
    const header = Uint8Array.of(5, 6, 7, 8);
    const seen: [number, number, number][] = [];
    scanAttributes(Uint8Array.of(...header, ...run), (type, start, end) => seen.push([type, start, end]), 0, 4);
    const viewed = decodeAttributes(run);
    expect(seen.map(([type]) => type)).to.deep.equal(viewed.map((a) => a.type));
    expect(seen.map(([, start, end]) => end - start)).to.deep.equal(viewed.map((a) => a.data.length));
    expect(seen[0]![1]).to.equal(8); // offsets are the whole buffer's
    const broken = Uint8Array.of(...header, ...run, 1, 0);
    expect(() => scanAttributes(broken, () => {}, 0, 4)).to.throw(/2 trailing bytes after attributes.*at byte 28/);
    expect(() => decodeAttributes(broken.subarray(4), 4)).to.throw(/2 trailing bytes after attributes.*at byte 28/);
  });
});
