// The iptables backend against a real kernel: in a network namespace created (and deleted) here, with the
// real iptables-nft-* and iptables-legacy-* tools, run through CommandIptablesRunner's `prefix`
// (ip netns exec NAME ...). Needs root, `ip`, `ipset` and iptables; the host kernel has them (see
// /work/shared/reference/test-machine.md), and so does the e2e VM. Run by `npm run e2e`, not `npm test`.
//
// The tests of one backend build on each other, in order: apply, re-apply, change, foreign references,
// a failing restore, cleanup.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { LEDGER_CHAIN } from '../../../lib/iptables/ledger.js';
import { ownedIptablesState } from '../../../lib/iptables/owned.js';
import { CommandIptablesRunner, IptablesCommandError, type IptablesBackend, type IptablesRunner } from '../../../lib/iptables/runner.js';
import { parseIptablesSave, type SavedTables } from '../../../lib/iptables/save-parser.js';
import { cleanupIptables, readIptables, syncIptables } from '../../../lib/iptables/sync.js';
import type { IptablesFamily } from '../../../lib/iptables/tables.js';
import type { IptablesState } from '../../../lib/state/types.js';

const PORTALS = '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES';
const POSTROUTING_JUMP = '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING';
const FORWARD_JUMP = '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD';
const IPVS_FILTER_JUMP = '-m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER';
const MASQ_CLUSTER_IP = '! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ';
const TO_NODE_PORT = '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT';
const CLUSTER_IP_ACCEPT = '-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT';
const NODE_PORT_MASQ = '-p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ';
const LOOP_BACK = '-m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE';
const SNAT = '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully';

/** kube-proxy's IPVS-mode rules, in iptables-save's canonical form. */
function kubeState(): IptablesState {
  return {
    nat: {
      PREROUTING: [PORTALS],
      OUTPUT: [PORTALS],
      POSTROUTING: [POSTROUTING_JUMP],
      'KUBE-SERVICES': ['-s 127.0.0.0/8 -j RETURN', MASQ_CLUSTER_IP, TO_NODE_PORT, CLUSTER_IP_ACCEPT],
      'KUBE-MARK-MASQ': ['-j MARK --set-xmark 0x4000/0x4000'],
      'KUBE-NODE-PORT': [NODE_PORT_MASQ],
      'KUBE-POSTROUTING': [LOOP_BACK, '-m mark ! --mark 0x4000/0x4000 -j RETURN', '-j MARK --set-xmark 0x4000/0x0', SNAT],
    },
    filter: {
      FORWARD: [FORWARD_JUMP],
      INPUT: [IPVS_FILTER_JUMP],
      'KUBE-FORWARD': [
        '-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
        '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      ],
      'KUBE-IPVS-FILTER': [
        '-m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN',
        '-m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable',
      ],
    },
    'ip6-nat': {
      PREROUTING: [PORTALS],
      'KUBE-SERVICES': ['-s ::1/128 -j RETURN', '-m set --match-set KUBE-6-CLUSTER-IP dst,dst -j ACCEPT'],
    },
  };
}

/** The second state: KUBE-NODE-PORT is gone (and the jump to it), KUBE-SERVICES gained a rule. */
function changedState(): IptablesState {
  const s = kubeState();
  s.nat!['KUBE-SERVICES'] = ['-s 127.0.0.0/8 -j RETURN', MASQ_CLUSTER_IP, '-m set --match-set KUBE-LOAD-BALANCER dst,dst -j ACCEPT', CLUSTER_IP_ACCEPT];
  delete s.nat!['KUBE-NODE-PORT'];
  return s;
}

/** A runner that records every restore input, around the real one. */
class RecordingRunner implements IptablesRunner {
  readonly restores: { family: IptablesFamily; input: string }[] = [];
  constructor(private readonly inner: IptablesRunner) {}
  save(family: IptablesFamily) {
    return this.inner.save(family);
  }
  restore(family: IptablesFamily, input: string) {
    this.restores.push({ family, input });
    return this.inner.restore(family, input);
  }
}

function canRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: the iptables e2e test needs root for network namespaces';
  for (const tool of [['ip', '-V'], ['ipset', '--version']]) {
    if (spawnSync(tool[0]!, tool.slice(1)).status !== 0) return `${tool[0]} is not installed`;
  }
  return undefined;
}

for (const backend of ['nft', 'legacy'] as IptablesBackend[]) {
  describe(`iptables backend on the real kernel (iptables-${backend}, in a network namespace)`, function () {
    this.timeout(60_000);
    const ns = `ipvs-proxier-ipt-${process.pid}-${backend}`;
    const inNs = (...command: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...command], { encoding: 'utf8' });
    const iptables = (...args: string[]) => inNs(`iptables-${backend}`, ...args);
    /** Read independently of the runner under test. */
    const save = (family: IptablesFamily, ...args: string[]): SavedTables =>
      parseIptablesSave(inNs(`${family === 'ip6' ? 'ip6tables' : 'iptables'}-${backend}-save`, ...args));
    const saveText = (table: string) => inNs(`iptables-${backend}-save`, '-t', table).split('\n').filter((l) => !l.startsWith('#')).join('\n');
    let runner: RecordingRunner;
    let foreignOnly: { ip4: SavedTables; ip6: SavedTables };

    before(function () {
      const reason = canRun() ?? (spawnSync(`iptables-${backend}-restore`, ['--version']).status === 0 ? undefined : `iptables-${backend}-restore is not installed`);
      if (reason) {
        console.log(`    skipped: ${reason}`);
        this.skip();
      }
      execFileSync('ip', ['netns', 'add', ns]);
      // -m set rules need their sets to exist.
      for (const set of [
        ['KUBE-CLUSTER-IP', 'hash:ip,port'],
        ['KUBE-LOAD-BALANCER', 'hash:ip,port'],
        ['KUBE-LOOP-BACK', 'hash:ip,port,ip'],
        ['KUBE-NODE-PORT-TCP', 'bitmap:port', 'range', '0-65535'],
        ['KUBE-IPVS-IPS', 'hash:ip'],
        ['KUBE-6-CLUSTER-IP', 'hash:ip,port', 'family', 'inet6'],
      ]) inNs('ipset', 'create', ...set);
      // Someone else's things: a chain, a rule at the top of PREROUTING, a rule in INPUT.
      iptables('-t', 'filter', '-N', 'FOREIGN');
      iptables('-t', 'filter', '-A', 'FOREIGN', '-s', '192.168.0.0/16', '-j', 'RETURN');
      iptables('-t', 'nat', '-A', 'PREROUTING', '-s', '192.168.0.0/16', '-j', 'RETURN');
      iptables('-t', 'filter', '-A', 'INPUT', '-j', 'FOREIGN');
      foreignOnly = { ip4: save('ip4'), ip6: save('ip6') };
      runner = new RecordingRunner(new CommandIptablesRunner({ backend, prefix: ['ip', 'netns', 'exec', ns] }));
    });

    after(() => {
      spawnSync('ip', ['netns', 'del', ns]);
    });

    it('applies kube-proxy\'s chains and jumps: iptables-save prints exactly the state, around the foreign rules', async () => {
      const result = await syncIptables(kubeState(), runner);
      expect(result.warnings).to.deep.equal([]);
      expect(result.operations).to.deep.equal([
        `+ rule filter INPUT ${IPVS_FILTER_JUMP}`,
        `+ rule filter FORWARD ${FORWARD_JUMP}`,
        '+ chain filter KUBE-FORWARD',
        '+ chain filter KUBE-IPVS-FILTER',
        `+ rule nat PREROUTING ${PORTALS}`,
        `+ rule nat OUTPUT ${PORTALS}`,
        `+ rule nat POSTROUTING ${POSTROUTING_JUMP}`,
        '+ chain nat KUBE-MARK-MASQ',
        '+ chain nat KUBE-NODE-PORT',
        '+ chain nat KUBE-POSTROUTING',
        '+ chain nat KUBE-SERVICES',
        `+ rule ip6-nat PREROUTING ${PORTALS}`,
        '+ chain ip6-nat KUBE-SERVICES',
      ]);
      expect(runner.restores.map((r) => r.family)).to.deep.equal(['ip4', 'ip6']);
      expect(saveText('nat')).to.equal(
        [
          '*nat',
          ':PREROUTING ACCEPT [0:0]',
          ':INPUT ACCEPT [0:0]',
          ':OUTPUT ACCEPT [0:0]',
          ':POSTROUTING ACCEPT [0:0]',
          `:${LEDGER_CHAIN} - [0:0]`,
          ':KUBE-MARK-MASQ - [0:0]',
          ':KUBE-NODE-PORT - [0:0]',
          ':KUBE-POSTROUTING - [0:0]',
          ':KUBE-SERVICES - [0:0]',
          `-A PREROUTING ${PORTALS}`,
          '-A PREROUTING -s 192.168.0.0/16 -j RETURN',
          `-A OUTPUT ${PORTALS}`,
          `-A POSTROUTING ${POSTROUTING_JUMP}`,
          `-A ${LEDGER_CHAIN} -m comment --comment "chain KUBE-MARK-MASQ" -j RETURN`,
          `-A ${LEDGER_CHAIN} -m comment --comment "chain KUBE-NODE-PORT" -j RETURN`,
          `-A ${LEDGER_CHAIN} -m comment --comment "chain KUBE-POSTROUTING" -j RETURN`,
          `-A ${LEDGER_CHAIN} -m comment --comment "chain KUBE-SERVICES" -j RETURN`,
          '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
          `-A KUBE-NODE-PORT ${NODE_PORT_MASQ}`,
          `-A KUBE-POSTROUTING ${LOOP_BACK}`,
          '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
          '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
          `-A KUBE-POSTROUTING ${SNAT}`,
          '-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN',
          `-A KUBE-SERVICES ${MASQ_CLUSTER_IP}`,
          `-A KUBE-SERVICES ${TO_NODE_PORT}`,
          `-A KUBE-SERVICES ${CLUSTER_IP_ACCEPT}`,
          'COMMIT',
          '',
        ].join('\n'),
      );
      const filter = save('ip4').get('filter')!;
      expect(filter.rules.get('INPUT')).to.deep.equal([IPVS_FILTER_JUMP, '-j FOREIGN']);
      expect(filter.rules.get('FOREIGN')).to.deep.equal(['-s 192.168.0.0/16 -j RETURN']);
      expect(filter.rules.get('KUBE-IPVS-FILTER')).to.deep.equal(kubeState().filter!['KUBE-IPVS-FILTER']);
      expect(save('ip6').get('nat')!.rules.get('KUBE-SERVICES')).to.deep.equal(kubeState()['ip6-nat']!['KUBE-SERVICES']);
      // and the whole state reads back as ours
      expect(ownedIptablesState(await readIptables(runner))).to.deep.equal(kubeState());
    });

    it('does nothing the second time: zero operations, no restore', async () => {
      const before = runner.restores.length;
      expect(await syncIptables(kubeState(), runner)).to.deep.equal({ operations: [], warnings: [] });
      expect(runner.restores.length).to.equal(before);
    });

    it('applies only the difference of a second state', async () => {
      const before = runner.restores.length;
      const result = await syncIptables(changedState(), runner);
      expect(result).to.deep.equal({
        operations: ['~ chain nat KUBE-SERVICES: 4 rules', '- chain nat KUBE-NODE-PORT'],
        warnings: [],
      });
      expect(runner.restores.slice(before)).to.deep.equal([
        {
          family: 'ip4',
          input: [
            '*nat',
            `:${LEDGER_CHAIN} - [0:0]`,
            ':KUBE-SERVICES - [0:0]',
            ':KUBE-NODE-PORT - [0:0]',
            '-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN',
            `-A KUBE-SERVICES ${MASQ_CLUSTER_IP}`,
            '-A KUBE-SERVICES -m set --match-set KUBE-LOAD-BALANCER dst,dst -j ACCEPT',
            `-A KUBE-SERVICES ${CLUSTER_IP_ACCEPT}`,
            `-A ${LEDGER_CHAIN} -m comment --comment "chain KUBE-MARK-MASQ" -j RETURN`,
            `-A ${LEDGER_CHAIN} -m comment --comment "chain KUBE-POSTROUTING" -j RETURN`,
            `-A ${LEDGER_CHAIN} -m comment --comment "chain KUBE-SERVICES" -j RETURN`,
            '-X KUBE-NODE-PORT',
            'COMMIT',
            '',
          ].join('\n'),
        },
      ]);
      const nat = save('ip4').get('nat')!;
      expect(nat.chains.has('KUBE-NODE-PORT')).to.equal(false);
      expect(nat.rules.get('KUBE-SERVICES')).to.deep.equal(changedState().nat!['KUBE-SERVICES']);
      expect(nat.rules.get('PREROUTING')).to.deep.equal([PORTALS, '-s 192.168.0.0/16 -j RETURN']);
      expect(await syncIptables(changedState(), runner)).to.deep.equal({ operations: [], warnings: [] });
    });

    it('keeps a chain of ours, emptied, while a foreign chain jumps to it, and deletes it once that is gone', async () => {
      iptables('-t', 'nat', '-N', 'FOREIGN-NAT');
      iptables('-t', 'nat', '-A', 'FOREIGN-NAT', '-j', 'KUBE-MARK-MASQ');
      const withoutMarkMasq = changedState();
      delete withoutMarkMasq.nat!['KUBE-MARK-MASQ'];
      withoutMarkMasq.nat!['KUBE-SERVICES'] = ['-s 127.0.0.0/8 -j RETURN', CLUSTER_IP_ACCEPT];

      const result = await syncIptables(withoutMarkMasq, runner);
      expect(result.operations).to.deep.equal([
        '~ chain nat KUBE-SERVICES: 2 rules',
        '~ chain nat KUBE-MARK-MASQ: emptied, kept (jumped to from FOREIGN-NAT)',
      ]);
      expect(result.warnings).to.have.length(1);
      expect(result.warnings[0]).to.contain('chain KUBE-MARK-MASQ left the state but FOREIGN-NAT still jumps to it');
      let nat = save('ip4').get('nat')!;
      expect(nat.rules.get('KUBE-MARK-MASQ')).to.deep.equal([]);
      expect(nat.rules.get('FOREIGN-NAT')).to.deep.equal(['-j KUBE-MARK-MASQ']);

      iptables('-t', 'nat', '-D', 'FOREIGN-NAT', '-j', 'KUBE-MARK-MASQ');
      expect(await syncIptables(withoutMarkMasq, runner)).to.deep.equal({ operations: ['- chain nat KUBE-MARK-MASQ'], warnings: [] });
      nat = save('ip4').get('nat')!;
      expect(nat.chains.has('KUBE-MARK-MASQ')).to.equal(false);
      expect(nat.chains.has('FOREIGN-NAT')).to.equal(true);
      iptables('-t', 'nat', '-X', 'FOREIGN-NAT');
    });

    it('reports a failing restore with the kernel tool\'s message and line, and changes nothing', async () => {
      const before = { ip4: save('ip4'), ip6: save('ip6') };
      const broken = changedState();
      broken.nat!['KUBE-SERVICES'] = ['-j KUBE-NOT-THERE'];
      let error: IptablesCommandError | undefined;
      try {
        await syncIptables(broken, runner);
      } catch (e) {
        error = e as IptablesCommandError;
      }
      expect(error).to.be.instanceOf(IptablesCommandError);
      expect(error!.operation).to.equal('restore');
      expect(error!.exitCode).to.not.equal(0);
      expect(error!.failedLine).to.be.a('number');
      expect(error!.stderr).to.match(/KUBE-NOT-THERE|line \d+ failed/);
      console.log(`      (${backend} said: ${error!.stderr.trim().split('\n')[0]}; input line ${error!.failedLine}: ${error!.failedInput})`);
      expect({ ip4: save('ip4'), ip6: save('ip6') }).to.deep.equal(before);
    });

    it('cleanup leaves exactly the foreign things', async () => {
      const result = await cleanupIptables(runner);
      expect(result.warnings).to.deep.equal([]);
      expect(result.operations).to.include('- chain nat KUBE-SERVICES').and.include('- chain ip6-nat KUBE-SERVICES');
      for (const family of ['ip4', 'ip6'] as const) {
        const after = save(family);
        for (const [table, saved] of after) {
          const was = foreignOnly[family].get(table);
          if (was) {
            expect(saved, `${family} ${table}`).to.deep.equal(was);
          } else {
            // a table our sync brought into being (nft creates tables on use): nothing left in it
            expect([...saved.chains.values()].every((c) => c.builtin), `${family} ${table} chains`).to.equal(true);
            expect([...saved.rules.values()].flat(), `${family} ${table} rules`).to.deep.equal([]);
          }
        }
      }
      expect(await cleanupIptables(runner)).to.deep.equal({ operations: [], warnings: [] });
    });
  });
}
