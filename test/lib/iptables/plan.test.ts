import { expect } from 'chai';
import { FakeIptablesRunner } from '../../../lib/iptables/fake-runner.js';
import { ledgerRuleEntry } from '../../../lib/iptables/ledger.js';
import { IptablesStateError, type ObservedIptables, planIptables } from '../../../lib/iptables/plan.js';
import { parseIptablesSave } from '../../../lib/iptables/save-parser.js';
import type { IptablesState } from '../../../lib/state/types.js';
import { capturedSave } from './fixtures.js';

const PORTALS = '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES';
const POSTROUTING_JUMP = '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING';
const MARK_MASQ = '-j MARK --set-xmark 0x4000/0x4000';
const CLUSTER_IP_ACCEPT = '-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT';
const LOCALHOST_RETURN = '-s 127.0.0.0/8 -j RETURN';

const kubeState = (): IptablesState => ({
  nat: {
    PREROUTING: [PORTALS],
    OUTPUT: [PORTALS],
    'KUBE-SERVICES': [LOCALHOST_RETURN, CLUSTER_IP_ACCEPT],
    'KUBE-MARK-MASQ': [MARK_MASQ],
  },
});

function observed(ip4 = '', ip6 = ''): ObservedIptables {
  return { ip4: parseIptablesSave(ip4), ip6: parseIptablesSave(ip6) };
}

async function observe(fake: FakeIptablesRunner): Promise<ObservedIptables> {
  return observed(await fake.save('ip4'), await fake.save('ip6'));
}

/** Plans, applies to the fake, and returns the plan. */
async function applyTo(fake: FakeIptablesRunner, state: IptablesState | undefined) {
  const plan = planIptables(state, await observe(fake));
  if (plan.ip4) await fake.restore('ip4', plan.ip4);
  if (plan.ip6) await fake.restore('ip6', plan.ip6);
  return plan;
}

async function expectConverged(fake: FakeIptablesRunner, state: IptablesState | undefined) {
  const again = planIptables(state, await observe(fake));
  expect(again).to.deep.include({ ip4: null, ip6: null, operations: [] });
}

const rulesOf = (fake: FakeIptablesRunner, table: string, chain: string, family: 'ip4' | 'ip6' = 'ip4') =>
  fake.tables[family].get(table)?.rules.get(chain);

describe('planIptables', () => {
  it('creates chains, jumps and the ledger from nothing, in one restore', () => {
    const plan = planIptables(kubeState(), observed());
    expect(plan.ip4).to.equal(
      [
        '*nat',
        ':IPVS-PROXIER-OWNED - [0:0]',
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-SERVICES - [0:0]',
        `-I PREROUTING 1 ${PORTALS}`,
        `-I OUTPUT 1 ${PORTALS}`,
        `-A KUBE-MARK-MASQ ${MARK_MASQ}`,
        `-A KUBE-SERVICES ${LOCALHOST_RETURN}`,
        `-A KUBE-SERVICES ${CLUSTER_IP_ACCEPT}`,
        '-A IPVS-PROXIER-OWNED -m comment --comment "chain KUBE-MARK-MASQ" -j RETURN',
        '-A IPVS-PROXIER-OWNED -m comment --comment "chain KUBE-SERVICES" -j RETURN',
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(plan.ip6).to.equal(null);
    expect(plan.operations).to.deep.equal([
      `+ rule nat PREROUTING ${PORTALS}`,
      `+ rule nat OUTPUT ${PORTALS}`,
      '+ chain nat KUBE-MARK-MASQ',
      '+ chain nat KUBE-SERVICES',
    ]);
    expect(plan.warnings).to.deep.equal([]);
  });

  it('plans nothing at all on the second run with the same state', async () => {
    const fake = new FakeIptablesRunner();
    await applyTo(fake, kubeState());
    expect(rulesOf(fake, 'nat', 'KUBE-SERVICES')).to.deep.equal([LOCALHOST_RETURN, CLUSTER_IP_ACCEPT]);
    await expectConverged(fake, kubeState());
  });

  it('replaces a chain\'s rules by flushing it (declaration) and appending, and touches nothing else', async () => {
    const fake = new FakeIptablesRunner();
    await applyTo(fake, kubeState());
    const next = kubeState();
    next.nat!['KUBE-SERVICES'] = [LOCALHOST_RETURN, '-m addrtype --dst-type LOCAL -j RETURN', CLUSTER_IP_ACCEPT];
    const plan = planIptables(next, await observe(fake));
    expect(plan.ip4).to.equal(
      [
        '*nat',
        ':KUBE-SERVICES - [0:0]',
        `-A KUBE-SERVICES ${LOCALHOST_RETURN}`,
        '-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j RETURN',
        `-A KUBE-SERVICES ${CLUSTER_IP_ACCEPT}`,
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(plan.operations).to.deep.equal(['~ chain nat KUBE-SERVICES: 3 rules']);
    await fake.restore('ip4', plan.ip4!);
    await expectConverged(fake, next);
  });

  it('inserts our jumps before others\' rules in built-in chains, and keeps theirs', async () => {
    const foreign = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:CALI-PREROUTING - [0:0]\n' +
      '-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j CALI-PREROUTING\n-A PREROUTING -s 192.168.0.0/16 -j RETURN\nCOMMIT\n';
    const fake = new FakeIptablesRunner({ ip4: foreign });
    const state: IptablesState = { nat: { PREROUTING: [PORTALS, '-d 10.96.0.0/12 -j RETURN'], 'KUBE-SERVICES': [] } };
    const plan = await applyTo(fake, state);
    expect(plan.ip4).to.contain(`-I PREROUTING 1 ${PORTALS}\n-I PREROUTING 2 -d 10.96.0.0/12 -j RETURN\n`);
    expect(rulesOf(fake, 'nat', 'PREROUTING')).to.deep.equal([
      PORTALS,
      '-d 10.96.0.0/12 -j RETURN',
      '-m comment --comment "cali:6gwbT8clXdHdC1b1" -j CALI-PREROUTING',
      '-s 192.168.0.0/16 -j RETURN',
    ]);
    expect(rulesOf(fake, 'nat', 'CALI-PREROUTING')).to.deep.equal([]);
    await expectConverged(fake, state);
  });

  it('does not fight a tool that later put its rule above ours', async () => {
    const fake = new FakeIptablesRunner();
    await applyTo(fake, kubeState());
    await fake.restore('ip4', '*nat\n-I PREROUTING 1 -s 192.168.0.0/16 -j RETURN\nCOMMIT\n');
    await expectConverged(fake, kubeState());
  });

  it('removes a chain that left the state together with the jumps into it, then its ledger entry', async () => {
    const fake = new FakeIptablesRunner();
    const first: IptablesState = {
      filter: { INPUT: ['-m comment --comment "old" -j KUBE-OLD'], FORWARD: ['-j KUBE-FORWARD'], 'KUBE-OLD': ['-j RETURN'], 'KUBE-FORWARD': ['-m mark --mark 0x4000/0x4000 -j ACCEPT'] },
    };
    await applyTo(fake, first);
    const second: IptablesState = { filter: { FORWARD: ['-j KUBE-FORWARD'], 'KUBE-FORWARD': ['-m mark --mark 0x4000/0x4000 -j ACCEPT'] } };
    const plan = await applyTo(fake, second);
    expect(plan.ip4).to.equal(
      [
        '*filter',
        ':IPVS-PROXIER-OWNED - [0:0]',
        ':KUBE-OLD - [0:0]',
        '-D INPUT -m comment --comment "old" -j KUBE-OLD',
        '-A IPVS-PROXIER-OWNED -m comment --comment "chain KUBE-FORWARD" -j RETURN',
        '-X KUBE-OLD',
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(plan.operations).to.deep.equal(['- rule filter INPUT -m comment --comment "old" -j KUBE-OLD', '- chain filter KUBE-OLD']);
    expect(fake.tables.ip4.get('filter')!.chains.has('KUBE-OLD')).to.equal(false);
    await expectConverged(fake, second);
  });

  it('removes a jump into an owned chain even when its text is not the one in the state (it is ours by its target)', async () => {
    // kube-proxy's jump with a different comment, left from before, into a chain we now own.
    const before = '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -m comment --comment "old portals" -j KUBE-SERVICES\nCOMMIT\n';
    const fake = new FakeIptablesRunner({ ip4: before });
    const state: IptablesState = { nat: { PREROUTING: [PORTALS], 'KUBE-SERVICES': [] } };
    const plan = await applyTo(fake, state);
    expect(plan.operations).to.deep.equal([
      '- rule nat PREROUTING -m comment --comment "old portals" -j KUBE-SERVICES',
      `+ rule nat PREROUTING ${PORTALS}`,
      '~ chain nat KUBE-SERVICES: adopted',
    ]);
    expect(rulesOf(fake, 'nat', 'PREROUTING')).to.deep.equal([PORTALS]);
  });

  it('records built-in rules that do not jump to our chains by hash, and removes them by it', async () => {
    const reject = '-p tcp -m tcp --dport 10250 -j REJECT --reject-with icmp-port-unreachable';
    const fake = new FakeIptablesRunner();
    await applyTo(fake, { filter: { INPUT: [reject] } });
    expect(rulesOf(fake, 'filter', 'IPVS-PROXIER-OWNED')).to.deep.equal([ledgerRuleEntry('INPUT', reject)]);
    // Someone else adds the same-looking rule elsewhere, and a rule of their own.
    await fake.restore('ip4', '*filter\n-A INPUT -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n');
    const plan = await applyTo(fake, { filter: {} });
    expect(plan.operations).to.deep.equal([`- rule filter INPUT ${reject}`]);
    expect(rulesOf(fake, 'filter', 'INPUT')).to.deep.equal(['-s 10.0.0.0/8 -j ACCEPT']);
    expect(fake.tables.ip4.get('filter')!.chains.has('IPVS-PROXIER-OWNED')).to.equal(false);
    await expectConverged(fake, {});
  });

  it('never touches foreign chains, foreign rules or foreign tables', async () => {
    const start = capturedSave('nft.save'); // kube-proxy's chains etc., none of them ours (no ledger)
    const fake = new FakeIptablesRunner({ ip4: start });
    const startTables = parseIptablesSave(start);
    // no state, no ledger: not even read
    expect(planIptables({}, observed(start))).to.deep.equal({ ip4: null, ip6: null, operations: [], warnings: [] });

    const state: IptablesState = { filter: { INPUT: ['-j KUBE-IPVS-FILTER'], 'KUBE-IPVS-FILTER': ['-m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable'] } };
    await applyTo(fake, state);
    await applyTo(fake, {}); // and away again
    expect(fake.tables.ip4).to.deep.equal(startTables);
  });

  it('adopts an existing unowned chain with the right rules without rewriting it', () => {
    const have = '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-MARK-MASQ - [0:0]\n-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\nCOMMIT\n';
    const plan = planIptables({ nat: { 'KUBE-MARK-MASQ': [MARK_MASQ] } }, observed(have));
    expect(plan.ip4).to.equal(
      '*nat\n:IPVS-PROXIER-OWNED - [0:0]\n-A IPVS-PROXIER-OWNED -m comment --comment "chain KUBE-MARK-MASQ" -j RETURN\nCOMMIT\n',
    );
    expect(plan.operations).to.deep.equal(['~ chain nat KUBE-MARK-MASQ: adopted']);
  });

  it('adopts and replaces an unowned chain whose rules differ, never deleting it', () => {
    const have = '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-MARK-MASQ - [0:0]\n-A KUBE-MARK-MASQ -j MARK --set-xmark 0x8000/0x8000\nCOMMIT\n';
    const plan = planIptables({ nat: { 'KUBE-MARK-MASQ': [MARK_MASQ] } }, observed(have));
    expect(plan.ip4).to.not.contain('-X');
    expect(plan.ip4).to.contain(`:KUBE-MARK-MASQ - [0:0]\n`).and.contain(`-A KUBE-MARK-MASQ ${MARK_MASQ}\n`);
    expect(plan.operations).to.deep.equal(['~ chain nat KUBE-MARK-MASQ: 1 rules (adopted)']);
  });

  it('removes a duplicate of our jump', async () => {
    const fake = new FakeIptablesRunner();
    await applyTo(fake, kubeState());
    await fake.restore('ip4', `*nat\n-A PREROUTING -s 10.0.0.0/8 -j RETURN\n-A PREROUTING ${PORTALS}\nCOMMIT\n`);
    const plan = await applyTo(fake, kubeState());
    expect(plan.ip4).to.equal(`*nat\n-D PREROUTING ${PORTALS}\nCOMMIT\n`);
    expect(plan.operations).to.deep.equal([`- rule nat PREROUTING ${PORTALS} (duplicate)`]);
    expect(rulesOf(fake, 'nat', 'PREROUTING')).to.deep.equal(['-s 10.0.0.0/8 -j RETURN', PORTALS]);
    await expectConverged(fake, kubeState());
  });

  it('lists a built-in rule twice in the state as one rule', async () => {
    const fake = new FakeIptablesRunner();
    await applyTo(fake, { nat: { OUTPUT: [PORTALS, PORTALS], 'KUBE-SERVICES': [] } });
    expect(rulesOf(fake, 'nat', 'OUTPUT')).to.deep.equal([PORTALS]);
  });

  it('reorders our rules in a built-in chain by moving one', async () => {
    const fake = new FakeIptablesRunner();
    const a = '-s 10.0.0.1/32 -j ACCEPT';
    const b = '-s 10.0.0.2/32 -j ACCEPT';
    await applyTo(fake, { filter: { INPUT: [a, b] } });
    const plan = await applyTo(fake, { filter: { INPUT: [b, a] } });
    expect(plan.operations).to.have.length(1).and.to.match(/^~ rule filter INPUT .* moved$/);
    expect(rulesOf(fake, 'filter', 'INPUT')).to.deep.equal([b, a]);
  });

  it('keeps (empty) a chain that left the state while a foreign chain still jumps to it, and deletes it later', async () => {
    const fake = new FakeIptablesRunner();
    await applyTo(fake, { nat: { POSTROUTING: [POSTROUTING_JUMP], 'KUBE-POSTROUTING': ['-j MASQUERADE'] } });
    await fake.restore('ip4', '*nat\n:FOREIGN - [0:0]\n-A FOREIGN -j KUBE-POSTROUTING\nCOMMIT\n');

    const plan = await applyTo(fake, {});
    expect(plan.operations).to.deep.equal([
      `- rule nat POSTROUTING ${POSTROUTING_JUMP}`,
      '~ chain nat KUBE-POSTROUTING: emptied, kept (jumped to from FOREIGN)',
    ]);
    expect(plan.warnings).to.have.length(1);
    expect(plan.warnings[0]).to.match(/^iptables nat: chain KUBE-POSTROUTING left the state but FOREIGN still jumps to it/);
    expect(rulesOf(fake, 'nat', 'KUBE-POSTROUTING')).to.deep.equal([]);
    expect(rulesOf(fake, 'nat', 'FOREIGN')).to.deep.equal(['-j KUBE-POSTROUTING']);
    expect(rulesOf(fake, 'nat', 'IPVS-PROXIER-OWNED')).to.deep.equal(['-m comment --comment "chain KUBE-POSTROUTING" -j RETURN']);

    const again = planIptables({}, await observe(fake));
    expect(again).to.deep.include({ ip4: null, ip6: null, operations: [] });
    expect(again.warnings).to.deep.equal(plan.warnings);

    await fake.restore('ip4', '*nat\n-D FOREIGN -j KUBE-POSTROUTING\nCOMMIT\n');
    const last = await applyTo(fake, {});
    expect(last.operations).to.deep.equal(['- chain nat KUBE-POSTROUTING']);
    expect(fake.tables.ip4.get('nat')!.chains.has('KUBE-POSTROUTING')).to.equal(false);
    expect(fake.tables.ip4.get('nat')!.chains.has('IPVS-PROXIER-OWNED')).to.equal(false);
  });

  it('deletes chains of ours that jump to each other in one restore', async () => {
    const fake = new FakeIptablesRunner();
    await applyTo(fake, kubeState());
    const withMasq = kubeState();
    withMasq.nat!['KUBE-SERVICES'] = ['-j KUBE-MARK-MASQ'];
    await applyTo(fake, withMasq);
    const plan = await applyTo(fake, {});
    expect(plan.operations).to.deep.equal([
      `- rule nat PREROUTING ${PORTALS}`,
      `- rule nat OUTPUT ${PORTALS}`,
      '- chain nat KUBE-MARK-MASQ',
      '- chain nat KUBE-SERVICES',
    ]);
    expect([...fake.tables.ip4.get('nat')!.chains.keys()]).to.deep.equal(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']);
  });

  it('prunes a ledger entry whose chain someone else deleted, and says so', () => {
    const have = '*nat\n:PREROUTING ACCEPT [0:0]\n:IPVS-PROXIER-OWNED - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n' +
      '-A IPVS-PROXIER-OWNED -m comment --comment "chain KUBE-GONE" -j RETURN\n' +
      '-A IPVS-PROXIER-OWNED -m comment --comment "chain KUBE-MARK-MASQ" -j RETURN\n' +
      `-A KUBE-MARK-MASQ ${MARK_MASQ}\nCOMMIT\n`;
    const plan = planIptables({ nat: { 'KUBE-MARK-MASQ': [MARK_MASQ] } }, observed(have));
    expect(plan.ip4).to.equal(
      '*nat\n:IPVS-PROXIER-OWNED - [0:0]\n-A IPVS-PROXIER-OWNED -m comment --comment "chain KUBE-MARK-MASQ" -j RETURN\nCOMMIT\n',
    );
    expect(plan.operations).to.deep.equal(['~ ledger nat IPVS-PROXIER-OWNED: 1 entries']);
  });

  it('writes ip6 tables into the ip6tables-restore input only', async () => {
    const state: IptablesState = { 'ip6-nat': { PREROUTING: [PORTALS], 'KUBE-SERVICES': ['-s ::1/128 -j RETURN'] } };
    const plan = planIptables(state, observed(capturedSave('nft.save')));
    expect(plan.ip4).to.equal(null);
    expect(plan.ip6).to.equal(
      [
        '*nat',
        ':IPVS-PROXIER-OWNED - [0:0]',
        ':KUBE-SERVICES - [0:0]',
        `-I PREROUTING 1 ${PORTALS}`,
        '-A KUBE-SERVICES -s ::1/128 -j RETURN',
        '-A IPVS-PROXIER-OWNED -m comment --comment "chain KUBE-SERVICES" -j RETURN',
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(plan.operations).to.deep.equal([`+ rule ip6-nat PREROUTING ${PORTALS}`, '+ chain ip6-nat KUBE-SERVICES']);
    const fake = new FakeIptablesRunner({ ip4: capturedSave('nft.save') });
    await applyTo(fake, state);
    expect(fake.tables.ip4).to.deep.equal(parseIptablesSave(capturedSave('nft.save')));
    await expectConverged(fake, state);
  });

  it('writes both families and several tables in one plan', async () => {
    const state: IptablesState = {
      ...kubeState(),
      filter: { FORWARD: ['-j KUBE-FORWARD'], 'KUBE-FORWARD': ['-m mark --mark 0x4000/0x4000 -j ACCEPT'] },
      'ip6-filter': { FORWARD: ['-j KUBE-FORWARD'], 'KUBE-FORWARD': ['-m mark --mark 0x4000/0x4000 -j ACCEPT'] },
    };
    const plan = planIptables(state, observed());
    expect(plan.ip4).to.match(/^\*filter\n[^*]*COMMIT\n\*nat\n[^*]*COMMIT\n$/);
    expect(plan.ip6).to.match(/^\*filter\n[^*]*COMMIT\n$/);
    const fake = new FakeIptablesRunner();
    await applyTo(fake, state);
    await expectConverged(fake, state);
  });

  it('treats an undefined section as nothing desired', async () => {
    const fake = new FakeIptablesRunner();
    await applyTo(fake, kubeState());
    const plan = await applyTo(fake, undefined);
    expect(plan.operations).to.include('- chain nat KUBE-SERVICES');
    expect(fake.tables.ip4.get('nat')!.chains.has('IPVS-PROXIER-OWNED')).to.equal(false);
  });

  it('rejects states that would break ownership or the restore input', () => {
    const cases: [IptablesState, RegExp][] = [
      [{ nat: { 'IPVS-PROXIER-OWNED': [] } }, /ownership ledger/],
      [{ security: { INPUT: [] } } as unknown as IptablesState, /unknown table/],
      [{ nat: { 'KUBE-SERVICES': ['-j RETURN\n-A PREROUTING -j DROP'] } }, /not a one-line rule/],
      [{ nat: { 'KUBE SERVICES': [] } }, /not a valid chain name/],
      [{ nat: { 'KUBE-SERVICES-THAT-IS-FAR-TOO-LONG': [] } }, /not a valid chain name/],
      [{ nat: { 'KUBE-SERVICES': ['-m comment --comment "open -j RETURN'] } }, /unterminated quote/],
    ];
    for (const [state, message] of cases) {
      expect(() => planIptables(state, observed())).to.throw(IptablesStateError, message);
    }
  });
});
