import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { ledgerChainEntry, ledgerRuleEntry, ownsRule, readLedger, ruleHash } from '../../../lib/iptables/ledger.js';

describe('iptables ownership ledger', () => {
  const jump = '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES';

  it('writes entries as OWNERSHIP.md says, in the text iptables-save prints back', () => {
    expect(ledgerChainEntry('KUBE-SERVICES')).to.equal('-m comment --comment "chain KUBE-SERVICES" -j RETURN');
    const hash = createHash('sha1').update(jump).digest('hex').slice(0, 16);
    expect(ruleHash(jump)).to.equal(hash).and.to.match(/^[0-9a-f]{16}$/);
    expect(ledgerRuleEntry('PREROUTING', jump)).to.equal(`-m comment --comment "rule PREROUTING ${hash}" -j RETURN`);
  });

  it('reads back what it writes and ignores other lines', () => {
    const ledger = readLedger([
      ledgerChainEntry('KUBE-SERVICES'),
      ledgerChainEntry('KUBE-MARK-MASQ'),
      ledgerRuleEntry('PREROUTING', jump),
      '-j RETURN',
      '-m comment --comment "rule PREROUTING nothex" -j RETURN',
    ]);
    expect([...ledger.chains]).to.deep.equal(['KUBE-SERVICES', 'KUBE-MARK-MASQ']);
    expect([...ledger.rules.keys()]).to.deep.equal(['PREROUTING']);
    expect(ownsRule(ledger, 'PREROUTING', jump)).to.equal(true);
    expect(ownsRule(ledger, 'OUTPUT', jump)).to.equal(false);
    expect(ownsRule(ledger, 'PREROUTING', `${jump} `)).to.equal(false);
  });
});
