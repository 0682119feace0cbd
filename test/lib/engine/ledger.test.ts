import { expect } from 'chai';
import { virtualServerKey } from '../../../lib/state/canonical.js';
import type { VirtualServer } from '../../../lib/state/types.js';
import {
  keyFromLedgerEntry, ledgerEntryFor, ledgerEntryForIpset, ledgerFromIpsets, virtualServerIdFromKey, type ListedIpset,
} from '../../../lib/engine/ledger.js';
import { Rng } from './helpers/prng.js';
import { vs } from './helpers/builders.js';

describe('ownership ledger', () => {
  const entries: [string, string, string][] = [
    ['tcp 10.96.0.10:80', 'IPVS-PROXIER-VS', '10.96.0.10,tcp:80'],
    ['udp 10.96.0.10:53', 'IPVS-PROXIER-VS', '10.96.0.10,udp:53'],
    ['sctp 10.96.0.10:0', 'IPVS-PROXIER-VS', '10.96.0.10,sctp:0'],
    ['tcp [fd00::a]:443', 'IPVS-PROXIER-VS6', 'fd00::a,tcp:443'],
    ['fwmark inet 5', 'IPVS-PROXIER-FWM', '0.0.0.5'],
    ['fwmark inet6 4294967295', 'IPVS-PROXIER-FWM6', '255.255.255.255'],
    ['fwmark inet 65536', 'IPVS-PROXIER-FWM', '0.1.0.0'],
  ];
  for (const [key, set, entry] of entries) {
    it(`${key} is recorded as ${set} ${entry}, and read back`, () => {
      expect(ledgerEntryFor(vs(key))).to.deep.equal({ set, entry, object: `virtual server ${key}` });
      expect(keyFromLedgerEntry(set as 'IPVS-PROXIER-VS', entry)).to.equal(key);
    });
  }

  it('writes canonical address text', () => {
    expect(ledgerEntryFor(vs('tcp [FD00:0::A]:80')).entry).to.equal('fd00::a,tcp:80');
  });

  it('ignores members it never writes', () => {
    expect(keyFromLedgerEntry('IPVS-PROXIER-VS', '10.0.0.1,icmp:ping')).to.equal(undefined);
    expect(keyFromLedgerEntry('IPVS-PROXIER-FWM', '0.0.0.0')).to.equal(undefined);
  });

  it('virtualServerIdFromKey inverts virtualServerKey (random keys)', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 300; i++) {
      const v: VirtualServer = rng.chance(0.3)
        ? vs(`fwmark ${rng.pick(['inet', 'inet6'])} ${1 + rng.int(2 ** 32 - 1)}`)
        : vs(`${rng.pick(['tcp', 'udp', 'sctp'])} ${rng.chance(0.5) ? `10.${rng.int(256)}.0.${rng.int(256)}` : `[fd00::${rng.int(65536).toString(16)}]`}:${rng.int(65536)}`);
      const key = virtualServerKey(v);
      expect(virtualServerKey(virtualServerIdFromKey(key) as VirtualServer)).to.equal(key);
      const e = ledgerEntryFor(v);
      expect(keyFromLedgerEntry(e.set, e.entry)).to.equal(key);
    }
  });

  it('splits a listing into ordinary sets and the ledger', () => {
    const listing: ListedIpset[] = [
      { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', entries: ['10.96.0.10,tcp:80'] },
      { name: 'keepalived', type: 'hash:mac', family: 'inet', entries: [] },
      { name: 'IPVS-PROXIER-VS', type: 'hash:ip,port', family: 'inet', entries: ['10.96.0.10,tcp:80', '10.96.0.10,udp:53'] },
      { name: 'IPVS-PROXIER-FWM6', type: 'hash:ip', family: 'inet', entries: ['0.0.0.9'] },
      { name: 'IPVS-PROXIER-SETS', type: 'list:set', family: 'inet', entries: ['KUBE-CLUSTER-IP'] },
      { name: 'IPVS-PROXIER-TMP-3', type: 'hash:ip', family: 'inet6', entries: ['fd00::1'] },
    ];
    const { ipsets, ledger } = ledgerFromIpsets(listing);
    expect(ipsets.map((s) => s.name)).to.deep.equal(['KUBE-CLUSTER-IP', 'keepalived']);
    expect([...ledger.sets]).to.deep.equal(['IPVS-PROXIER-VS', 'IPVS-PROXIER-FWM6', 'IPVS-PROXIER-SETS']);
    expect([...ledger.virtualServers]).to.deep.equal(['tcp 10.96.0.10:80', 'udp 10.96.0.10:53', 'fwmark inet6 9']);
    expect([...ledger.ipsets]).to.deep.equal(['KUBE-CLUSTER-IP']);
    expect([...ledger.temporaryIpsets]).to.deep.equal(['IPVS-PROXIER-TMP-3']);
  });

  it('refuses to trust a ledger-named set of another shape', () => {
    expect(() => ledgerFromIpsets([{ name: 'IPVS-PROXIER-VS', type: 'hash:ip', family: 'inet', entries: [] }])).to.throw(
      /IPVS-PROXIER-VS is hash:ip inet, not ipvs-proxier's ledger \(hash:ip,port inet\)/,
    );
    expect(() => ledgerFromIpsets([{ name: 'IPVS-PROXIER-VS6', type: 'hash:ip,port', family: 'inet', entries: [] }])).to.throw(/not ipvs-proxier's ledger/);
  });

  it('records sets by name', () => {
    expect(ledgerEntryForIpset('KUBE-LOOP-BACK')).to.deep.equal({ set: 'IPVS-PROXIER-SETS', entry: 'KUBE-LOOP-BACK', object: 'ipset KUBE-LOOP-BACK' });
  });
});
