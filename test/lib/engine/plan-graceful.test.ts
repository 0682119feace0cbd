import { expect } from 'chai';
import { planChanges } from '../../../lib/engine/plan.js';
import { connections, lines, observed, rs, state, vs } from './helpers/builders.js';

// One real server leaves the state; what happens to it, by protocol, option, connections and weight.
describe('graceful termination of real servers', () => {
  const cases: [string, string, boolean, number | undefined, number, string[]][] = [
    // [what, virtual server, gracefulTermination, connections, current weight, expected]
    ['TCP with connections: weight 0, kept', 'tcp 10.96.0.10:80', true, 3, 1,
      ['~ real server tcp 10.96.0.10:80 -> 10.244.9.9:8080 weight 1 -> 0 (graceful termination: 3 connections draining)']],
    ['TCP already at weight 0, still draining: nothing to do', 'tcp 10.96.0.10:80', true, 3, 0, []],
    ['TCP drained: deleted', 'tcp 10.96.0.10:80', true, 0, 0, ['- real server tcp 10.96.0.10:80 -> 10.244.9.9:8080']],
    ['TCP, connections unknown: deleted', 'tcp 10.96.0.10:80', true, undefined, 1, ['- real server tcp 10.96.0.10:80 -> 10.244.9.9:8080']],
    ['TCP with the option off: deleted', 'tcp 10.96.0.10:80', false, 3, 1, ['- real server tcp 10.96.0.10:80 -> 10.244.9.9:8080']],
    ['UDP: deleted at once', 'udp 10.96.0.10:53', true, 3, 1, ['- real server udp 10.96.0.10:53 -> 10.244.9.9:8080']],
    ['SCTP: deleted at once', 'sctp 10.96.0.10:80', true, 3, 1, ['- real server sctp 10.96.0.10:80 -> 10.244.9.9:8080']],
    ['fwmark (not UDP, not SCTP): graceful', 'fwmark inet 7', true, 2, 1,
      ['~ real server fwmark inet 7 -> 10.244.9.9:8080 weight 1 -> 0 (graceful termination: 2 connections draining)']],
  ];
  for (const [what, key, graceful, conns, weight, want] of cases) {
    it(what, () => {
      const stays = rs('10.244.1.2:8080');
      const leaves = rs('10.244.9.9:8080', weight);
      const kernel = observed({
        virtualServers: [vs(key, [stays, leaves])],
        ownedVirtualServers: [key],
        ...(conns === undefined ? {} : { connections: connections({ [key]: { '10.244.9.9:8080': conns, '10.244.1.2:8080': 7 } }) }),
      });
      expect(lines(planChanges(state({ virtualServers: [vs(key, [stays])] }), kernel, { gracefulTermination: graceful }))).to.deep.equal(want);
    });
  }

  it('a draining real server that comes back is restored in place', () => {
    const key = 'tcp 10.96.0.10:80';
    const kernel = observed({ virtualServers: [vs(key, [rs('10.244.9.9:8080', 0)])], ownedVirtualServers: [key] });
    expect(lines(planChanges(state({ virtualServers: [vs(key, [rs('10.244.9.9:8080')])] }), kernel, { gracefulTermination: true }))).to.deep.equal([
      '~ real server tcp 10.96.0.10:80 -> 10.244.9.9:8080 weight 0 -> 1',
    ]);
  });

  it('new real servers are added before old ones are drained', () => {
    const key = 'tcp 10.96.0.10:80';
    const kernel = observed({
      virtualServers: [vs(key, [rs('10.244.9.9:8080')])],
      ownedVirtualServers: [key],
      connections: connections({ [key]: { '10.244.9.9:8080': 1 } }),
    });
    expect(lines(planChanges(state({ virtualServers: [vs(key, [rs('10.244.1.1:8080')])] }), kernel, { gracefulTermination: true }))).to.deep.equal([
      '+ real server tcp 10.96.0.10:80 -> 10.244.1.1:8080 masq weight 1',
      '~ real server tcp 10.96.0.10:80 -> 10.244.9.9:8080 weight 1 -> 0 (graceful termination: 1 connections draining)',
    ]);
  });
});
