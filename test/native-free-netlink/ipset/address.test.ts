// Address text as ipset (glibc inet_ntop / inet_pton) writes and reads it. Expected texts are what
// `ipset save` printed for these addresses.
import { expect } from 'chai';
import { formatAddress, maskAddress, parseAddress, parseAnyAddress } from '../../../native-free-netlink/ipset/index.js';
import { Prng } from './helpers.js';

const V6: [string, string][] = [
  ['::1.2.3.4', '::1.2.3.4'], // first 96 bits zero: dotted tail (ipaddr.js would read ::ffff:1.2.3.4)
  ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
  ['::ffff:0.0.0.0', '::ffff:0.0.0.0'],
  ['::0.1.0.0', '::0.1.0.0'],
  ['::0.0.0.1', '::1'],
  ['::0.0.1.0', '::100'],
  ['::ffff', '::ffff'],
  ['::', '::'],
  ['0:0:0:0:0:1:0:0', '::1:0:0'],
  ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
  ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
  ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], // the longer zero run is compressed
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // equal runs: the first one
  ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'], // a single zero group stays
  ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
  ['FD00:0:0::0001', 'fd00::1'],
  ['fe80::1:2', 'fe80::1:2'],
];

describe('ipset address text', () => {
  for (const [input, printed] of V6) {
    it(`"${input}" prints as "${printed}"`, () => {
      const b = parseAddress(input, 10);
      expect(b, input).to.not.equal(undefined);
      expect(formatAddress(b!)).to.equal(printed);
      expect(formatAddress(parseAddress(printed, 10)!)).to.equal(printed);
    });
  }

  it('reads the dotted tail into the last 32 bits', () => {
    expect(Array.from(parseAddress('::1.2.3.4', 10)!)).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    expect(Array.from(parseAddress('::ffff:1.2.3.4', 10)!.subarray(10))).to.deep.equal([0xff, 0xff, 1, 2, 3, 4]);
  });

  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '1:2', ':1::', '12345::', 'g::', '::1.2.3', '1.2.3.4::', 'fe80::1%eth0', '']) {
    it(`refuses IPv6 "${bad}"`, () => expect(parseAddress(bad, 10)).to.equal(undefined));
  }
  for (const bad of ['1.2.3', '01.2.3.4', '1.2.3.256', '1.2.3.4.5', '1.2.3.-4', ' 1.2.3.4', '0x1.2.3.4']) {
    it(`refuses IPv4 "${bad}"`, () => expect(parseAddress(bad, 2)).to.equal(undefined));
  }

  it('parseAnyAddress tells the family by the colon', () => {
    expect(parseAnyAddress('10.0.0.1')?.family).to.equal(2);
    expect(parseAnyAddress('fd00::1')?.family).to.equal(10);
    expect(parseAnyAddress('nope')).to.equal(undefined);
  });

  it('maskAddress clears host bits', () => {
    expect(formatAddress(maskAddress(parseAddress('198.51.100.77', 2)!, 24))).to.equal('198.51.100.0');
    expect(formatAddress(maskAddress(parseAddress('255.255.255.255', 2)!, 1))).to.equal('128.0.0.0');
    expect(formatAddress(maskAddress(parseAddress('2001:db8:1:ffff::1', 10)!, 48))).to.equal('2001:db8:1::');
    expect(formatAddress(maskAddress(parseAddress('10.1.2.3', 2)!, 32))).to.equal('10.1.2.3');
  });

  it('random addresses: format(parse(format(b))) = format(b) and parse(format(b)) = b', () => {
    const r = new Prng(42);
    for (let i = 0; i < 2000; i++) {
      const v6 = r.next() < 0.7;
      const b = v6 ? Uint8Array.from(r.bytes(16), (x) => (r.next() < 0.4 ? 0 : x)) : r.bytes(4);
      const text = formatAddress(b);
      expect(Array.from(parseAddress(text, v6 ? 10 : 2)!), text).to.deep.equal(Array.from(b));
    }
  });
});
