import { expect } from 'chai';
import { FakeIptablesRunner } from '../../../lib/iptables/fake-runner.js';
import { ownedIptablesState } from '../../../lib/iptables/owned.js';
import { readIptables, syncIptables } from '../../../lib/iptables/sync.js';
import { capturedSave } from './fixtures.js';

describe('ownedIptablesState', () => {
  it('reads nothing from tables without a ledger (kube-proxy\'s chains are not ours)', async () => {
    const fake = new FakeIptablesRunner({ ip4: capturedSave('nft.save'), ip6: capturedSave('nft-ip6.save') });
    expect(ownedIptablesState(await readIptables(fake))).to.deep.equal({});
  });

  it('reads back our chains and our rules in built-in chains, not the foreign ones around them', async () => {
    const fake = new FakeIptablesRunner({ ip4: capturedSave('nft.save') });
    const state = {
      nat: { PREROUTING: ['-j KUBE-SVC2'], 'KUBE-SVC2': ['-j RETURN'], 'KUBE-MARK-MASQ': ['-j MARK --set-xmark 0x4000/0x4000'] },
      filter: { INPUT: ['-s 10.0.0.1/32 -j FOREIGN-FW'] },
    };
    await syncIptables(state, fake);
    expect(ownedIptablesState(await readIptables(fake))).to.deep.equal(state);
  });
});
