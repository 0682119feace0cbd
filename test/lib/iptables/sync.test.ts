import { expect } from 'chai';
import { FakeIptablesRunner } from '../../../lib/iptables/fake-runner.js';
import { LEDGER_CHAIN, ledgerChainEntry, ledgerRuleEntry } from '../../../lib/iptables/ledger.js';
import { IptablesCommandError } from '../../../lib/iptables/runner.js';
import { ownedIptablesState } from '../../../lib/iptables/owned.js';
import { cleanupIptables, readIptables, syncIptables } from '../../../lib/iptables/sync.js';
import { BUILTIN_CHAINS, type IptablesFamily, splitStateTable } from '../../../lib/iptables/tables.js';
import { jumpTarget } from '../../../lib/iptables/rule-text.js';
import type { IptablesState, IptablesTable } from '../../../lib/state/types.js';

const PORTALS = '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES';
const state = (): IptablesState => ({
  nat: { PREROUTING: [PORTALS], 'KUBE-SERVICES': ['-s 127.0.0.0/8 -j RETURN'], 'KUBE-MARK-MASQ': ['-j MARK --set-xmark 0x4000/0x4000'] },
});

describe('syncIptables', () => {
  it('saves, restores what differs, and the second sync restores nothing', async () => {
    const fake = new FakeIptablesRunner();
    const first = await syncIptables(state(), fake);
    expect(first.operations).to.deep.equal([`+ rule nat PREROUTING ${PORTALS}`, '+ chain nat KUBE-MARK-MASQ', '+ chain nat KUBE-SERVICES']);
    expect(first.warnings).to.deep.equal([]);
    expect(fake.restores.map((r) => r.family)).to.deep.equal(['ip4']);
    const savesAfterFirst = fake.saves;
    expect(savesAfterFirst).to.equal(3); // both families, then ip4 again to verify

    const second = await syncIptables(state(), fake);
    expect(second).to.deep.equal({ operations: [], warnings: [] });
    expect(fake.restores).to.have.length(1);
    expect(fake.saves - savesAfterFirst).to.equal(2); // no verify when nothing was restored
  });

  it('warns when the kernel prints a rule differently from the state (not canonical), instead of looping silently', async () => {
    // iptables-save prints --or-mark as --set-xmark: a state with --or-mark never matches.
    const fake = new FakeIptablesRunner();
    const canonicalising = {
      save: (f: IptablesFamily) => fake.save(f),
      restore: (f: IptablesFamily, input: string) => fake.restore(f, input.replace('--or-mark 0x4000', '--set-xmark 0x4000/0x4000')),
    };
    const result = await syncIptables({ nat: { 'KUBE-MARK-MASQ': ['-j MARK --or-mark 0x4000'] } }, canonicalising);
    expect(result.operations).to.deep.equal(['+ chain nat KUBE-MARK-MASQ']);
    expect(result.warnings).to.have.length(1);
    expect(result.warnings[0]).to.match(/canonical form.*~ chain nat KUBE-MARK-MASQ: 1 rules/);
  });

  it('syncs IPv4 when ip6tables is unavailable and the state has no IPv6 tables', async () => {
    const fake = new FakeIptablesRunner();
    fake.unavailable.add('ip6');
    const result = await syncIptables(state(), fake);
    expect(result.operations).to.have.length(3);
    expect(result.warnings).to.have.length(1);
    expect(result.warnings[0]).to.match(/^iptables ip6 not synced: /);
  });

  it('fails when the state needs a family whose save fails', async () => {
    const fake = new FakeIptablesRunner();
    fake.unavailable.add('ip6');
    let error: unknown;
    try {
      await syncIptables({ 'ip6-nat': { 'KUBE-SERVICES': [] } }, fake);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(IptablesCommandError);
    expect((error as IptablesCommandError).operation).to.equal('save');
  });

  it('passes a failing restore on with the failing input line, changing nothing', async () => {
    const fake = new FakeIptablesRunner();
    let error: IptablesCommandError | undefined;
    try {
      await syncIptables({ nat: { 'KUBE-SERVICES': ['-j KUBE-NOT-THERE'] } }, fake);
    } catch (e) {
      error = e as IptablesCommandError;
    }
    expect(error).to.be.instanceOf(IptablesCommandError);
    expect(error!.failedLine).to.equal(4); // *nat, ledger declaration, chain declaration, then this
    expect(error!.failedInput).to.equal('-A KUBE-SERVICES -j KUBE-NOT-THERE');
    expect(error!.message).to.contain("Couldn't load target `KUBE-NOT-THERE'");
    expect(fake.tables.ip4.size).to.equal(0);
  });

  it('cleanup removes what the ledgers name, then the ledgers, and leaves the rest', async () => {
    const foreign = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:FOREIGN - [0:0]\n' +
      '-A PREROUTING -j FOREIGN\n-A FOREIGN -j RETURN\nCOMMIT\n';
    const fake = new FakeIptablesRunner({ ip4: foreign, ip6: foreign });
    await syncIptables({ ...state(), 'ip6-nat': state().nat, filter: { INPUT: ['-p tcp -m tcp --dport 22 -j ACCEPT'] } }, fake);
    const result = await cleanupIptables(fake);
    expect(result.operations).to.have.length(7);
    expect(await fake.save('ip4')).to.equal(await new FakeIptablesRunner({ ip4: foreign + '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' }).save('ip4'));
    expect(await fake.save('ip6')).to.equal(await new FakeIptablesRunner({ ip4: foreign }).save('ip4'));
    expect(await cleanupIptables(fake)).to.deep.equal({ operations: [], warnings: [] });
  });
});

// ---- Property: random states over random foreign rules converge, keep the foreign, and record ownership ----

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TABLES: IptablesTable[] = ['nat', 'filter', 'ip6-nat'];
const OWN_CHAINS = ['KUBE-A', 'KUBE-B', 'KUBE-C', 'KUBE-D'];
const FOREIGN_CHAINS = ['FOREIGN-X', 'FOREIGN-Y'];
const isForeignRule = (rule: string) => rule.includes('172.16.') || rule.includes('192.168.') || /-j FOREIGN-/.test(rule);

function randomState(rand: () => number): IptablesState {
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const out: IptablesState = {};
  for (const table of TABLES) {
    if (rand() < 0.25) continue;
    const chains: Record<string, string[]> = {};
    const own = OWN_CHAINS.filter(() => rand() < 0.5);
    for (const chain of own) {
      chains[chain] = Array.from({ length: Math.floor(rand() * 4) }, () => pick([`-s 10.0.0.${Math.floor(rand() * 5)}/32 -j RETURN`, '-j ACCEPT']));
    }
    for (const builtin of BUILTIN_CHAINS[splitStateTable(table).table]!) {
      if (rand() < 0.4) continue;
      const options = [...own.map((c) => `-m comment --comment "to ${c}" -j ${c}`), `-s 10.9.0.${Math.floor(rand() * 3)}/32 -j ACCEPT`];
      chains[builtin] = Array.from({ length: Math.floor(rand() * 4) }, () => pick(options));
    }
    out[table] = chains;
  }
  return out;
}

/** Another tool's doing: foreign chains and foreign rules at random places in built-in chains. */
async function foreignActivity(fake: FakeIptablesRunner, rand: () => number): Promise<void> {
  for (const family of ['ip4', 'ip6'] as const) {
    const lines: string[] = [];
    for (const table of ['nat', 'filter']) {
      const t = fake.tables[family].get(table);
      lines.push(`*${table}`);
      for (const chain of FOREIGN_CHAINS) {
        if (!t?.chains.has(chain)) lines.push(`:${chain} - [0:0]`);
        if (rand() < 0.3) lines.push(`-A ${chain} -s 192.168.${Math.floor(rand() * 9)}.0/24 -j RETURN`);
      }
      for (const builtin of BUILTIN_CHAINS[table]!) {
        if (rand() < 0.5) continue;
        const length = t?.rules.get(builtin)?.length ?? 0;
        const position = 1 + Math.floor(rand() * (length + 1));
        const rule = rand() < 0.5 ? `-s 172.16.${Math.floor(rand() * 9)}.0/24 -j ACCEPT` : `-j ${FOREIGN_CHAINS[Math.floor(rand() * 2)]}`;
        lines.push(`-I ${builtin} ${position} ${rule}`);
      }
      lines.push('COMMIT');
    }
    await fake.restore(family, `${lines.join('\n')}\n`);
  }
}

function foreignView(fake: FakeIptablesRunner): unknown {
  const view: Record<string, unknown> = {};
  for (const family of ['ip4', 'ip6'] as const) {
    for (const [name, table] of fake.tables[family]) {
      for (const [chain, rules] of table.rules) {
        if (FOREIGN_CHAINS.includes(chain)) view[`${family} ${name} ${chain}`] = rules;
        else if (table.chains.get(chain)!.builtin) view[`${family} ${name} ${chain}`] = rules.filter(isForeignRule);
      }
    }
  }
  return view;
}

function checkMatches(fake: FakeIptablesRunner, desired: IptablesState, seed: number) {
  const where = `seed ${seed}`;
  for (const table of TABLES) {
    const { family, table: name } = splitStateTable(table);
    const want = desired[table] ?? {};
    const have = fake.tables[family].get(name);
    const builtins = BUILTIN_CHAINS[name]!;
    const ownWanted = Object.keys(want).filter((c) => !builtins.includes(c));
    for (const chain of OWN_CHAINS) {
      expect(have?.rules.get(chain), `${where} ${table} ${chain}`).to.deep.equal(want[chain]);
    }
    for (const chain of builtins) {
      const ours = (have?.rules.get(chain) ?? []).filter((r) => !isForeignRule(r));
      expect(ours, `${where} ${table} ${chain}`).to.deep.equal([...new Set(want[chain] ?? [])]);
    }
    const ledger = [
      ...ownWanted.map(ledgerChainEntry),
      ...builtins.flatMap((c) => [...new Set(want[c] ?? [])].filter((r) => !ownWanted.includes(jumpTarget(r)!)).map((r) => ledgerRuleEntry(c, r))),
    ].sort();
    expect(have?.rules.get(LEDGER_CHAIN), `${where} ${table} ledger`).to.deep.equal(ledger.length ? [...new Set(ledger)] : undefined);
  }
}

/** The desired section as ownedIptablesState reads it back: built-in lists without repeats, nothing empty. */
function normalized(desired: IptablesState): IptablesState {
  const out: IptablesState = {};
  for (const [table, chains] of Object.entries(desired) as [IptablesTable, Record<string, string[]>][]) {
    const builtins = BUILTIN_CHAINS[splitStateTable(table).table]!;
    const copy: Record<string, string[]> = {};
    for (const [chain, rules] of Object.entries(chains)) {
      if (!builtins.includes(chain)) copy[chain] = rules;
      else if (rules.length > 0) copy[chain] = [...new Set(rules)];
    }
    if (Object.keys(copy).length > 0) out[table] = copy;
  }
  return out;
}

describe('syncIptables property: random states over foreign activity', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`converges, keeps every foreign rule in place, and records ownership (seed ${seed})`, async () => {
      const rand = prng(seed);
      const fake = new FakeIptablesRunner();
      await foreignActivity(fake, rand);
      for (let step = 0; step < 6; step++) {
        const desired = randomState(rand);
        if (rand() < 0.5) await foreignActivity(fake, rand);
        const before = foreignView(fake);
        const result = await syncIptables(desired, fake);
        expect(result.warnings, `seed ${seed} step ${step}`).to.deep.equal([]);
        expect(foreignView(fake), `seed ${seed} step ${step} foreign`).to.deep.equal(before);
        checkMatches(fake, desired, seed);
        expect(ownedIptablesState(await readIptables(fake)), `seed ${seed} step ${step} owned`).to.deep.equal(normalized(desired));
        const restores = fake.restores.length;
        expect(await syncIptables(desired, fake), `seed ${seed} step ${step} second`).to.deep.equal({ operations: [], warnings: [] });
        expect(fake.restores.length).to.equal(restores);
      }
      const before = foreignView(fake);
      await cleanupIptables(fake);
      expect(foreignView(fake)).to.deep.equal(before);
      for (const family of ['ip4', 'ip6'] as const) {
        for (const [, table] of fake.tables[family]) {
          for (const chain of [...OWN_CHAINS, LEDGER_CHAIN]) expect(table.chains.has(chain), `seed ${seed} cleanup ${chain}`).to.equal(false);
        }
      }
    });
  }
});
