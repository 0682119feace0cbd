import { expect } from 'chai';
import { canonicalIpsetEntry, parsePortRange } from '../../../lib/state/ipset-entry-syntax.js';
import type { Family, IpsetType } from '../../../lib/state/types.js';

// Canonical forms are what ipset 7.17 lists for the member (checked with the real tool on this machine).
const canonical: [IpsetType, Family, string, string][] = [
  ['hash:ip', 'inet', '10.96.0.10', '10.96.0.10'],
  ['hash:ip', 'inet6', 'FD00:0:0::a', 'fd00::a'],
  ['hash:ip,port', 'inet', '10.96.0.10,80', '10.96.0.10,tcp:80'],
  ['hash:ip,port', 'inet', '10.96.0.10,UDP:53', '10.96.0.10,udp:53'],
  ['hash:ip,port', 'inet', '10.96.0.10,sctp:0', '10.96.0.10,sctp:0'],
  ['hash:ip,port', 'inet6', 'fd00::1,tcp:443', 'fd00::1,tcp:443'],
  ['hash:ip,port,ip', 'inet', '10.244.1.2,tcp:8080,10.244.1.2', '10.244.1.2,tcp:8080,10.244.1.2'],
  ['hash:ip,port,net', 'inet', '10.0.0.1,tcp:80,10.3.3.3/16', '10.0.0.1,tcp:80,10.3.0.0/16'],
  ['hash:ip,port,net', 'inet', '10.0.0.1,tcp:80,10.0.0.7/32', '10.0.0.1,tcp:80,10.0.0.7'],
  ['hash:net', 'inet', '10.1.2.3/8', '10.0.0.0/8'],
  ['hash:net', 'inet', '10.1.2.3/32', '10.1.2.3'],
  ['hash:net', 'inet6', 'fd00::5/64', 'fd00::/64'],
  ['bitmap:port', 'inet', '31122', '31122'],
];

const refused: [IpsetType, Family, string, RegExp][] = [
  ['hash:ip', 'inet', '10.0.0.0/30', /prefix length/],
  ['hash:ip', 'inet', '10.0.0.1-10.0.0.5', /range/],
  ['hash:ip', 'inet', 'fd00::1', /not an inet address/],
  ['hash:ip', 'inet', '10.0.0.300', /not an inet address/],
  ['hash:ip,port', 'inet', '10.96.0.10', /2 comma-separated parts/],
  ['hash:ip,port', 'inet', '10.96.0.10,tcp:80-90', /range/],
  ['hash:ip,port', 'inet', '10.96.0.10,tcp:70000', /out of range 0-65535/],
  ['hash:ip,port', 'inet', '10.96.0.10,foo:1', /unknown protocol "foo"/],
  ['hash:net', 'inet', '10.0.0.0/0', /prefix length 0/],
  ['hash:ip', 'inet', '10.0.0.1 timeout 30', /member options .* not supported/],
  ['hash:net', 'inet', '10.0.0.0/8 nomatch', /member options/],
  ['hash:ip', 'inet', ' 10.0.0.1', /leading or trailing whitespace/],
  ['bitmap:port', 'inet', '70000', /out of range/],
];

describe('ipset member text in the state format', () => {
  for (const [type, family, text, want] of canonical) {
    it(`${type} ${family} "${text}" -> "${want}"`, () => {
      expect(canonicalIpsetEntry(type, family, text)).to.deep.equal({ canonical: want });
    });
  }
  for (const [type, family, text, why] of refused) {
    it(`${type} ${family} "${text}" is refused`, () => {
      const r = canonicalIpsetEntry(type, family, text);
      expect(r.canonical).to.equal(undefined);
      expect(r.error).to.match(why);
    });
  }

  it('bitmap:port members must lie in the set range', () => {
    expect(canonicalIpsetEntry('bitmap:port', 'inet', '150', { from: 100, to: 200 })).to.deep.equal({ canonical: '150' });
    expect(canonicalIpsetEntry('bitmap:port', 'inet', '250', { from: 100, to: 200 }).error).to.equal(
      '"250": port 250 is outside the set\'s range 100-200',
    );
  });

  it('reads bitmap:port ranges', () => {
    expect(parsePortRange('0-65535')).to.deep.equal({ from: 0, to: 65535 });
    expect(parsePortRange('30000-32767')).to.deep.equal({ from: 30000, to: 32767 });
    for (const bad of ['200-100', '0-65536', '1-', '80', 'a-b']) expect(parsePortRange(bad), bad).to.equal(undefined);
  });
});
