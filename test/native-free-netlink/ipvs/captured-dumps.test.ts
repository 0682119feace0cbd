// Listings, config and the kernel's answers to our own requests, as values (fixtures made by capture.sh in
// the e2e VM; see CAPTURED.md). Byte-for-byte both ways is captured.test.ts.
import { expect } from 'chai';
import { read } from '../../../native-free-netlink/core/attributes.js';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_ERROR } from '../../../native-free-netlink/core/message.js';
import { decodeFamily, GENL_ID_CTRL } from '../../../native-free-netlink/genetlink/ctrl.js';
import { decodeGenl } from '../../../native-free-netlink/genetlink/genl.js';
import {
  decodeConfig,
  decodeDestinationList,
  decodeInfo,
  decodeIpvsAck,
  decodeIpvsRequest,
  decodeService,
  decodeServiceList,
  describeServiceKey,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED1,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_CMD_GET_DEST,
  IPVS_SVC_ATTR_FLAGS,
  IPVS_CMD_GET_SERVICE,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_SERVICE,
  type IpvsDestinationEntry,
  type IpvsServiceEntry,
  type IpvsServiceKey,
} from '../../../native-free-netlink/ipvs/index.js';
import { answersTo, ipvsRequests, loadFixture, type Fixture } from './fixtures.js';

const ALL = 0xffffffff;

/** The only IPVS request of one of our own fixtures, and the kernel's answer to it. */
function ours(name: string) {
  const f = loadFixture(name);
  const [req] = ipvsRequests(f);
  return { f, req: req!, answer: answersTo(f, req!) };
}

/** ipvsadm -L: the services dump, and each service's GET_DEST dump keyed by the service. */
function listing(f: Fixture): { services: IpvsServiceEntry[]; dests: Map<string, IpvsDestinationEntry[]> } {
  const reqs = ipvsRequests(f);
  const dump = reqs.find((m) => decodeGenl(m.payload).cmd === IPVS_CMD_GET_SERVICE)!;
  const list = decodeServiceList(answersTo(f, dump));
  expect([list.done, list.interrupted]).to.deep.equal([true, false]);
  const dests = new Map<string, IpvsDestinationEntry[]>();
  for (const m of reqs.filter((r) => decodeGenl(r.payload).cmd === IPVS_CMD_GET_DEST)) {
    const service = decodeIpvsRequest(m).service as IpvsServiceKey;
    const d = decodeDestinationList(answersTo(f, m), { service });
    expect(d.done).to.equal(true);
    dests.set(describeServiceKey(service), d.entries);
  }
  return { services: list.entries, dests };
}


describe('ipvs captured fixtures: listings and our own requests', () => {
  it('GETFAMILY "IPVS": id, version, maxattr and the 16 commands with their capabilities', () => {
    const f = loadFixture('ipvsadm-add-rr');
    const reply = f.datagrams.find((d) => d.direction === 'reply' && d.messages[0]!.type === GENL_ID_CTRL)!.messages[0]!;
    const fam = decodeFamily(reply);
    expect({ ...fam, ops: fam.ops.map((o) => o.id) }).to.deep.equal({
      id: 32,
      name: 'IPVS',
      version: 1,
      hdrSize: 0,
      maxAttr: 6,
      // every command but SET_INFO (14), which only names GET_INFO's reply
      ops: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17],
      mcastGroups: [],
    });
    // GENL_ADMIN_PERM 0x1 | CMD_CAP_DO 0x2 | CMD_CAP_DUMP 0x4 | CMD_CAP_HASPOL 0x8
    expect(fam.ops.find((o) => o.id === IPVS_CMD_GET_SERVICE)!.flags).to.equal(0xf);
    expect(fam.ops.find((o) => o.id === IPVS_CMD_GET_DEST)!.flags).to.equal(0xd);
  });

  it('ipvsadm -Ln: every service as configured, destinations newest first', () => {
    const { services, dests } = listing(loadFixture('ipvsadm-list'));
    const s = (address: string, port: number, more: object = {}) => ({
      family: address.includes(':') ? AF_INET6 : AF_INET,
      protocol: 6,
      address,
      port,
      fwmark: 0,
      scheduler: 'rr',
      flags: 0,
      timeout: 0,
      netmask: address.includes(':') ? 128 : ALL,
      ...more,
    });
    const want = [
      s('', 0, { protocol: 0, fwmark: 5 }),
      s('10.96.0.15', 80, { protocol: 132 }),
      s('10.96.0.10', 80, { scheduler: 'wrr' }),
      s('10.96.0.11', 443, { flags: IP_VS_SVC_F_PERSISTENT, timeout: 300 }),
      s('10.96.0.12', 80, { scheduler: 'sh', flags: 0x18 }),
      s('10.96.0.14', 80, { flags: IP_VS_SVC_F_PERSISTENT, timeout: 600, netmask: 0xffffff00 }),
      s('fd00:10:96::a', 80),
      s('fd00:10:96::b', 80, { flags: IP_VS_SVC_F_PERSISTENT, timeout: 300, netmask: 64 }),
      s('10.96.0.13', 53, { protocol: 17, scheduler: 'wlc' }),
    ];
    const order = (xs: IpvsServiceKey[]) => [...xs].sort((a, b) => describeServiceKey(a).localeCompare(describeServiceKey(b)));
    expect(order(services.map((e) => e.service))).to.deep.equal(order(want as IpvsServiceKey[]));
    const d = (k: string) => dests.get(k)!.map((e) => `${e.destination.address}:${e.destination.port} fwd ${e.destination.forward} w ${e.destination.weight}`);
    expect(d('tcp 10.96.0.10:80')).to.deep.equal(['10.244.1.4:80 fwd 2 w 1', '10.244.1.3:80 fwd 3 w 1', '10.244.1.2:8080 fwd 0 w 0']);
    expect(d('tcp 10.96.0.11:443')).to.deep.equal(['10.244.1.6:8443 fwd 0 w 3']);
    expect(d('fwmark 5')).to.deep.equal(['10.244.1.5:0 fwd 0 w 1']);
    expect(d('tcp [fd00:10:96::a]:80')).to.deep.equal(['fd00:10:244::2:8080 fwd 0 w 1']);
    expect(d('tcp 10.96.0.12:80')).to.deep.equal([]);
    const thresholds = dests.get('tcp 10.96.0.11:443')![0]!.destination;
    expect([thresholds.upperThreshold, thresholds.lowerThreshold]).to.deep.equal([100, 10]);
    // The kernel (>= 5.3) reports the tunnel attributes for every destination, zero unless tunnelled.
    expect(dests.get('tcp 10.96.0.10:80')!.every((e) => JSON.stringify(e.destination.tunnel) === '{"type":0,"port":0,"flags":0}')).to.equal(true);
  });

  it('ipvsadm -Ln: dump requests carry NLM_F_ACK, yet the kernel ends dumps with NLMSG_DONE and no ack', () => {
    const f = loadFixture('ipvsadm-list');
    const dumps = ipvsRequests(f).filter((m) => m.flags & NLM_F_DUMP);
    expect(dumps.length).to.equal(10);
    for (const m of dumps) {
      expect(m.flags).to.equal(NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
      expect(answersTo(f, m).some((r) => r.type === NLMSG_ERROR)).to.equal(false);
    }
  });

  it('ipvsadm -Ln --stats: counters of 3 UDP datagrams and 1 TCP SYN, STATS equal to STATS64', () => {
    const { services, dests } = listing(loadFixture('ipvsadm-list-stats'));
    const udp = services.find((e) => describeServiceKey(e.service) === 'udp 10.96.0.13:53')!;
    expect(udp.stats.stats64).to.include({ conns: 3n, inpkts: 3n, outpkts: 0n, inbytes: 108n, outbytes: 0n });
    expect(udp.stats.stats).to.deep.equal(udp.stats.stats64);
    const tcp = services.find((e) => describeServiceKey(e.service) === 'tcp 10.96.0.10:80')!;
    expect(tcp.stats.stats64).to.include({ conns: 1n, inpkts: 1n, inbytes: 60n });
    // UDP "connections" count as inactive; the TCP one is active on the destination rr picked.
    expect(dests.get('udp 10.96.0.13:53')![0]!.stats).to.include({ activeConns: 0, inactiveConns: 3, persistConns: 0 });
    expect(dests.get('tcp 10.96.0.10:80')!.map((e) => e.stats.activeConns)).to.deep.equal([1, 0, 0]);
  });

  it('ipvsadm -L --timeout and ours GET_CONFIG read back what --set 900 120 300 wrote', () => {
    const f = loadFixture('ipvsadm-list-timeouts');
    const [req] = ipvsRequests(f).slice(-1);
    expect(decodeConfig(answersTo(f, req!))).to.deep.equal({ tcp: 900, tcpFin: 120, udp: 300 });
    const o = ours('ours-get-config');
    expect(decodeConfig(o.answer)).to.deep.equal({ tcp: 900, tcpFin: 120, udp: 300 });
    const p = ours('ours-set-config-partial');
    expect(decodeIpvsRequest(p.req).timeouts).to.deep.equal({ udp: 301 });
    expect(decodeIpvsAck(p.answer, IPVS_CMD_SET_CONFIG)).to.equal(true);
  });

  it('ours GET_INFO: version 1.2.1, connection table 4096', () => {
    expect(decodeInfo(ours('ours-get-info').answer)).to.deep.equal({ version: '1.2.1', connTableSize: 4096 });
  });

  it('the kernel accepts our default request form and the compact one (4-byte address, no NLA_F_NESTED)', () => {
    for (const name of ['ours-new-service', 'ours-new-service-compact-nonested', 'ours-new-service-ipv6-persistent']) {
      const o = ours(name);
      expect(decodeIpvsAck(o.answer, IPVS_CMD_NEW_SERVICE), name).to.equal(true);
    }
    const compact = decodeIpvsRequest(ours('ours-new-service-compact-nonested').req);
    expect([compact.nestedFlag, compact.ipv4AddressLength]).to.deep.equal([false, 4]);
  });

  it('ours GET_SERVICE: one service, no NLM_F_MULTI, then the ack; a missing one is ESRCH', () => {
    const o = ours('ours-get-service');
    expect(o.answer.map((m) => m.type)).to.deep.equal([32, NLMSG_ERROR]);
    expect(o.answer[0]!.flags).to.equal(0);
    expect(decodeService(o.answer).service).to.deep.equal({
      family: AF_INET,
      protocol: 6,
      address: '10.96.1.10',
      port: 80,
      fwmark: 0,
      scheduler: 'rr',
      flags: 0,
      timeout: 0,
      netmask: ALL,
    });
    const missing = ours('ours-get-service-missing');
    expect(() => decodeService(missing.answer, { object: { service: decodeIpvsRequest(missing.req).service! } })).to.throw(
      'GET_SERVICE tcp 10.96.1.99:80: ESRCH (no such service)',
    );
  });

  it('HASHED is never sent (flags 3 goes out as 1), and a flags mask keeps the other bits', () => {
    const hashed = ours('ours-set-service-hashed-stripped');
    const nest = decodeGenl(hashed.req.payload).attrs.find((a) => a.type === IPVS_CMD_ATTR_SERVICE)!;
    const flagsAttr = read.nested(nest).find((a) => a.type === IPVS_SVC_ATTR_FLAGS)!;
    expect(Array.from(flagsAttr.data)).to.deep.equal([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    expect(decodeIpvsAck(hashed.answer, IPVS_CMD_SET_SERVICE)).to.equal(true);
    const masked = ours('ours-set-service-flags-mask');
    expect(decodeIpvsRequest(masked.req).flagsMask).to.equal(IP_VS_SVC_F_SCHED1);
    const after = ours('ours-get-service-after-mask');
    expect(decodeService(after.answer).service.flags).to.equal(IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_SCHED1);
  });

  it('a mixed-family destination: EINVAL with masq, accepted with tunnel forwarding, listed with its own family', () => {
    const masq = ours('ours-new-dest-mixed-family');
    const r = decodeIpvsRequest(masq.req);
    expect(() => decodeIpvsAck(masq.answer, IPVS_CMD_NEW_DEST, { service: r.service!, destination: r.destination! })).to.throw(
      'NEW_DEST tcp 10.96.1.10:80 -> [fd00:10:244::9]:8080: EINVAL',
    );
    expect(decodeIpvsAck(ours('ours-new-dest-mixed-family-tunnel').answer, IPVS_CMD_NEW_DEST)).to.equal(true);
    const list = decodeDestinationList(ours('ours-dump-dests').answer, { service: r.service! });
    expect(list.entries.map((e) => [e.destination.family, e.destination.address, e.destination.forward])).to.deep.equal([
      [AF_INET6, 'fd00:10:244::9', 2],
      [AF_INET, '10.244.1.2', 0],
    ]);
  });

  it('GET_DEST of a service that does not exist: an empty dump, not ESRCH', () => {
    const o = ours('ours-dump-dests-missing-service');
    expect(o.answer.map((m) => m.type)).to.deep.equal([3]);
    expect(decodeDestinationList(o.answer)).to.deep.equal({ entries: [], interrupted: false, done: true });
  });

  it('a dump of 300+ services spans many datagrams, none flagged NLM_F_DUMP_INTR', () => {
    const o = ours('ours-dump-services-many');
    const datagrams = o.f.datagrams.filter((d) => d.direction === 'reply' && d.messages.some((m) => m.seq === o.req.seq));
    expect(datagrams.length).to.be.greaterThan(10);
    const list = decodeServiceList(o.answer, { familyId: o.req.type });
    expect([list.done, list.interrupted]).to.deep.equal([true, false]);
    const restored = list.entries.filter((e) => e.service.address.startsWith('10.97.'));
    expect(restored.length).to.equal(300);
    expect(new Set(restored.map((e) => e.service.address)).size).to.equal(300);
  });
});
