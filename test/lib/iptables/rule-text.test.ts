import { expect } from 'chai';
import { jumpTarget, tokenizeRule } from '../../../lib/iptables/rule-text.js';

describe('rule text', () => {
  it('splits arguments and undoes iptables-save quoting', () => {
    expect(tokenizeRule('-m comment --comment "kubernetes service portals" -j KUBE-SERVICES')).to.deep.equal([
      '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES',
    ]);
    // as captured: a comment holding a quote and a backslash
    expect(tokenizeRule('-m comment --comment "quote \\" inside and \\\\backslash" -j RETURN')).to.deep.equal([
      '-m', 'comment', '--comment', 'quote " inside and \\backslash', '-j', 'RETURN',
    ]);
    expect(tokenizeRule('')).to.deep.equal([]);
    expect(tokenizeRule('-m comment --comment ""')).to.deep.equal(['-m', 'comment', '--comment', '']);
    expect(() => tokenizeRule('-m comment --comment "open')).to.throw(/unterminated quote/);
  });

  it('finds where a rule jumps or goes', () => {
    expect(jumpTarget('-m comment --comment "kubernetes service portals" -j KUBE-SERVICES')).to.equal('KUBE-SERVICES');
    expect(jumpTarget('-j MARK --set-xmark 0x4000/0x4000')).to.equal('MARK');
    expect(jumpTarget('-s 10.0.0.0/8 -g KUBE-FW')).to.equal('KUBE-FW');
    expect(jumpTarget('-s 10.0.0.0/8')).to.equal(undefined);
    expect(jumpTarget('')).to.equal(undefined);
  });

  it('is not fooled by a comment that mentions a jump', () => {
    expect(jumpTarget('-m comment --comment "-j KUBE-SERVICES" -j ACCEPT')).to.equal('ACCEPT');
    expect(jumpTarget('-m comment --comment "-j KUBE-SERVICES"')).to.equal(undefined);
    expect(jumpTarget('-m comment --comment -j -j RETURN')).to.equal('RETURN');
  });
});
