import { expect } from 'chai';
import { AF_INET, AF_INET6, bytesToIp, canonicalIp, compareIp, ipToBytes } from '../../../native-free-netlink/core/ip.js';

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
});
