// Property round-trips: random valid values -> pack -> unpack -> the same value, for requests (through the
// whole message encoder and request decoder) and for the kernel-side replies.
import { expect } from 'chai';
import { decodeMessages, encodeMessage } from '../../../native-free-netlink/core/message.js';
import { AF_INET, AF_INET6, type AddressFamily } from '../../../native-free-netlink/core/ip.js';
import {
  decodeDestinationList,
  decodeIpvsRequest,
  decodeServiceList,
  encodeDestinationReply,
  encodeServiceReply,
  newDestination,
  newService,
  packDestination,
  packService,
  unpackDestination,
  unpackService,
  type IpvsDestinationEntry,
  type IpvsService,
  type IpvsServiceEntry,
  type IpvsStats,
} from '../../../native-free-netlink/ipvs/index.js';
import { int, pick, prng, randomAddress, randomDestination, type Rand } from './helpers.js';

function service(r: Rand): IpvsService {
  const family: AddressFamily = r() < 0.5 ? AF_INET : AF_INET6;
  const fw = r() < 0.2;
  const s: IpvsService = {
    family,
    protocol: fw ? 0 : pick(r, [6, 17, 132]),
    address: fw ? '' : randomAddress(r, family),
    port: fw ? 0 : int(r, 0, 65535),
    fwmark: fw ? int(r, 1, 0xffffffff) : 0,
    scheduler: pick(r, ['rr', 'wrr', 'lc', 'wlc', 'sh', 'mh', 'dh', 'sed', 'nq', 'fo', 'ovf', 'twos']),
    // Any user flag bits except HASHED (0x2), which never survives a round trip by design.
    flags: int(r, 0, 0x3f) & ~0x2,
    timeout: int(r, 0, 0xffffffff),
    netmask: family === AF_INET ? (r() < 0.5 ? 0xffffffff : (0xffffffff << int(r, 0, 31)) >>> 0) : int(r, 1, 128),
  };
  if (r() < 0.1) s.peName = 'sip';
  return s;
}


function u64(r: Rand): bigint {
  return (BigInt(int(r, 0, 0xffffffff)) << 32n) | BigInt(int(r, 0, 0xffffffff));
}

function stats(r: Rand, width: 32 | 64): IpvsStats {
  const n = () => (width === 64 ? u64(r) : BigInt(int(r, 0, 0xffffffff)));
  return { conns: n(), inpkts: n(), outpkts: n(), inbytes: u64(r), outbytes: u64(r), cps: n(), inpps: n(), outpps: n(), inbps: n(), outbps: n() };
}

const RUNS = 500;

describe('ipvs property round-trips (seeded)', () => {
  it('packService -> unpackService', () => {
    const r = prng(0x1bad5eed);
    for (let i = 0; i < RUNS; i++) {
      const s = service(r);
      expect(unpackService(packService(s)), JSON.stringify(s)).to.deep.equal(s);
      expect(unpackService(packService(s, { ipv4AddressLength: 4 })), JSON.stringify(s)).to.deep.equal(s);
    }
  });

  it('packDestination -> unpackDestination', () => {
    const r = prng(0xdeadbeef);
    for (let i = 0; i < RUNS; i++) {
      const d = randomDestination(r);
      expect(unpackDestination(packDestination(d)), JSON.stringify(d)).to.deep.equal(d);
    }
  });

  it('request message -> bytes -> decodeIpvsRequest', () => {
    const r = prng(42);
    for (let i = 0; i < RUNS; i++) {
      const s = service(r);
      const d = randomDestination(r);
      const nestedFlag = r() < 0.5;
      const ms = [newService(0x30, i, s, { nestedFlag }), newDestination(0x30, i, s, d, { nestedFlag, full: true })];
      const [a, b] = decodeMessages(new Uint8Array([...encodeMessage(ms[0]!), ...encodeMessage(ms[1]!)]));
      expect(decodeIpvsRequest(a!).service).to.deep.equal(s);
      const rb = decodeIpvsRequest(b!);
      expect([rb.service, rb.destination, rb.nestedFlag]).to.deep.equal([s, d, nestedFlag]);
    }
  });

  it('kernel-side replies -> dump decoders', () => {
    const r = prng(7);
    for (let i = 0; i < 100; i++) {
      const se: IpvsServiceEntry = { service: service(r), stats: { stats: stats(r, 32), stats64: stats(r, 64) } };
      const de: IpvsDestinationEntry = {
        destination: randomDestination(r),
        stats: { activeConns: int(r, 0, 0xffffffff), inactiveConns: int(r, 0, 1000), persistConns: int(r, 0, 1000), stats: stats(r, 32), stats64: stats(r, 64) },
      };
      const sm = decodeMessages(encodeMessage(encodeServiceReply(0x30, i, 1, se, { multi: true })));
      expect(decodeServiceList(sm).entries).to.deep.equal([se]);
      const dm = decodeMessages(encodeMessage(encodeDestinationReply(0x30, i, 1, de)));
      expect(decodeDestinationList(dm).entries).to.deep.equal([de]);
    }
  });
});
