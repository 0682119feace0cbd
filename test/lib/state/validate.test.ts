import { expect } from 'chai';
import { formatProblem, parseState, StateValidationError, validateState } from '../../../lib/state/validate.js';

function problems(value: unknown): string[] {
  try {
    validateState(value);
  } catch (e) {
    if (e instanceof StateValidationError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

const rs = (address: string, port = 8080, extra: object = {}) => ({ address, port, weight: 1, forward: 'masq', ...extra });
const vs = (extra: object = {}) => ({
  protocol: 'tcp', address: '10.96.0.10', port: 80, scheduler: 'rr', flags: [], realServers: [rs('10.244.1.2')], ...extra,
});
const doc = (extra: object = {}) => ({ virtualServers: [vs()], ipsets: [], ...extra });

describe('validateState', () => {
  it('accepts a full state and returns it canonical', () => {
    const s = validateState({
      interface: { name: 'kube-ipvs0', addresses: ['10.96.0.10', 'FD00::A/128'] },
      virtualServers: [
        vs({ address: 'fd00:0::a', realServers: [rs('fd00::2', 80), rs('fd00::1', 80)] }),
        vs({ flags: ['persistent'], timeout: 10800, netmask: '255.255.255.255' }),
        { fwmark: 5, scheduler: 'mh', flags: ['mh-port', 'mh-fallback'], realServers: [] },
        vs({ protocol: 'udp', port: 0, flags: ['one-packet', 'persistent'], timeout: 60, realServers: [rs('10.244.1.2', 0)] }),
      ],
      ipsets: [{ name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', entries: ['10.96.0.10,80', '10.96.0.10,tcp:80'] }],
      iptables: { nat: { 'KUBE-SERVICES': ['-j RETURN'] } },
    });
    expect(s.interface).to.deep.equal({ name: 'kube-ipvs0', addresses: ['10.96.0.10/32', 'fd00::a/128'] });
    // Sorted by protocol, then address (IPv4 first), port; fwmark services last.
    expect(s.virtualServers.map((v) => v.fwmark ? `fwmark ${v.fwmark}` : `${v.protocol} ${v.address}:${v.port}`)).to.deep.equal([
      'tcp 10.96.0.10:80', 'tcp fd00::a:80', 'udp 10.96.0.10:0', 'fwmark 5',
    ]);
    expect(s.virtualServers[0]!).to.deep.include({ flags: ['persistent'], timeout: 10800 }).and.not.have.property('netmask');
    expect(s.virtualServers[1]!.realServers.map((r) => r.address)).to.deep.equal(['fd00::1', 'fd00::2']);
    expect(s.virtualServers[2]).to.deep.include({ flags: ['persistent', 'one-packet'], timeout: 60 });
    expect(s.virtualServers[3]).to.deep.include({ family: 'inet', flags: ['mh-fallback', 'mh-port'] });
    expect(s.ipsets[0]!.entries).to.deep.equal(['10.96.0.10,tcp:80']);
  });

  const bad: [string, unknown, string[]][] = [
    ['unknown scheduler', doc({ virtualServers: [vs({ port: 1 }), vs({ port: 2 }), vs({ port: 3 }), vs({ port: 4, scheduler: 'foo' })] }),
      ['virtualServers[3].scheduler: unknown scheduler "foo" (known: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos)']],
    ['invalid real server address', doc({ virtualServers: [vs({ realServers: [rs('10.244.1.2'), rs('10.0.0.300')] })] }),
      ['virtualServers[0].realServers[1].address: invalid IP address "10.0.0.300"']],
    ['port out of range', doc({ virtualServers: [vs({ port: 70000 })] }), ['virtualServers[0].port: 70000 is out of range 1-65535']],
    ['port 0 without persistence', doc({ virtualServers: [vs({ port: 0 })] }),
      ['virtualServers[0].port: 0 is out of range 1-65535 (port 0 matches any port and needs the persistent flag)']],
    ['port as a string', doc({ virtualServers: [vs({ port: '80' })] }), ['virtualServers[0].port: expected an integer, got "80"']],
    ['duplicate virtual servers', doc({ virtualServers: [vs(), vs({ scheduler: 'lc' })] }),
      ['virtualServers[1]: duplicate of virtualServers[0] (tcp 10.96.0.10:80)']],
    ['duplicate real servers (same canonical address)', doc({ virtualServers: [vs({ address: 'fd00::a', realServers: [rs('fd00::1'), rs('FD00:0::1')] })] }),
      ['virtualServers[0].realServers[1]: duplicate of realServers[0] ([fd00::1]:8080)']],
    ['mixed family without tunnel', doc({ virtualServers: [vs({ realServers: [rs('fd00::1')] })] }),
      ['virtualServers[0].realServers[0].address: fd00::1 is IPv6 in an inet virtual server: the kernel allows mixed families only with forward "tunnel"']],
    ['sh flag with another scheduler', doc({ virtualServers: [vs({ flags: ['sh-port'] })] }), ['virtualServers[0].flags[0]: "sh-port" needs scheduler sh']],
    ['mh flag with another scheduler', doc({ virtualServers: [vs({ scheduler: 'sh', flags: ['mh-fallback'] })] }), ['virtualServers[0].flags[0]: "mh-fallback" needs scheduler mh']],
    ['generic flag name where sh has its own', doc({ virtualServers: [vs({ scheduler: 'sh', flags: ['flag-2'] })] }),
      ['virtualServers[0].flags[0]: "flag-2" is written "sh-port" with scheduler sh']],
    ['unknown and repeated flags', doc({ virtualServers: [vs({ flags: ['sticky', 'flag-3', 'flag-3'] })] }), [
      'virtualServers[0].flags[0]: unknown flag "sticky" (known: persistent, one-packet, sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3)',
      'virtualServers[0].flags[2]: "flag-3" given twice',
    ]],
    ['one-packet on TCP', doc({ virtualServers: [vs({ flags: ['one-packet'] })] }),
      ['virtualServers[0].flags: "one-packet" applies to UDP and fwmark virtual servers only (as ipvsadm enforces)']],
    ['timeout without persistent', doc({ virtualServers: [vs({ timeout: 300 })] }),
      ['virtualServers[0].timeout: only with the persistent flag (it is the persistence timeout)']],
    ['persistent without timeout', doc({ virtualServers: [vs({ flags: ['persistent'] })] }),
      ['virtualServers[0].timeout: required with the persistent flag (seconds, 1-2678400)']],
    ['bad netmasks', doc({ virtualServers: [vs({ flags: ['persistent'], timeout: 1, netmask: '255.0.255.0' }), vs({ address: 'fd00::a', flags: ['persistent'], timeout: 1, netmask: 129, realServers: [] })] }), [
      'virtualServers[0].netmask: "255.0.255.0" is not a contiguous netmask',
      'virtualServers[1].netmask: 129 is out of range 1-128',
    ]],
    ['fwmark with an address', doc({ virtualServers: [{ fwmark: 1, address: '10.0.0.1', scheduler: 'rr', flags: [], realServers: [] }] }),
      ['virtualServers[0].address: not allowed with fwmark (a fwmark virtual server matches packets by their mark alone)']],
    ['fwmark 0', doc({ virtualServers: [{ fwmark: 0, scheduler: 'rr', flags: [], realServers: [] }] }), ['virtualServers[0].fwmark: 0 is out of range 1-4294967295']],
    ['route forwarding rewriting the port', doc({ virtualServers: [vs({ realServers: [rs('10.244.1.2', 8080, { forward: 'route' })] })] }),
      ['virtualServers[0].realServers[0].port: 8080 differs from the virtual server\'s port 80; forward "route" does not rewrite ports']],
    ['thresholds the kernel refuses', doc({ virtualServers: [vs({ realServers: [rs('10.244.1.2', 8080, { lowerThreshold: 10 }), rs('10.244.1.3', 8080, { upperThreshold: 5, lowerThreshold: 6 })] })] }), [
      'virtualServers[0].realServers[0].lowerThreshold: 10 is above upperThreshold 0 (the kernel refuses a lower threshold above the upper one)',
      'virtualServers[0].realServers[1].lowerThreshold: 6 is above upperThreshold 5 (the kernel refuses a lower threshold above the upper one)',
    ]],
    ['negative weight, unknown forward', doc({ virtualServers: [vs({ realServers: [{ address: '10.244.1.2', port: 80, weight: -1, forward: 'nat' }] })] }), [
      'virtualServers[0].realServers[0].forward: unknown forward method "nat" (known: masq, local, tunnel, route)',
      'virtualServers[0].realServers[0].weight: -1 is out of range 0-2147483647',
    ]],
    ['unknown ipset type', doc({ ipsets: [{ name: 'A', type: 'hash:ip', family: 'inet', entries: [] }, { name: 'B', type: 'hash:ip', family: 'inet', entries: [] }, { name: 'C', type: 'hash:foo', family: 'inet', entries: [] }] }),
      ['ipsets[2].type: unknown ipset type "hash:foo" (known: hash:ip, hash:ip,port, hash:ip,port,ip, hash:ip,port,net, bitmap:port, hash:net)']],
    ['bad ipset entry', doc({ ipsets: [{ name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', entries: ['10.96.0.1,tcp:80', 'a', 'b', 'c', '10.96.0.10,tcp:80-90'] }] }), [
      'ipsets[0].entries[1]: "a": expected 2 comma-separated parts, found 1',
      'ipsets[0].entries[2]: "b": expected 2 comma-separated parts, found 1',
      'ipsets[0].entries[3]: "c": expected 2 comma-separated parts, found 1',
      'ipsets[0].entries[4]: "10.96.0.10,tcp:80-90": port "80-90" is a range; give one entry per member',
    ]],
    ['reserved ledger name', doc({ ipsets: [{ name: 'IPVS-PROXIER-SETS', type: 'hash:ip', family: 'inet', entries: [] }] }),
      ['ipsets[0].name: "IPVS-PROXIER-SETS" is reserved: names starting with IPVS-PROXIER- are ipvs-proxier\'s own ledger and temporary sets']],
    ['duplicate and overlong set names', doc({ ipsets: [{ name: 'A', type: 'hash:ip', family: 'inet', entries: [] }, { name: 'A', type: 'hash:net', family: 'inet', entries: [] }, { name: 'X'.repeat(32), type: 'hash:ip', family: 'inet', entries: [] }] }), [
      'ipsets[1].name: duplicate of ipsets[0] ("A")',
      `ipsets[2].name: "${'X'.repeat(32)}" must be 1-31 characters long`,
    ]],
    ['bitmap options', doc({ ipsets: [{ name: 'P', type: 'bitmap:port', family: 'inet6', entries: ['40000'], maxelem: 5, range: '30000-32767' }] }), [
      'ipsets[0].family: bitmap:port sets have no address family: write "inet"',
      'ipsets[0].maxelem: only for hash types, not bitmap:port',
      'ipsets[0].entries[0]: "40000": port 40000 is outside the set\'s range 30000-32767',
    ]],
    ['more sets than the ledger can record', doc({ ipsets: Array.from({ length: 1025 }, (_, i) => ({ name: `S${i}`, type: 'hash:ip', family: 'inet', entries: [] })) }),
      ['ipsets: 1025 sets exceed the 1024 that ipvs-proxier\'s ledger can record']],
    ['more members than maxelem', doc({ ipsets: [{ name: 'S', type: 'hash:ip', family: 'inet', maxelem: 1, entries: ['10.0.0.1', '10.0.0.2'] }] }),
      ['ipsets[0].entries: 2 members exceed maxelem 1']],
    ['interface name too long', doc({ interface: { name: 'kube-ipvs0-too-long', addresses: [] } }),
      ['interface.name: "kube-ipvs0-too-long" must be 1-15 bytes long (IFNAMSIZ)']],
    ['interface address', doc({ interface: { name: 'kube-ipvs0', addresses: ['10.96.0.10/33', 'x'] } }), [
      'interface.addresses[0]: invalid prefix length "/33" (0-32)',
      'interface.addresses[1]: invalid IP address "x"',
    ]],
    ['typo in a top-level key', { virtualServer: [], ipsets: [] }, [
      'unknown field "virtualServer" (known: interface, virtualServers, ipsets, iptables)',
      'virtualServers: required (an empty list means none)',
    ]],
    ['iptables shape', doc({ iptables: { nat: { 'KUBE-SERVICES': '-j RETURN' }, security: {} } }), [
      'iptables.nat.KUBE-SERVICES: expected an array, got "-j RETURN"',
      'iptables.security: unknown table (known: nat, filter, mangle, raw, ip6-nat, ip6-filter, ip6-mangle, ip6-raw)',
    ]],
    ['not an object', [1, 2], ['a state is a JSON object, got an array']],
  ];
  for (const [what, value, want] of bad) {
    it(`reports: ${what}`, () => {
      expect(problems(value)).to.deep.equal(want);
    });
  }

  it('collects every problem of a document in one error, in document order', () => {
    let err: unknown;
    try {
      validateState({
        virtualServers: [vs({ scheduler: 'foo', port: 70000 }), vs({ realServers: [rs('10.0.0.300')] })],
        ipsets: [{ name: 'S', type: 'hash:foo', family: 'inet', entries: [] }],
      });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(StateValidationError);
    expect((err as Error).message).to.equal(
      'invalid state (4 problems):\n' +
        '  virtualServers[0].scheduler: unknown scheduler "foo" (known: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos)\n' +
        '  virtualServers[0].port: 70000 is out of range 1-65535\n' +
        '  virtualServers[1].realServers[0].address: invalid IP address "10.0.0.300"\n' +
        '  ipsets[0].type: unknown ipset type "hash:foo" (known: hash:ip, hash:ip,port, hash:ip,port,ip, hash:ip,port,net, bitmap:port, hash:net)',
    );
  });
});

describe('parseState', () => {
  it('reports malformed JSON with line and column', () => {
    expect(() => parseState('{\n  "virtualServers": [],\n  "ipsets": [\n    {"name": "A",}\n  ]\n}')).to.throw(
      StateValidationError,
      'invalid state: malformed JSON at line 4 column 18: unexpected character "}", expected a property name in double quotes',
    );
  });

  it('parses and validates', () => {
    expect(parseState(JSON.stringify(doc())).virtualServers).to.have.length(1);
    expect(() => parseState(JSON.stringify(doc({ virtualServers: [vs({ port: 0 })] })))).to.throw(StateValidationError, /port 0 matches any port/);
  });
});
