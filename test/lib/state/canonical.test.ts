// canonical*: an object already in canonical form comes back as itself (the planner, the engine's record
// and the desired state then share objects); anything else comes back as the same canonical copy as before.
import { expect } from 'chai';
import {
  canonicalCidr, canonicalIpset, compareCidr, canonicalRealServer, canonicalState, canonicalVirtualServer, compareRealServers,
  isCanonicalRealServer, isCanonicalVirtualServer, SERVICE_FLAG_ORDER,
} from '../../../lib/state/canonical.js';
import { compareIp } from '../../../native-free-netlink/core/ip.js';
import type { IpsetState, RealServer, ServiceFlag, VirtualServer } from '../../../lib/state/types.js';
import { Rng } from '../engine/helpers/prng.js';

const rs = (address: string, port = 8080, extra: Partial<RealServer> = {}): RealServer => ({ address, port, weight: 1, forward: 'masq', ...extra });
const vs = (address: string, realServers: RealServer[], extra: Partial<VirtualServer> = {}): VirtualServer => ({
  protocol: 'tcp', address, port: 80, scheduler: 'rr', flags: [], ...extra, realServers,
});

describe('canonical forms: identity when already canonical', () => {
  it('returns a canonical real server and virtual server as themselves', () => {
    const r = rs('10.244.1.2', 8080, { upperThreshold: 5, lowerThreshold: 2 });
    expect(canonicalRealServer(r)).to.equal(r);
    const v = vs('10.96.0.10', [rs('10.244.1.1'), rs('10.244.1.2'), rs('10.244.1.2', 9090)], { flags: ['persistent', 'one-packet'], timeout: 300 });
    expect(canonicalVirtualServer(v)).to.equal(v);
    const fw: VirtualServer = { fwmark: 5, family: 'inet6', scheduler: 'sh', flags: ['sh-fallback', 'sh-port'], realServers: [rs('fd00::1', 80)] };
    expect(canonicalVirtualServer(fw)).to.equal(fw);
  });

  it('copies what is not canonical, each case on its own', () => {
    const cases: [string, VirtualServer][] = [
      ['real servers out of order', vs('10.96.0.10', [rs('10.244.1.10'), rs('10.244.1.9')])],
      ['a real server with a zero threshold key', vs('10.96.0.10', [rs('10.244.1.1', 80, { upperThreshold: 0 })])],
      ['a real server with keys in another order', vs('10.96.0.10', [{ port: 80, address: '10.244.1.1', weight: 1, forward: 'masq' }])],
      ['a real server address not in canonical text', vs('10.96.0.10', [rs('fd00:0::1')])],
      ['the service address not in canonical text', vs('fd00:0:0::a', [])],
      ['flags out of order', vs('10.96.0.10', [], { flags: ['one-packet', 'persistent'], timeout: 5 })],
      ['a flag given twice', vs('10.96.0.10', [], { flags: ['one-packet', 'one-packet'] })],
      ['a timeout without persistence', vs('10.96.0.10', [], { timeout: 300 })],
      ['a full netmask', vs('10.96.0.10', [], { netmask: '255.255.255.255' })],
      ['an empty persistence engine', vs('10.96.0.10', [], { pe: '' })],
      ['a fwmark service without family', { fwmark: 5, scheduler: 'rr', flags: [], realServers: [] }],
      ['keys in another order', { scheduler: 'rr', protocol: 'tcp', address: '10.96.0.10', port: 80, flags: [], realServers: [] }],
      ['an unknown extra key', { ...vs('10.96.0.10', []), extra: 1 } as VirtualServer],
    ];
    for (const [what, v] of cases) {
      expect(isCanonicalVirtualServer(v), what).to.equal(false);
      const c = canonicalVirtualServer(v);
      expect(c, what).to.not.equal(v);
      expect(isCanonicalVirtualServer(c), what).to.equal(true);
      expect(canonicalVirtualServer(c), what).to.equal(c);
    }
  });

  it('an ipset is itself when its members are strictly ascending, a sorted de-duplicated copy otherwise', () => {
    const s: IpsetState = { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', entries: ['10.96.0.1,tcp:80', '10.96.0.10,tcp:80', '10.96.0.2,tcp:80'] };
    expect(canonicalIpset(s)).to.equal(s);
    const unsorted = { ...s, entries: ['10.96.0.2,tcp:80', '10.96.0.1,tcp:80'] };
    expect(canonicalIpset(unsorted).entries).to.deep.equal(['10.96.0.1,tcp:80', '10.96.0.2,tcp:80']);
    const twice = { ...s, entries: ['10.96.0.1,tcp:80', '10.96.0.1,tcp:80'] };
    expect(canonicalIpset(twice).entries).to.deep.equal(['10.96.0.1,tcp:80']);
    const scattered = { ...s, entries: ['b', 'a', 'b', 'c', 'a', 'c', 'c'] };
    expect(canonicalIpset(scattered).entries).to.deep.equal(['a', 'b', 'c']);
    expect(scattered.entries, 'the input is not changed').to.deep.equal(['b', 'a', 'b', 'c', 'a', 'c', 'c']);
    const reordered = { type: s.type, name: s.name, family: s.family, entries: s.entries } as IpsetState;
    expect(Object.keys(canonicalIpset(reordered))).to.deep.equal(['name', 'type', 'family', 'entries']);
  });

  it('canonicalCidr keeps the caller\'s string when it is canonical', () => {
    expect(canonicalCidr('10.96.0.1/32')).to.equal('10.96.0.1/32');
    expect(canonicalCidr('10.96.0.1')).to.equal('10.96.0.1/32');
    expect(canonicalCidr('fd00:0::1/128')).to.equal('fd00::1/128');
    expect(canonicalCidr('10.96.0.1/032')).to.equal('10.96.0.1/32');
  });

  it('compareCidr orders as the split-based comparison did (property)', () => {
    const rng = new Rng(5);
    const cidrs = ['10.0.0.1/32', '10.0.0.1/24', '10.0.0.10/32', '9.255.0.0/16', 'fd00::1/128', 'fd00::1/64', '10.0.0.2/32'];
    const old = (a: string, b: string): number => {
      const d = compareIp(a.split('/')[0]!, b.split('/')[0]!);
      return d !== 0 ? d : Number(a.split('/')[1]) - Number(b.split('/')[1]);
    };
    for (let n = 0; n < 200; n++) {
      const a = rng.pick(cidrs);
      const b = rng.pick(cidrs);
      expect(Math.sign(compareCidr(a, b)), `${a} ${b}`).to.equal(Math.sign(old(a, b)));
    }
  });

  it('canonicalState shares the objects of a canonical state and still sorts a state that is not', () => {
    const a = vs('10.96.0.1', [rs('10.244.0.1')]);
    const b = vs('10.96.0.2', [rs('10.244.0.2')]);
    const c = canonicalState({ virtualServers: [b, a], ipsets: [] });
    expect(c.virtualServers).to.have.length(2);
    expect(c.virtualServers[0]).to.equal(a);
    expect(c.virtualServers[1]).to.equal(b);
  });

  it('gives the same value as a plain canonical copy on random virtual servers (property)', () => {
    const rng = new Rng(20261122);
    const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.10', 'fd00::1', 'fd00:0:0::2', '192.168.1.1'];
    for (let n = 0; n < 500; n++) {
      const realServers: RealServer[] = [];
      for (let i = rng.int(5); i > 0; i--) {
        const r = rs(rng.pick(addresses), rng.pick([80, 443, 8080]));
        if (rng.chance(0.2)) r.upperThreshold = rng.int(3);
        if (rng.chance(0.2)) r.lowerThreshold = rng.int(3);
        realServers.push(r);
      }
      const flags = rng.subset(SERVICE_FLAG_ORDER as ServiceFlag[], 0.2);
      if (rng.chance(0.3)) flags.reverse();
      const v = vs(rng.pick(addresses), realServers, { flags });
      if (rng.chance(0.3)) v.timeout = 60;
      if (rng.chance(0.2)) v.netmask = rng.pick(['255.255.255.255', '255.255.0.0']);
      const c = canonicalVirtualServer(v);
      expect(c).to.deep.equal(plainCanonical(v));
      expect(JSON.stringify(c)).to.equal(JSON.stringify(plainCanonical(v)));
      expect(canonicalVirtualServer(c)).to.equal(c);
      expect(isCanonicalVirtualServer(v)).to.equal(c === v);
      for (const r of c.realServers) expect(isCanonicalRealServer(r)).to.equal(true);
    }
  });
});

/** The copy canonicalVirtualServer made before it learnt to return canonical input as it is. */
function plainCanonical(v: VirtualServer): VirtualServer {
  const out = {} as VirtualServer;
  if (v.fwmark !== undefined) {
    out.fwmark = v.fwmark;
    out.family = v.family ?? 'inet';
  } else {
    out.protocol = v.protocol;
    out.address = canonicalCidr(v.address!).split('/')[0]!;
    out.port = v.port;
  }
  out.scheduler = v.scheduler;
  out.flags = SERVICE_FLAG_ORDER.filter((f) => v.flags.includes(f));
  if (out.flags.includes('persistent') && v.timeout !== undefined) out.timeout = v.timeout;
  if (v.netmask !== undefined && v.netmask !== '255.255.255.255' && v.netmask !== 128) out.netmask = v.netmask;
  if (v.pe) out.pe = v.pe;
  out.realServers = v.realServers
    .map((r) => {
      const o: RealServer = { address: canonicalCidr(r.address).split('/')[0]!, port: r.port, weight: r.weight, forward: r.forward };
      if (r.upperThreshold) o.upperThreshold = r.upperThreshold;
      if (r.lowerThreshold) o.lowerThreshold = r.lowerThreshold;
      return o;
    })
    .sort(compareRealServers);
  return out;
}
