// unpackDestinationWithoutCounters (the fast path a sync's kernel read uses) must give what the generic
// decoder gives, without the counter nests, and fail the same way: checked on every destination the real
// kernel sent in the captured fixtures, on random destinations, and on broken nests.
import { expect } from 'chai';
import { attr, encodeAttributes, read, type Attribute } from '../../../native-free-netlink/core/attributes.js';
import { AF_INET, type AddressFamily } from '../../../native-free-netlink/core/ip.js';
import { decodeGenl } from '../../../native-free-netlink/genetlink/genl.js';
import {
  decodeDestinationList,
  encodeDestinationReply,
  IPVS_CMD_ATTR_DEST,
  IPVS_CMD_NEW_DEST,
  IPVS_DEST_ATTR_ADDR,
  IPVS_DEST_ATTR_ADDR_FAMILY,
  IPVS_DEST_ATTR_PORT,
  IPVS_DEST_ATTR_WEIGHT,
  packDestination,
  unpackDestination,
  unpackDestinationStats,
  unpackDestinationWithoutCounters,
  zeroStats,
  type IpvsDestinationEntry,
} from '../../../native-free-netlink/ipvs/index.js';
import { fixtureNames, loadFixture, replies } from './fixtures.js';
import { int, prng, randomDestination } from './helpers.js';

/** The generic decoder's answer with the counter nests dropped. */
function generic(nest: Uint8Array, family?: AddressFamily): IpvsDestinationEntry {
  const attrs = read.nested({ type: IPVS_CMD_ATTR_DEST, nested: true, netByteOrder: false, data: nest });
  const { stats: _s, stats64: _s64, ...conns } = unpackDestinationStats(attrs);
  return { destination: unpackDestination(attrs, family), stats: conns };
}

function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (e) {
    return { error: (e as Error).message, name: (e as Error).name };
  }
}

describe('ipvs unpackDestinationWithoutCounters', () => {
  it('agrees with the generic decoder on every destination in the captured kernel replies', () => {
    let seen = 0;
    for (const name of fixtureNames()) {
      for (const m of replies(loadFixture(name))) {
        if (m.type < 0x10 || m.payload.length < 4) continue;
        const g = decodeGenl(m.payload);
        if (g.cmd !== IPVS_CMD_NEW_DEST) continue;
        const nest = g.attrs.find((a) => a.type === IPVS_CMD_ATTR_DEST);
        if (!nest) continue;
        expect(unpackDestinationWithoutCounters(nest.data), name).to.deep.equal(generic(nest.data));
        seen++;
      }
    }
    // ipvsadm -Ln and the stats listings hold a few dozen destinations between them.
    expect(seen).to.be.greaterThan(10);
  });

  it('agrees on random destinations of both families, with and without tunnel attributes', () => {
    const r = prng(20261122);
    for (let i = 0; i < 500; i++) {
      const d = randomDestination(r);
      const stats = { activeConns: int(r, 0, 1e6), inactiveConns: int(r, 0, 1e6), persistConns: int(r, 0, 1e6), stats: zeroStats(), stats64: zeroStats() };
      const m = encodeDestinationReply(0x24, 1, 1, { destination: d, stats });
      const fast = decodeDestinationList([m], { familyId: 0x24, counters: false }).entries[0]!;
      const full = decodeDestinationList([m], { familyId: 0x24 }).entries[0]!;
      expect(fast.destination).to.deep.equal(full.destination);
      expect(fast.destination).to.deep.equal(d);
      expect(fast.stats).to.deep.equal({ activeConns: stats.activeConns, inactiveConns: stats.inactiveConns, persistConns: stats.persistConns });
    }
  });

  it('fails as the generic decoder does on missing, short or malformed attributes', () => {
    const base = packDestination({ family: AF_INET, address: '10.0.0.1', port: 80, forward: 0, weight: 1, upperThreshold: 0, lowerThreshold: 0 });
    const conns: Attribute[] = [attr.u32(7, 0), attr.u32(8, 0), attr.u32(9, 0)];
    const variants: [string, Uint8Array, AddressFamily?][] = [
      ['complete', encodeAttributes([...base, ...conns])],
      ['no ADDR_FAMILY, service family given', encodeAttributes([...base.filter((a) => a.type !== IPVS_DEST_ATTR_ADDR_FAMILY), ...conns]), AF_INET],
      ['no ADDR_FAMILY, no service family', encodeAttributes([...base.filter((a) => a.type !== IPVS_DEST_ATTR_ADDR_FAMILY), ...conns])],
      ['no PORT', encodeAttributes([...base.filter((a) => a.type !== IPVS_DEST_ATTR_PORT), ...conns])],
      ['short WEIGHT', encodeAttributes([...base.filter((a) => a.type !== IPVS_DEST_ATTR_WEIGHT), attr.u16(IPVS_DEST_ATTR_WEIGHT, 1), ...conns])],
      ['short ADDR', encodeAttributes([...base.filter((a) => a.type !== IPVS_DEST_ATTR_ADDR), attr.bytes(IPVS_DEST_ATTR_ADDR, Uint8Array.of(10, 0)), ...conns])],
      ['no connection counts', encodeAttributes(base)],
      ['family 7', encodeAttributes([attr.u16(IPVS_DEST_ATTR_ADDR_FAMILY, 7), ...base.slice(1), ...conns])],
      ['duplicate PORT: the first wins', encodeAttributes([...base, attr.be16(IPVS_DEST_ATTR_PORT, 9), ...conns])],
      ['bad nla_len', Uint8Array.of(...encodeAttributes([...base, ...conns]), 0xff, 0x00, 0x01, 0x00)],
      ['trailing garbage', Uint8Array.of(...encodeAttributes([...base, ...conns]), 1, 0)],
    ];
    for (const [what, nest, family] of variants) {
      const want = outcome(() => generic(nest, family));
      expect(outcome(() => unpackDestinationWithoutCounters(nest, family)), what).to.deep.equal(want);
      // Read in place from inside a larger buffer (a reply message's payload): same values, same errors
      // with offsets into the nest, and nothing read outside [from, to).
      const inside = Uint8Array.of(0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, ...nest, 0xcd, 0xcd, 0xcd, 0xcd);
      expect(outcome(() => unpackDestinationWithoutCounters(inside, family, 8, 8 + nest.length)), `${what}, in place`).to.deep.equal(want);
    }
    expect(outcome(() => unpackDestinationWithoutCounters(variants[3]![1]))).to.deep.equal({ error: 'IPVS destination without IPVS_DEST_ATTR_PORT (at byte 0)', name: 'NetlinkDecodeError' });
  });

  it('decodes a NEW_DEST message in place as the generic path does, and fails where it fails', () => {
    const entry: IpvsDestinationEntry = {
      destination: { family: AF_INET, address: '10.0.0.1', port: 80, forward: 0, weight: 1, upperThreshold: 0, lowerThreshold: 0 },
      stats: { activeConns: 1, inactiveConns: 2, persistConns: 3, stats: zeroStats(), stats64: zeroStats() },
    };
    const good = encodeDestinationReply(0x24, 1, 1, entry);
    const payloads: [string, Uint8Array][] = [
      ['good', good.payload],
      ['another command', Uint8Array.of(IPVS_CMD_NEW_DEST + 1, ...good.payload.subarray(1))],
      ['no DEST nest', Uint8Array.of(...good.payload.subarray(0, 4), ...encodeAttributes([attr.u32(7, 1)]))],
      ['DEST nest, then a broken attribute', Uint8Array.of(...good.payload, 0xff, 0x00, 0x02, 0x00)],
      ['DEST nest, then trailing garbage', Uint8Array.of(...good.payload, 1, 0)],
      ['shorter than genlmsghdr', Uint8Array.of(IPVS_CMD_NEW_DEST, 1)],
    ];
    for (const [what, payload] of payloads) {
      const m = { ...good, payload };
      const fast = outcome(() => decodeDestinationList([m], { familyId: 0x24, counters: false }).entries[0]!.destination);
      const full = outcome(() => decodeDestinationList([m], { familyId: 0x24 }).entries[0]!.destination);
      expect(fast, what).to.deep.equal(full);
      if (what === 'good') expect(fast).to.deep.equal({ value: entry.destination });
      else expect(fast, what).to.have.property('error');
    }
  });
});
