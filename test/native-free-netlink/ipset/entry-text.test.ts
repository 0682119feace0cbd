// Member text both ways. Expected texts are what `ipset save` printed for the same members (ipset 7.17,
// checked with the real tool), including its quirks: glibc's IPv6 text, "ipv6-icmp", masked networks.
import { expect } from 'chai';
import {
  formatEntry,
  IpsetEntryTextError,
  IPSET_TYPE_NAMES,
  parseEntry,
  type IpsetEntry,
  type IpsetTypeName,
} from '../../../native-free-netlink/ipset/index.js';
import { Prng } from './helpers.js';

const INET = 2;
const INET6 = 10;

interface Case {
  type: IpsetTypeName;
  family: number;
  text: string;
  entry: IpsetEntry;
  /** What ipset prints for it, when not `text` itself. */
  printed?: string;
}

const CASES: Case[] = [
  { type: 'hash:ip', family: INET, text: '10.96.0.10', entry: { ip: '10.96.0.10' } },
  { type: 'hash:ip', family: INET6, text: 'fd00:10:96::a', entry: { ip: 'fd00:10:96::a' } },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,tcp:80', entry: { ip: '10.96.0.10', proto: 6, port: 80 } },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,80', entry: { ip: '10.96.0.10', proto: 6, port: 80 }, printed: '10.96.0.10,tcp:80' },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,UDP:53', entry: { ip: '10.96.0.10', proto: 17, port: 53 }, printed: '10.96.0.10,udp:53' },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.11,sctp:3868', entry: { ip: '10.96.0.11', proto: 132, port: 3868 } },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,udplite:7', entry: { ip: '10.96.0.10', proto: 136, port: 7 } },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.11,tcp:0', entry: { ip: '10.96.0.11', proto: 6, port: 0 } },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,icmp:echo-request', entry: { ip: '10.96.0.10', proto: 1, port: 0x0800 } },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,icmp:8/0', entry: { ip: '10.96.0.10', proto: 1, port: 0x0800 }, printed: '10.96.0.10,icmp:echo-request' },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,icmp:3/5', entry: { ip: '10.96.0.10', proto: 1, port: 0x0305 }, printed: '10.96.0.10,icmp:source-route-failed' },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,icmp:200/3', entry: { ip: '10.96.0.10', proto: 1, port: 0xc803 } },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,gre:0', entry: { ip: '10.96.0.10', proto: 47, port: 0 } },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,47:0', entry: { ip: '10.96.0.10', proto: 47, port: 0 }, printed: '10.96.0.10,gre:0' },
  { type: 'hash:ip,port', family: INET, text: '10.96.0.10,253:0', entry: { ip: '10.96.0.10', proto: 253, port: 0 } },
  { type: 'hash:ip,port', family: INET6, text: 'fd00::1,udp:53', entry: { ip: 'fd00::1', proto: 17, port: 53 } },
  { type: 'hash:ip,port', family: INET6, text: 'FD00:0:0::0001,tcp:80', entry: { ip: 'fd00::1', proto: 6, port: 80 }, printed: 'fd00::1,tcp:80' },
  { type: 'hash:ip,port', family: INET6, text: 'fd00::1,icmpv6:echo-request', entry: { ip: 'fd00::1', proto: 58, port: 0x8000 }, printed: 'fd00::1,ipv6-icmp:echo-request' },
  { type: 'hash:ip,port', family: INET6, text: 'fd00::1,ipv6-icmp:1/0', entry: { ip: 'fd00::1', proto: 58, port: 0x0100 }, printed: 'fd00::1,ipv6-icmp:no-route' },
  { type: 'hash:ip,port', family: INET6, text: 'fd00::1,icmpv6:200/1', entry: { ip: 'fd00::1', proto: 58, port: 0xc801 }, printed: 'fd00::1,ipv6-icmp:200/1' },
  { type: 'hash:ip,port', family: INET6, text: '2001:db8:0:0:1:0:0:1,tcp:2', entry: { ip: '2001:db8::1:0:0:1', proto: 6, port: 2 }, printed: '2001:db8::1:0:0:1,tcp:2' },
  { type: 'hash:ip,port', family: INET6, text: '::ffff:1.2.3.4,tcp:1', entry: { ip: '::ffff:1.2.3.4', proto: 6, port: 1 } },
  { type: 'hash:ip,port,ip', family: INET, text: '10.244.1.5,tcp:8080,10.244.1.5', entry: { ip: '10.244.1.5', proto: 6, port: 8080, ip2: '10.244.1.5' } },
  { type: 'hash:ip,port,ip', family: INET6, text: 'fd00:10:244::5,tcp:8080,fd00:10:244::5', entry: { ip: 'fd00:10:244::5', proto: 6, port: 8080, ip2: 'fd00:10:244::5' } },
  { type: 'hash:ip,port,net', family: INET, text: '203.0.113.5,tcp:80,198.51.100.0/24', entry: { ip: '203.0.113.5', proto: 6, port: 80, ip2: '198.51.100.0', cidr2: 24 } },
  { type: 'hash:ip,port,net', family: INET, text: '203.0.113.5,tcp:84,198.51.100.77/24', entry: { ip: '203.0.113.5', proto: 6, port: 84, ip2: '198.51.100.0', cidr2: 24 }, printed: '203.0.113.5,tcp:84,198.51.100.0/24' },
  { type: 'hash:ip,port,net', family: INET, text: '203.0.113.5,tcp:81,198.51.100.7/32', entry: { ip: '203.0.113.5', proto: 6, port: 81, ip2: '198.51.100.7', cidr2: 32 }, printed: '203.0.113.5,tcp:81,198.51.100.7' },
  { type: 'hash:ip,port,net', family: INET, text: '203.0.113.5,tcp:82,198.51.100.7', entry: { ip: '203.0.113.5', proto: 6, port: 82, ip2: '198.51.100.7', cidr2: 32 } },
  { type: 'hash:ip,port,net', family: INET, text: '203.0.113.5,tcp:85,0.0.0.0/1', entry: { ip: '203.0.113.5', proto: 6, port: 85, ip2: '0.0.0.0', cidr2: 1 } },
  { type: 'hash:ip,port,net', family: INET6, text: '2001:db8::5,tcp:80,2001:db8:1::/48', entry: { ip: '2001:db8::5', proto: 6, port: 80, ip2: '2001:db8:1::', cidr2: 48 } },
  { type: 'hash:net', family: INET, text: '10.0.0.0/8', entry: { ip: '10.0.0.0', cidr: 8 } },
  { type: 'hash:net', family: INET, text: '192.168.1.77/24', entry: { ip: '192.168.1.0', cidr: 24 }, printed: '192.168.1.0/24' },
  { type: 'hash:net', family: INET, text: '10.1.2.3', entry: { ip: '10.1.2.3', cidr: 32 } },
  { type: 'hash:net', family: INET, text: '10.1.2.3/32', entry: { ip: '10.1.2.3', cidr: 32 }, printed: '10.1.2.3' },
  { type: 'hash:net', family: INET6, text: 'fd00:10:96::/112', entry: { ip: 'fd00:10:96::', cidr: 112 } },
  { type: 'bitmap:port', family: 0, text: '31122', entry: { port: 31122 } },
  { type: 'bitmap:port', family: 0, text: '0', entry: { port: 0 } },
  { type: 'bitmap:port', family: 0, text: '65535', entry: { port: 65535 } },
  { type: 'bitmap:port', family: 0, text: 'tcp:22', entry: { port: 22 }, printed: '22' },
];

describe('ipset entry text', () => {
  for (const c of CASES) {
    it(`${c.type} ${c.family === INET6 ? 'inet6 ' : ''}"${c.text}"`, () => {
      expect(parseEntry(c.type, c.family, c.text)).to.deep.equal(c.entry);
      expect(formatEntry(c.type, c.family, c.entry)).to.equal(c.printed ?? c.text);
    });
  }

  const BAD: [IpsetTypeName, number, string, RegExp][] = [
    ['hash:ip,port', INET, '10.96.0.10', /expected 2 comma-separated parts, found 1/],
    ['hash:ip,port', INET, '10.96.0.10,tcp:65536', /port 65536 is out of range 0-65535/],
    ['hash:ip,port', INET, '10.96.0.10,tcp:080', /not a decimal number/],
    ['hash:ip,port', INET, '10.96.0.10,tcp:http', /"http" is not a decimal number/],
    ['hash:ip,port', INET, '10.96.0.10,tcp:1-3', /is a range/],
    ['hash:ip,port', INET, '10.96.0.10,gre:5', /gre can be used with pseudo port value 0 only/],
    ['hash:ip,port', INET, '10.96.0.10,foo:5', /unknown protocol "foo"/],
    ['hash:ip,port', INET, '10.96.0.10,icmp:echo', /not an icmp type name or TYPE\/CODE/],
    ['hash:ip,port', INET, '10.96.0.10,icmp:256/0', /not an icmp type name/],
    ['hash:ip,port', INET, '10.96.0.10,icmpv6:1/0', /ipv6-icmp can be used with family inet6 only/],
    ['hash:ip,port', INET6, 'fd00::1,icmp:8/0', /icmp can be used with family inet only/],
    ['hash:ip,port', INET, 'fd00::1,tcp:80', /"fd00::1" is not an inet address/],
    ['hash:ip,port', INET6, '10.0.0.1,tcp:80', /"10.0.0.1" is not an inet6 address/],
    ['hash:ip,port', INET, '01.2.3.4,tcp:80', /not an inet address/],
    ['hash:ip,port', INET, '1.2.3,tcp:80', /not an inet address/],
    ['hash:ip', INET, '10.0.0.0/31', /has a prefix length/],
    ['hash:ip', INET, '10.0.0.1-10.0.0.9', /is a range/],
    ['hash:ip,port,net', INET, '203.0.113.5,tcp:83,198.51.100.7/0', /prefix length 0 is not allowed/],
    ['hash:ip,port,net', INET, '203.0.113.5,tcp:83,198.51.100.7/33', /out of range 0-32/],
    ['hash:net', INET6, 'fd00::/129', /out of range 0-128/],
    ['hash:net', INET, '10.0.0.0/8,foo', /expected 1 comma-separated part, found 2/],
    ['bitmap:port', 0, '1000-2000', /is a range/],
    ['bitmap:port', 0, 'sctp:80', /bitmap:port takes/],
    ['bitmap:port', 0, '70000', /out of range/],
  ];
  for (const [type, family, text, why] of BAD) {
    it(`refuses ${type} "${text}" and says why`, () => {
      let err: unknown;
      try {
        parseEntry(type, family, text);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(IpsetEntryTextError);
      const e = err as IpsetEntryTextError;
      expect(e.text).to.equal(text);
      expect(e.message).to.contain(`"${text}"`).and.to.contain(type);
      expect(e.reason).to.match(why);
    });
  }

  it('refuses unsupported set types and families', () => {
    expect(() => parseEntry('list:set', INET, 'foo')).to.throw(IpsetEntryTextError, /unsupported set type/);
    expect(() => parseEntry('hash:ip', 0, '10.0.0.1')).to.throw(/inet \(2\) or inet6 \(10\)/);
    expect(() => formatEntry('hash:mac', INET, {})).to.throw(/cannot print members of set type hash:mac/);
  });

  it('formatEntry names what an entry lacks', () => {
    expect(() => formatEntry('hash:ip,port', INET, { ip: '10.0.0.1', port: 80 })).to.throw(/hash:ip,port entry has no protocol/);
    expect(() => formatEntry('hash:ip,port,ip', INET, { ip: '10.0.0.1', port: 80, proto: 6 })).to.throw(/no second address/);
    expect(() => formatEntry('hash:ip', INET6, { ip: '10.0.0.1' })).to.throw(/not an inet6 address/);
  });

  describe('property round trips (seeded)', () => {
    function randomEntry(r: Prng, type: IpsetTypeName, family: number): IpsetEntry {
      const v6 = family === INET6;
      const addr = (): string => {
        if (!v6) return `${r.int(1, 254)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}`;
        // Mostly sparse addresses, so zero runs (and the :: rules) get exercised.
        const words: number[] = Array.from({ length: 8 }, () => (r.next() < 0.5 ? 0 : r.int(0, 0xffff)));
        if (!words.some((w) => w !== 0)) words[0] = 0xfd00;
        return words.map((w) => w.toString(16)).join(':');
      };
      const protoPort = (): { proto: number; port: number } => {
        const k = r.int(0, 5);
        if (k === 0) return { proto: v6 ? 58 : 1, port: (r.int(0, 255) << 8) | r.int(0, 255) };
        if (k === 1) return { proto: r.pick([47, 50, 51, 253]), port: 0 };
        return { proto: r.pick([6, 17, 132, 136]), port: r.int(0, 65535) };
      };
      const net = (): { ip: string; cidr: number } => {
        const bits = v6 ? 128 : 32;
        const cidr = r.int(1, bits);
        const parsed = parseEntry('hash:net', family, `${addr()}/${cidr}`);
        return { ip: parsed.ip!, cidr };
      };
      switch (type) {
        case 'hash:ip': return { ip: parseEntry('hash:ip', family, addr()).ip! };
        case 'hash:ip,port': return { ip: parseEntry('hash:ip', family, addr()).ip!, ...protoPort() };
        case 'hash:ip,port,ip': return { ip: parseEntry('hash:ip', family, addr()).ip!, ...protoPort(), ip2: parseEntry('hash:ip', family, addr()).ip! };
        case 'hash:ip,port,net': {
          const n = net();
          return { ip: parseEntry('hash:ip', family, addr()).ip!, ...protoPort(), ip2: n.ip, cidr2: n.cidr };
        }
        case 'hash:net': return net();
        case 'bitmap:port': return { port: r.int(0, 65535) };
      }
    }

    for (const type of IPSET_TYPE_NAMES) {
      for (const family of type === 'bitmap:port' ? [0] : [INET, INET6]) {
        it(`${type} ${family === INET6 ? 'inet6' : family === INET ? 'inet' : ''}: parse(format(e)) = e and format is a fixpoint`, () => {
          const r = new Prng(0x1b5e7 + family * 31 + type.length);
          for (let i = 0; i < 300; i++) {
            const e = randomEntry(r, type, family);
            const text = formatEntry(type, family, e);
            expect(parseEntry(type, family, text), text).to.deep.equal(e);
            expect(formatEntry(type, family, parseEntry(type, family, text))).to.equal(text);
          }
        });
      }
    }
  });
});
