import { expect } from 'chai';
import { attr, decodeAttributes, encodeAttributes } from '../../../native-free-netlink/core/attributes.js';
import { IPVS_STATS_ATTR_PAD, packStats, unpackStats, type IpvsStats } from '../../../native-free-netlink/ipvs/index.js';
import { hex } from './helpers.js';

const s: IpvsStats = {
  conns: 1n,
  inpkts: 2n,
  outpkts: 3n,
  inbytes: 0x1_0000_0004n,
  outbytes: 5n,
  cps: 6n,
  inpps: 7n,
  outpps: 8n,
  inbps: 9n,
  outbps: 10n,
};

describe('ipvs stats nests', () => {
  it('32-bit nest: u32 counters and rates, u64 byte counters', () => {
    const want = hex(`
      08000100 01000000  08000200 02000000  08000300 03000000
      0c000400 04000000 01000000  0c000500 05000000 00000000
      08000600 06000000  08000700 07000000  08000800 08000000  08000900 09000000  08000a00 0a000000`);
    expect(encodeAttributes(packStats(s, 32))).to.deep.equal(want);
    expect(unpackStats(decodeAttributes(want))).to.deep.equal(s);
  });

  it('64-bit nest: every counter u64', () => {
    const big = { ...s, conns: 0x1_0000_0000n };
    const bytes = encodeAttributes(packStats(big, 64));
    expect(bytes.length).to.equal(10 * 12);
    expect(bytes.subarray(0, 12)).to.deep.equal(hex('0c000100 00000000 01000000'));
    expect(unpackStats(decodeAttributes(bytes))).to.deep.equal(big);
  });

  it('truncates to 32 bits in the legacy nest, as the kernel does', () => {
    const attrs = packStats({ ...s, conns: 0x1_0000_0002n }, 32);
    expect(unpackStats(attrs).conns).to.equal(2n);
  });

  it('skips IPVS_STATS_ATTR_PAD and refuses a nest missing a counter', () => {
    const attrs = [attr.bytes(IPVS_STATS_ATTR_PAD, new Uint8Array(0)), ...packStats(s, 64)];
    expect(unpackStats(attrs)).to.deep.equal(s);
    expect(() => unpackStats(attrs.filter((a) => a.type !== 7))).to.throw(/inpps/);
    const odd = attrs.map((a) => (a.type === 1 ? { ...a, data: hex('0100') } : a));
    expect(() => unpackStats(odd)).to.throw(/2 bytes/);
  });
});
