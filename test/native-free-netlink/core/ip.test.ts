import { expect } from 'chai';
import { AF_INET, AF_INET6, bytesToIp, canonicalIp, compareIp, ipToBytes, plainIpv4Number } from '../../../native-free-netlink/core/ip.js';

describe('IP address text and bytes', () => {
  it('prints IPv6 in RFC 5952 form', () => {
    expect(canonicalIp('FD00:0010:0096:0000:0000:0000:0000:000A')).to.equal('fd00:10:96::a');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).to.equal('2001:db8::1:0:0:1');
  });

  it('reads an IPv4 address from the 16 bytes IPVS returns', () => {
    const b = new Uint8Array(16);
    b.set([10, 96, 0, 10]);
    expect(bytesToIp(b, AF_INET)).to.equal('10.96.0.10');
  });

  it('refuses shorthand and out-of-range IPv4 text', () => {
    expect(() => ipToBytes('10.1')).to.throw(/invalid/);
    expect(() => ipToBytes('10.0.0.300')).to.throw(/invalid IP address "10.0.0.300"/);
    expect(ipToBytes('fd00::1').family).to.equal(AF_INET6);
  });

  it('orders IPv4 before IPv6 and numerically within a family', () => {
    const sorted = ['fd00::2', '10.0.0.10', '10.0.0.9', 'fd00::1'].sort(compareIp);
    expect(sorted).to.deep.equal(['10.0.0.9', '10.0.0.10', 'fd00::1', 'fd00::2']);
  });

  it('plainIpv4Number accepts exactly the plain dotted quads (the old regex), as numbers', () => {
    const regex = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
    expect(plainIpv4Number('255.255.255.255')).to.equal(0xffffffff);
    expect(plainIpv4Number('10.96.0.10')).to.equal(0x0a60000a);
    expect(plainIpv4Number('0.0.0.0')).to.equal(0);
    for (const bad of ['10.1', '010.0.0.1', '10.0.0.256', '1.2.3.4.5', '1..2.3', '1.2.3.', '.1.2.3', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.1000', '::1', '']) {
      expect(plainIpv4Number(bad), bad).to.equal(-1);
    }
    // Seeded random strings over the characters that matter, compared with the regex it replaces.
    let seed = 12345;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const alphabet = '0123456789..........25x';
    for (let i = 0; i < 20000; i++) {
      const s = Array.from({ length: 5 + next(12) }, () => alphabet[next(alphabet.length)]).join('');
      const m = regex.exec(s);
      const want = m ? ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0 : -1;
      expect(plainIpv4Number(s), s).to.equal(want);
    }
  });

  it('compares plain IPv4 numerically and agrees with the byte comparison', () => {
    expect(compareIp('10.0.0.9', '10.0.0.10')).to.be.below(0);
    expect(compareIp('10.0.1.0', '10.0.0.255')).to.be.above(0);
    expect(compareIp('255.255.255.255', '0.0.0.0')).to.be.above(0);
    expect(compareIp('10.0.0.1', '10.0.0.1')).to.equal(0);
    expect(compareIp('10.0.0.1', '::1')).to.be.below(0);
  });
});
