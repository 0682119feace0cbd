import { expect } from 'chai';
import { IptablesSaveParseError, parseIptablesSave } from '../../../lib/iptables/save-parser.js';
import { capturedSave } from './fixtures.js';

describe('parseIptablesSave', () => {
  it('reads every table, chain and rule of a real iptables-nft-save, rule text exactly as printed', () => {
    const tables = parseIptablesSave(capturedSave('nft.save'));
    expect([...tables.keys()]).to.deep.equal(['filter', 'nat']);
    const nat = tables.get('nat')!;
    expect([...nat.chains]).to.deep.equal([
      ['PREROUTING', { builtin: true, policy: 'ACCEPT' }],
      ['INPUT', { builtin: true, policy: 'ACCEPT' }],
      ['OUTPUT', { builtin: true, policy: 'ACCEPT' }],
      ['POSTROUTING', { builtin: true, policy: 'ACCEPT' }],
      ['KUBE-MARK-MASQ', { builtin: false, policy: null }],
      ['KUBE-NODE-PORT', { builtin: false, policy: null }],
      ['KUBE-POSTROUTING', { builtin: false, policy: null }],
      ['KUBE-SERVICES', { builtin: false, policy: null }],
    ]);
    expect(nat.rules.get('PREROUTING')).to.deep.equal(['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    expect(nat.rules.get('INPUT')).to.deep.equal([]);
    expect(nat.rules.get('KUBE-NODE-PORT')).to.deep.equal([]);
    expect(nat.rules.get('KUBE-MARK-MASQ')).to.deep.equal(['-j MARK --set-xmark 0x4000/0x4000']);
    expect(nat.rules.get('KUBE-SERVICES')).to.deep.equal([
      '-s 127.0.0.0/8 -j RETURN',
      '! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ',
      '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
      '-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT',
    ]);
    const filter = tables.get('filter')!;
    expect(filter.chains.get('FORWARD')).to.deep.equal({ builtin: true, policy: 'DROP' });
    expect(filter.rules.get('FOREIGN-FW')).to.deep.equal([
      '-m comment --comment "quote \\" inside and \\\\backslash" -j RETURN',
      '-m comment --comment nospace -j RETURN',
    ]);
  });

  it('reads legacy output the same as nft output', () => {
    expect(parseIptablesSave(capturedSave('legacy.save'))).to.deep.equal(parseIptablesSave(capturedSave('nft.save')));
    expect(parseIptablesSave(capturedSave('legacy-ip6.save'))).to.deep.equal(parseIptablesSave(capturedSave('nft-ip6.save')));
  });

  it('reads one table (-t nat) as that table alone', () => {
    const all = parseIptablesSave(capturedSave('nft.save'));
    const nat = parseIptablesSave(capturedSave('nft-t-nat.save'));
    expect([...nat.keys()]).to.deep.equal(['nat']);
    expect(nat.get('nat')).to.deep.equal(all.get('nat'));
  });

  it('drops the [packets:bytes] prefix of -c output', () => {
    for (const backend of ['nft', 'legacy']) {
      const counted = parseIptablesSave(capturedSave(`${backend}-counters-t-filter.save`));
      expect(counted.get('filter')).to.deep.equal(parseIptablesSave(capturedSave(`${backend}.save`)).get('filter'));
    }
  });

  it('reads ip6tables-save output', () => {
    const tables = parseIptablesSave(capturedSave('nft-ip6.save'));
    expect(tables.get('filter')!.rules.get('INPUT')).to.deep.equal(['-s fd00::/8 -p udp -m udp --dport 53 -j ACCEPT']);
    expect(tables.get('nat')!.rules.get('KUBE-SERVICES')).to.deep.equal([
      '-s ::1/128 -j RETURN',
      '-m set --match-set KUBE-6-CLUSTER-IP dst,dst -j ACCEPT',
    ]);
  });

  it('reads a fresh namespace (no output at all) as no tables', () => {
    expect(capturedSave('nft-empty.save')).to.equal('');
    expect(parseIptablesSave(capturedSave('nft-empty.save')).size).to.equal(0);
    expect(parseIptablesSave(capturedSave('legacy-empty.save')).size).to.equal(0);
  });

  it('keeps stdout clean when iptables-nft-save warns about legacy tables (on stderr)', () => {
    expect(capturedSave('nft-beside-legacy.stderr')).to.match(/^# Warning: iptables-legacy tables present/);
    const tables = parseIptablesSave(capturedSave('nft-beside-legacy.save'));
    expect([...tables.get('filter')!.chains.keys()]).to.deep.equal(['INPUT', 'FORWARD', 'OUTPUT', 'NFT-ONLY']);
    // and the comment line itself would be skipped too
    expect(parseIptablesSave(capturedSave('nft-beside-legacy.stderr') + capturedSave('nft-beside-legacy.save'))).to.deep.equal(tables);
  });

  it('keeps a rule with no match and no target as the empty text', () => {
    const tables = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT\nCOMMIT\n');
    expect(tables.get('filter')!.rules.get('INPUT')).to.deep.equal(['']);
  });

  it('rejects what is not iptables-save output, naming the line', () => {
    const bad: [string, RegExp][] = [
      ['*nat\n:PREROUTING ACCEPT [0:0]\n-A KUBE-X -j RETURN\nCOMMIT\n', /line 3: rule in undeclared chain KUBE-X/],
      ['*nat\n:PREROUTING ACCEPT [0:0]\n', /no COMMIT/],
      ['*nat\nCOMMIT\n*nat\nCOMMIT\n', /line 3: table printed twice/],
      [':INPUT ACCEPT [0:0]\n', /line 1: line outside a table/],
      ['*filter\n-I INPUT 1 -j ACCEPT\nCOMMIT\n', /line 2: not a table, chain, rule or COMMIT line/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseIptablesSave(text)).to.throw(IptablesSaveParseError, message);
    }
  });
});
