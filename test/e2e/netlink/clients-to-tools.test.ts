// Our clients -> the real tools: IPVS services, ipsets and kube-ipvs0 with its addresses are created through
// IpvsClient, IpsetClient and LinkClient (our codec on our sockets), then read back by ipvsadm -Sn, ipset
// save and ip -j addr, each compared with the full text written by hand. IPv4 and IPv6.
// Runs in the e2e VM (npm run e2e); starts from a clean kernel and removes exactly what it made.
import { expect } from 'chai';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import {
  IPVS_CMD_NEW_DEST, IPVS_CMD_NEW_SERVICE, newDestination, newService, type IpvsDestination, type IpvsService,
} from '../../../native-free-netlink/ipvs/index.js';
import { addAddress, createLink } from '../../../native-free-netlink/rtnetlink/index.js';
import { openKernelEngine, type KernelEngine } from '../../../lib/engine/engine.js';
import { IPSET_CMD_ADD } from '../../../lib/kernel/ipset-client.js';
import type { Family } from '../../../lib/state/types.js';
import {
  addNodeLink, cleanKernelOrSkip, deleteLink, deleteServices, destroySets, ipsetSave, ipvsadmSave, linkAddresses, linkDetails, run, snapshot,
  type KernelSnapshot,
} from './kernel-tools.js';

const TCP = 6;
const UDP = 17;
const SCTP = 132;
const F_PERSISTENT = 0x1;
const F_SCHED1 = 0x8; // sh-fallback / mh-fallback
const F_SCHED2 = 0x10; // sh-port / mh-port
const MASQ = 0;
const TUNNEL = 2;
const DROUTE = 3;

function svc(protocol: number, address: string, port: number, scheduler: string, more: Partial<IpvsService> = {}): IpvsService {
  const v6 = address.includes(':');
  return { family: v6 ? AF_INET6 : AF_INET, protocol, address, port, fwmark: 0, scheduler, flags: 0, timeout: 0, netmask: v6 ? 128 : 0xffffffff, ...more };
}

function fwm(mark: number, v6: boolean, scheduler: string): IpvsService {
  return { family: v6 ? AF_INET6 : AF_INET, protocol: 0, address: '', port: 0, fwmark: mark, scheduler, flags: 0, timeout: 0, netmask: v6 ? 128 : 0xffffffff };
}

function dest(address: string, port: number, weight = 1, more: Partial<IpvsDestination> = {}): IpvsDestination {
  return { family: address.includes(':') ? AF_INET6 : AF_INET, address, port, forward: MASQ, weight, upperThreshold: 0, lowerThreshold: 0, ...more };
}

const PROGRAM: { service: IpvsService; destinations: IpvsDestination[] }[] = [
  { service: svc(TCP, '10.96.1.10', 80, 'rr'), destinations: [dest('10.244.5.2', 8080), dest('10.244.5.3', 8080, 2)] },
  { service: svc(UDP, '10.96.1.10', 53, 'sh', { flags: F_SCHED1 | F_SCHED2 }), destinations: [dest('10.244.5.4', 53)] },
  {
    service: svc(TCP, '10.96.1.11', 443, 'wlc', { flags: F_PERSISTENT, timeout: 300, netmask: 0xffffff00 }),
    destinations: [dest('10.244.5.5', 8443, 5, { upperThreshold: 100, lowerThreshold: 10 })],
  },
  { service: svc(TCP, '10.96.1.12', 80, 'mh', { flags: F_SCHED2 }), destinations: [dest('10.244.5.6', 80, 0), dest('192.168.122.21', 80, 1, { forward: DROUTE })] },
  { service: svc(SCTP, '10.96.1.13', 7777, 'lc'), destinations: [dest('10.244.5.7', 7777)] },
  { service: svc(TCP, '192.168.122.10', 30080, 'rr'), destinations: [dest('10.244.5.2', 8080)] },
  { service: svc(TCP, 'fd00:10:96:1::a', 443, 'rr'), destinations: [dest('fd00:244:1::5', 8443)] },
  { service: svc(UDP, 'fd00:10:96:1::b', 53, 'sh', { flags: F_PERSISTENT | F_SCHED2, timeout: 600, netmask: 64 }), destinations: [dest('fd00:244:1::6', 53, 3)] },
  { service: fwm(7, false, 'rr'), destinations: [dest('10.244.5.9', 0), dest('10.244.5.10', 0, 1, { forward: TUNNEL })] },
  { service: fwm(8, true, 'wlc'), destinations: [dest('fd00:244:1::9', 0)] },
];

/** What `ipvsadm -Sn` must print for PROGRAM, sorted. */
const EXPECTED_IPVSADM = [
  '-A -t 10.96.1.10:80 -s rr',
  '-a -t 10.96.1.10:80 -r 10.244.5.2:8080 -m -w 1',
  '-a -t 10.96.1.10:80 -r 10.244.5.3:8080 -m -w 2',
  '-A -u 10.96.1.10:53 -s sh -b sh-fallback,sh-port',
  '-a -u 10.96.1.10:53 -r 10.244.5.4:53 -m -w 1',
  '-A -t 10.96.1.11:443 -s wlc -p 300 -M 255.255.255.0',
  // ipvsadm -S does not print thresholds (they are checked with -Ln --thresholds below).
  '-a -t 10.96.1.11:443 -r 10.244.5.5:8443 -m -w 5',
  '-A -t 10.96.1.12:80 -s mh -b mh-port',
  '-a -t 10.96.1.12:80 -r 10.244.5.6:80 -m -w 0',
  '-a -t 10.96.1.12:80 -r 192.168.122.21:80 -g -w 1',
  '-A --sctp-service 10.96.1.13:7777 -s lc',
  '-a --sctp-service 10.96.1.13:7777 -r 10.244.5.7:7777 -m -w 1',
  '-A -t 192.168.122.10:30080 -s rr',
  '-a -t 192.168.122.10:30080 -r 10.244.5.2:8080 -m -w 1',
  '-A -t [fd00:10:96:1::a]:443 -s rr',
  '-a -t [fd00:10:96:1::a]:443 -r [fd00:244:1::5]:8443 -m -w 1',
  '-A -u [fd00:10:96:1::b]:53 -s sh -p 600 -M 64 -b sh-port',
  '-a -u [fd00:10:96:1::b]:53 -r [fd00:244:1::6]:53 -m -w 3',
  '-A -f 7 -s rr',
  '-a -f 7 -r 10.244.5.9:0 -m -w 1',
  '-a -f 7 -r 10.244.5.10:0 -i -w 1 --tun-type ipip',
  '-A -f 8 -6 -s wlc',
  '-a -f 8 -6 -r [fd00:244:1::9]:0 -m -w 1',
].sort();

const SERVICES = [
  ['-t', '10.96.1.10:80'], ['-u', '10.96.1.10:53'], ['-t', '10.96.1.11:443'], ['-t', '10.96.1.12:80'], ['--sctp-service', '10.96.1.13:7777'],
  ['-t', '192.168.122.10:30080'], ['-t', '[fd00:10:96:1::a]:443'], ['-u', '[fd00:10:96:1::b]:53'], ['-f', '7'], ['-f', '8', '-6'],
];

interface SetSpec {
  name: string;
  type: string;
  family: Family;
  options: { hashsize?: number; maxelem?: number; range?: string };
  members: string[];
}

const SETS: SetSpec[] = [
  { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', options: {}, members: ['10.96.1.10,tcp:80', '10.96.1.10,udp:53', '10.96.1.13,sctp:7777'] },
  { name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', family: 'inet', options: {}, members: ['10.244.5.2,tcp:8080,10.244.5.2', '10.244.5.4,udp:53,10.244.5.4'] },
  { name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', type: 'hash:ip,port,net', family: 'inet', options: {}, members: ['203.0.113.8,tcp:443,172.16.0.0/12', '203.0.113.8,tcp:443,10.1.2.0/24'] },
  { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', family: 'inet', options: {}, members: ['30080', '31000'] },
  { name: 'KUBE-HEALTH-CHECK-NODE-PORT', type: 'bitmap:port', family: 'inet', options: { range: '30000-32767' }, members: ['32000'] },
  { name: 'KUBE-IPVS-IPS', type: 'hash:ip', family: 'inet', options: { hashsize: 64, maxelem: 2048 }, members: ['10.96.1.10', '10.96.1.11'] },
  { name: 'KUBE-6-CLUSTER-IP', type: 'hash:ip,port', family: 'inet6', options: {}, members: ['fd00:10:96:1::a,tcp:443', 'fd00:10:96:1::b,udp:53'] },
  { name: 'KUBE-6-LOOP-BACK', type: 'hash:ip,port,ip', family: 'inet6', options: {}, members: ['fd00:244:1::5,tcp:8443,fd00:244:1::5'] },
];

/** What `ipset save` must print for SETS (initval removed), sorted. */
const EXPECTED_IPSET_SAVE = [
  'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12',
  'add KUBE-CLUSTER-IP 10.96.1.10,tcp:80',
  'add KUBE-CLUSTER-IP 10.96.1.10,udp:53',
  'add KUBE-CLUSTER-IP 10.96.1.13,sctp:7777',
  'create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536 bucketsize 12',
  'add KUBE-LOOP-BACK 10.244.5.2,tcp:8080,10.244.5.2',
  'add KUBE-LOOP-BACK 10.244.5.4,udp:53,10.244.5.4',
  'create KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net family inet hashsize 1024 maxelem 65536 bucketsize 12',
  'add KUBE-LOAD-BALANCER-SOURCE-CIDR 203.0.113.8,tcp:443,172.16.0.0/12',
  'add KUBE-LOAD-BALANCER-SOURCE-CIDR 203.0.113.8,tcp:443,10.1.2.0/24',
  'create KUBE-NODE-PORT-TCP bitmap:port range 0-65535',
  'add KUBE-NODE-PORT-TCP 30080',
  'add KUBE-NODE-PORT-TCP 31000',
  'create KUBE-HEALTH-CHECK-NODE-PORT bitmap:port range 30000-32767',
  'add KUBE-HEALTH-CHECK-NODE-PORT 32000',
  'create KUBE-IPVS-IPS hash:ip family inet hashsize 64 maxelem 2048 bucketsize 12',
  'add KUBE-IPVS-IPS 10.96.1.10',
  'add KUBE-IPVS-IPS 10.96.1.11',
  'create KUBE-6-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536 bucketsize 12',
  'add KUBE-6-CLUSTER-IP fd00:10:96:1::a,tcp:443',
  'add KUBE-6-CLUSTER-IP fd00:10:96:1::b,udp:53',
  'create KUBE-6-LOOP-BACK hash:ip,port,ip family inet6 hashsize 1024 maxelem 65536 bucketsize 12',
  'add KUBE-6-LOOP-BACK fd00:244:1::5,tcp:8443,fd00:244:1::5',
].sort();

const ADDRESSES = ['10.96.1.10/32', '10.96.1.11/32', 'fd00:10:96:1::a/128', 'fd00:10:96:1::b/128'];

describe('netlink e2e: state set through our clients, read back by the real tools', function () {
  this.timeout(120_000);
  let baseline: KernelSnapshot | undefined;
  let engine: KernelEngine | undefined;

  before(async function () {
    baseline = await cleanKernelOrSkip(this);
    addNodeLink('node0', ['192.168.122.10/24']);
    engine = await openKernelEngine();
  });

  after(async function () {
    engine?.close();
    if (!baseline) return;
    deleteServices(SERVICES);
    destroySets(SETS.map((s) => s.name));
    deleteLink('kube-ipvs0');
    deleteLink('node0');
    expect(await snapshot(), 'the kernel after cleanup').to.deep.equal(baseline);
  });

  it('IPVS services and real servers (IpvsClient, one batched exchange): `ipvsadm -Sn` prints exactly them', async () => {
    const { ipvs } = engine!.backends;
    const requests = PROGRAM.flatMap(({ service, destinations }) => [
      { message: newService(ipvs.familyId, 0, service), cmd: IPVS_CMD_NEW_SERVICE, object: { service } },
      ...destinations.map((d) => ({ message: newDestination(ipvs.familyId, 0, service, d), cmd: IPVS_CMD_NEW_DEST, object: { service, destination: d } })),
    ]);
    const errors = await ipvs.send(requests);
    expect(errors.map((e) => e?.message)).to.deep.equal(requests.map(() => undefined));
    expect(ipvsadmSave()).to.deep.equal(EXPECTED_IPVSADM);
    expect(run('ipvsadm', ['-Ln', '--thresholds'])).to.match(/^  -> 10\.244\.5\.5:8443 +100 +10 +0 +0 *$/m);
  });

  it('ipsets of every kind kube-proxy uses, inet and inet6 (IpsetClient): `ipset save` prints exactly them', async () => {
    const { ipset } = engine!.backends;
    const creates = await Promise.all(SETS.map((s) => ipset.create(s.name, s.type, s.family, s.options)));
    const adds = SETS.flatMap((s) => ipset.members(IPSET_CMD_ADD, s.name, s.type, s.family, s.members));
    const errors = await ipset.send([...creates, ...adds]);
    expect(errors.map((e) => e?.message)).to.deep.equal([...creates, ...adds].map(() => undefined));
    expect(ipsetSave()).to.deep.equal(EXPECTED_IPSET_SAVE);
  });

  it('kube-ipvs0 as a dummy link left down, with /32 and /128 addresses (LinkClient): `ip -j addr` lists exactly them', async () => {
    const { links } = engine!.backends;
    const [created] = await links.send([createLink({ name: 'kube-ipvs0', kind: 'dummy' }, 0)], () => ({ operation: 'RTM_NEWLINK', object: 'kube-ipvs0' }));
    expect(created?.message).to.equal(undefined);
    const link = await links.find('kube-ipvs0');
    expect(link, 'LinkClient.find after create').to.not.equal(undefined);
    const errors = await links.send(ADDRESSES.map((cidr) => addAddress({ index: link!.index, cidr }, 0)), (i) => ({ operation: 'RTM_NEWADDR', object: ADDRESSES[i]! }));
    expect(errors.map((e) => e?.message)).to.deep.equal(ADDRESSES.map(() => undefined));
    expect(linkAddresses('kube-ipvs0')).to.deep.equal(ADDRESSES);
    expect(linkDetails('kube-ipvs0')).to.deep.equal({ kind: 'dummy', operstate: 'DOWN', up: false });
    // And our own reader agrees with ip(8), in the same order-independent form.
    expect((await links.addressCidrs(link!.index)).sort()).to.deep.equal(ADDRESSES);
  });
});
