// Real tools -> our reader: IPVS services, ipsets and kube-ipvs0 addresses are set up with ipvsadm -R,
// ipset restore and ip(8), then `ipvs-proxier dump --json` must print exactly the hand-written state below,
// and `ipvs-proxier dump`'s text view must show the same service and real-server lines as `ipvsadm -Ln`.
// The JSON comes from the CLI as its own process; the text view from the same command run in-process
// (dumpCommand: what main.ts dispatches to), because every Node start costs many seconds in the VM.
// Runs in the e2e VM (npm run e2e); starts from a clean kernel and removes exactly what it made.
import { expect } from 'chai';
import { dumpCommand } from '../../../lib/cli/dump-command.js';
import type { State } from '../../../lib/state/types.js';
import {
  addNodeLink, cleanKernelOrSkip, deleteLink, deleteServices, destroySets, ipsetNames, ipvsadmSave, run, runCli, snapshot,
  type KernelSnapshot,
} from './kernel-tools.js';

/** ipvsadm -R input: every scheduler kube-proxy users pick, flags, persistence, weights, thresholds, v4/v6, fwmark. */
const IPVSADM_RULES = `
-A -t 10.96.0.10:80 -s rr
-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1
-a -t 10.96.0.10:80 -r 10.244.1.3:8080 -m -w 3
-A -u 10.96.0.10:53 -s sh -b sh-port,sh-fallback
-a -u 10.96.0.10:53 -r 10.244.1.4:53 -m -w 2
-A -t 10.96.0.11:443 -s wlc -p 300 -M 255.255.255.0
-a -t 10.96.0.11:443 -r 10.244.2.1:8443 -m -w 5 -x 100 -y 10
-A -t 10.96.0.12:80 -s mh -b mh-port
-a -t 10.96.0.12:80 -r 10.244.2.2:80 -m -w 1
-a -t 10.96.0.12:80 -r 10.244.2.3:80 -m -w 0
-a -t 10.96.0.12:80 -r 192.168.122.20:80 -g -w 1
-A -u 10.96.0.14:514 -s lc -o
-a -u 10.96.0.14:514 -r 10.244.2.4:514 -m -w 1
-A --sctp-service 10.96.0.13:7777 -s rr
-a --sctp-service 10.96.0.13:7777 -r 10.244.2.5:7777 -m -w 1
-A -t 192.168.122.10:31122 -s rr
-a -t 192.168.122.10:31122 -r 10.244.1.2:8080 -m -w 1
-A -t [fd00:10:96::a]:443 -s lc
-a -t [fd00:10:96::a]:443 -r [fd00:244::5]:8443 -m -w 1
-A -u [fd00:10:96::b]:53 -s rr -p 600 -M 64
-a -u [fd00:10:96::b]:53 -r [fd00:244::6]:53 -m -w 4
-A -f 5 -s rr
-a -f 5 -r 10.244.3.1:0 -m -w 1
-a -f 5 -r 10.244.3.2:0 -i -w 1
-A -f 6 -6 -s wlc
-a -f 6 -6 -r [fd00:244::7]:0 -m -w 1
`;

const SERVICES = [
  ['-t', '10.96.0.10:80'], ['-u', '10.96.0.10:53'], ['-t', '10.96.0.11:443'], ['-t', '10.96.0.12:80'], ['-u', '10.96.0.14:514'],
  ['--sctp-service', '10.96.0.13:7777'], ['-t', '192.168.122.10:31122'], ['-t', '[fd00:10:96::a]:443'], ['-u', '[fd00:10:96::b]:53'],
  ['-f', '5'], ['-f', '6', '-6'],
];

/** ipset restore input: the five kinds kube-proxy uses, an inet6 set, non-default sizes and ranges. */
const IPSET_RESTORE = `
create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536
add KUBE-CLUSTER-IP 10.96.0.10,tcp:80
add KUBE-CLUSTER-IP 10.96.0.10,udp:53
add KUBE-CLUSTER-IP 10.96.0.13,sctp:7777
create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536
add KUBE-LOOP-BACK 10.244.1.2,tcp:8080,10.244.1.2
add KUBE-LOOP-BACK 10.244.1.4,udp:53,10.244.1.4
create KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net family inet hashsize 1024 maxelem 65536
add KUBE-LOAD-BALANCER-SOURCE-CIDR 203.0.113.7,tcp:80,10.0.0.0/8
add KUBE-LOAD-BALANCER-SOURCE-CIDR 203.0.113.7,tcp:80,192.168.0.0/16
create KUBE-NODE-PORT-TCP bitmap:port range 0-65535
add KUBE-NODE-PORT-TCP 30000
add KUBE-NODE-PORT-TCP 31122
create KUBE-NODE-PORT-UDP bitmap:port range 30000-32767
create KUBE-IPVS-IPS hash:ip family inet hashsize 64 maxelem 1000
add KUBE-IPVS-IPS 10.96.0.10
add KUBE-IPVS-IPS 10.96.0.11
create KUBE-6-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536
add KUBE-6-CLUSTER-IP fd00:10:96::a,tcp:443
add KUBE-6-CLUSTER-IP fd00:10:96::b,udp:53
`;
const SETS = ['KUBE-CLUSTER-IP', 'KUBE-LOOP-BACK', 'KUBE-LOAD-BALANCER-SOURCE-CIDR', 'KUBE-NODE-PORT-TCP', 'KUBE-NODE-PORT-UDP', 'KUBE-IPVS-IPS', 'KUBE-6-CLUSTER-IP'];

const KUBE_IPVS0_ADDRESSES = ['10.96.0.10/32', '10.96.0.11/32', 'fd00:10:96::a/128', 'fd00:10:96::b/128'];

const masq = (address: string, port: number, weight = 1) => ({ address, port, weight, forward: 'masq' as const });

/** What `dump --json` must print, written by hand in canonical order (tcp, udp, sctp; v4 before v6; fwmarks last). */
const EXPECTED: State = {
  interface: { name: 'kube-ipvs0', addresses: KUBE_IPVS0_ADDRESSES },
  virtualServers: [
    { protocol: 'tcp', address: '10.96.0.10', port: 80, scheduler: 'rr', flags: [], realServers: [masq('10.244.1.2', 8080), masq('10.244.1.3', 8080, 3)] },
    {
      protocol: 'tcp', address: '10.96.0.11', port: 443, scheduler: 'wlc', flags: ['persistent'], timeout: 300, netmask: '255.255.255.0',
      realServers: [{ ...masq('10.244.2.1', 8443, 5), upperThreshold: 100, lowerThreshold: 10 }],
    },
    {
      protocol: 'tcp', address: '10.96.0.12', port: 80, scheduler: 'mh', flags: ['mh-port'],
      realServers: [masq('10.244.2.2', 80), masq('10.244.2.3', 80, 0), { address: '192.168.122.20', port: 80, weight: 1, forward: 'route' }],
    },
    { protocol: 'tcp', address: '192.168.122.10', port: 31122, scheduler: 'rr', flags: [], realServers: [masq('10.244.1.2', 8080)] },
    { protocol: 'tcp', address: 'fd00:10:96::a', port: 443, scheduler: 'lc', flags: [], realServers: [masq('fd00:244::5', 8443)] },
    { protocol: 'udp', address: '10.96.0.10', port: 53, scheduler: 'sh', flags: ['sh-fallback', 'sh-port'], realServers: [masq('10.244.1.4', 53, 2)] },
    { protocol: 'udp', address: '10.96.0.14', port: 514, scheduler: 'lc', flags: ['one-packet'], realServers: [masq('10.244.2.4', 514)] },
    {
      protocol: 'udp', address: 'fd00:10:96::b', port: 53, scheduler: 'rr', flags: ['persistent'], timeout: 600, netmask: 64,
      realServers: [masq('fd00:244::6', 53, 4)],
    },
    { protocol: 'sctp', address: '10.96.0.13', port: 7777, scheduler: 'rr', flags: [], realServers: [masq('10.244.2.5', 7777)] },
    {
      fwmark: 5, family: 'inet', scheduler: 'rr', flags: [],
      realServers: [masq('10.244.3.1', 0), { address: '10.244.3.2', port: 0, weight: 1, forward: 'tunnel' }],
    },
    { fwmark: 6, family: 'inet6', scheduler: 'wlc', flags: [], realServers: [masq('fd00:244::7', 0)] },
  ],
  ipsets: [
    { name: 'KUBE-6-CLUSTER-IP', type: 'hash:ip,port', family: 'inet6', entries: ['fd00:10:96::a,tcp:443', 'fd00:10:96::b,udp:53'], hashsize: 1024, maxelem: 65536 },
    {
      name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet',
      entries: ['10.96.0.10,tcp:80', '10.96.0.10,udp:53', '10.96.0.13,sctp:7777'], hashsize: 1024, maxelem: 65536,
    },
    { name: 'KUBE-IPVS-IPS', type: 'hash:ip', family: 'inet', entries: ['10.96.0.10', '10.96.0.11'], hashsize: 64, maxelem: 1000 },
    {
      name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', type: 'hash:ip,port,net', family: 'inet',
      entries: ['203.0.113.7,tcp:80,10.0.0.0/8', '203.0.113.7,tcp:80,192.168.0.0/16'], hashsize: 1024, maxelem: 65536,
    },
    {
      name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', family: 'inet',
      entries: ['10.244.1.2,tcp:8080,10.244.1.2', '10.244.1.4,udp:53,10.244.1.4'], hashsize: 1024, maxelem: 65536,
    },
    { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', family: 'inet', entries: ['30000', '31122'], range: '0-65535' },
    { name: 'KUBE-NODE-PORT-UDP', type: 'bitmap:port', family: 'inet', entries: [], range: '30000-32767' },
  ],
};

/** `ipvsadm -Ln` and our text view, as blocks: a service line with its real-server lines (sorted). */
function ipvsBlocks(text: string): string[] {
  const ipvsPart = text.split('\n\n')[0]!;
  const blocks: string[][] = [];
  for (const line of ipvsPart.split('\n').filter((l) => l !== '')) {
    if (line.startsWith('  -> ') && blocks.length > 0) blocks[blocks.length - 1]!.push(line);
    else blocks.push([line]);
  }
  return blocks.map(([head, ...rs]) => [head, ...rs.sort()].join('\n')).sort();
}

describe('netlink e2e: state set by the real tools, read back by `ipvs-proxier dump`', function () {
  this.timeout(120_000);
  let baseline: KernelSnapshot | undefined;

  before(async function () {
    baseline = await cleanKernelOrSkip(this);
    addNodeLink('node0', ['192.168.122.10/24']);
    run('ip', ['link', 'add', 'kube-ipvs0', 'type', 'dummy']);
    for (const a of KUBE_IPVS0_ADDRESSES) run('ip', ['addr', 'add', a, 'dev', 'kube-ipvs0']);
    run('ipvsadm', ['-R'], IPVSADM_RULES.trimStart());
    run('ipset', ['restore'], IPSET_RESTORE.trimStart());
  });

  after(async function () {
    if (!baseline) return;
    deleteServices(SERVICES);
    destroySets(SETS);
    deleteLink('kube-ipvs0');
    deleteLink('node0');
    expect(await snapshot(), 'the kernel after cleanup').to.deep.equal(baseline);
  });

  it('the setup took: ipvsadm and ipset list what the tools were told', () => {
    // Guards the test itself: a line the tools silently dropped would make the comparison below vacuous.
    expect(ipvsadmSave()).to.have.length(IPVSADM_RULES.trim().split('\n').length);
    expect(ipsetNames()).to.deep.equal([...SETS].sort());
  });

  it('`dump --json` prints exactly the hand-written state', () => {
    const r = runCli(['dump', '--json']);
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal(EXPECTED);
  });

  it('`dump` text shows the same service and real-server lines as `ipvsadm -Ln`', async () => {
    let ours = '';
    expect(await dumpCommand([], (s) => void (ours += s))).to.equal(0);
    const theirs = run('ipvsadm', ['-Ln']);
    const blocks = ipvsBlocks(ours);
    // The version line, the two header lines (one block), one block per service.
    expect(blocks).to.have.length(2 + SERVICES.length);
    expect(blocks).to.deep.equal(ipvsBlocks(theirs));
    // And the rest of the text view lists the sets and the addresses.
    const rest = ours.split('\n\n').slice(1).join('\n\n');
    for (const s of SETS) expect(rest).to.include(`ipset ${s} `);
    expect(rest).to.include(`kube-ipvs0 addresses (4):\n${KUBE_IPVS0_ADDRESSES.map((a) => `  ${a}\n`).join('')}`);
  });

  it('`dump --stats` shows the same counter lines as `ipvsadm -Ln --stats`', async () => {
    let ours = '';
    expect(await dumpCommand(['--stats'], (s) => void (ours += s))).to.equal(0);
    const blocks = ipvsBlocks(ours);
    expect(blocks).to.have.length(2 + SERVICES.length);
    expect(blocks).to.deep.equal(ipvsBlocks(run('ipvsadm', ['-Ln', '--stats'])));
  });
});
