// Literal bytes of the address requests, written from iproute2 6.1's ip/ipaddress.c (ipaddr_modify) and
// lib/libnetlink.c; captured.test.ts checks the same shapes against what `ip` sent to a 6.1 kernel.
import { expect } from 'chai';
import { fromHex, toHex } from '../../../native-free-netlink/core/bytes.js';
import { AF_INET, AF_INET6, canonicalIp } from '../../../native-free-netlink/core/ip.js';
import { encodeMessage, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../../../native-free-netlink/core/message.js';
import {
  addAddress,
  decodeAddress,
  deleteAddress,
  dumpAddresses,
  IFA_F_NODAD,
  parseCidr,
  RT_SCOPE_HOST,
} from '../../../native-free-netlink/rtnetlink/index.js';
import { forAll } from './seeded-random.js';

const hex = (m: Parameters<typeof encodeMessage>[0]): string => toHex(encodeMessage(m));
const clean = (s: string): string => toHex(fromHex(s));

const V4 = '0a60000a'; // 10.96.0.10
const V6 = 'fd00 0010 0096 0000 0000 0000 0000 000a'; // fd00:10:96::a

describe('rtnetlink address requests', () => {
  it('addAddress IPv4 is `ip addr add 10.96.0.10/32 dev kube-ipvs0`: IFA_LOCAL then IFA_ADDRESS', () => {
    expect(hex(addAddress({ index: 3, cidr: '10.96.0.10/32' }, 1))).to.equal(
      clean(
        // nlmsghdr: len 40, RTM_NEWADDR 20, flags REQUEST|ACK|EXCL|CREATE, seq 1, pid 0
        '28000000 1400 0506 01000000 00000000' +
          // ifaddrmsg: AF_INET, /32, no flags, scope universe, index 3
          '02 20 00 00 03000000' +
          `08000200 ${V4}` +
          `08000100 ${V4}`,
      ),
    );
  });

  it('addAddress IPv6 sends the same two attributes with 16 bytes each (iproute2 does for both families)', () => {
    expect(hex(addAddress({ index: 3, cidr: 'fd00:10:96::a/128' }, 2))).to.equal(
      clean('40000000 1400 0506 02000000 00000000' + '0a 80 00 00 03000000' + `14000200 ${V6}` + `14000100 ${V6}`),
    );
  });

  it('replace is NLM_F_CREATE|NLM_F_REPLACE (`ip addr replace`), not EXCL', () => {
    const m = addAddress({ index: 3, cidr: '10.96.0.10/32', replace: true }, 1);
    expect(m.flags).to.equal(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
    expect(m.flags & NLM_F_EXCL).to.equal(0);
  });

  it('nodad puts IFA_F_NODAD in the u8 ifa_flags (no IFA_FLAGS attribute below 0x100, as iproute2)', () => {
    const m = addAddress({ index: 3, cidr: 'fd00:10:96::a/128', nodad: true }, 2);
    expect(hex(m)).to.equal(clean('40000000 1400 0506 02000000 00000000' + '0a 80 02 00 03000000' + `14000200 ${V6}` + `14000100 ${V6}`));
    expect(decodeAddress(m).flags).to.equal(IFA_F_NODAD);
    expect(() => addAddress({ index: 3, cidr: '10.96.0.10/32', nodad: true }, 1)).to.throw(RangeError, /IPv6 option/);
  });

  it('uses host scope for 127.0.0.0/8 as iproute2 does, universe otherwise', () => {
    expect(decodeAddress(addAddress({ index: 1, cidr: '127.0.0.5/8' }, 1)).scope).to.equal(RT_SCOPE_HOST);
    expect(decodeAddress(addAddress({ index: 1, cidr: '128.0.0.5/8' }, 1)).scope).to.equal(0);
  });

  it('a bare address means the full prefix, as `ip addr add 10.96.0.10 dev X`', () => {
    expect(hex(addAddress({ index: 3, cidr: '10.96.0.10' }, 1))).to.equal(hex(addAddress({ index: 3, cidr: '10.96.0.10/32' }, 1)));
    expect(decodeAddress(addAddress({ index: 3, cidr: 'fd00::1' }, 1)).prefixLength).to.equal(128);
  });

  it('deleteAddress is `ip addr del`: RTM_DELADDR, REQUEST|ACK, scope left 0', () => {
    expect(hex(deleteAddress({ index: 3, cidr: '10.96.0.10/32' }, 6))).to.equal(
      clean('28000000 1500 0500 06000000 00000000' + '02 20 00 00 03000000' + `08000200 ${V4}` + `08000100 ${V4}`),
    );
    expect(hex(deleteAddress({ index: 3, cidr: '127.0.0.5/8' }, 6)).slice(32 + 6, 32 + 8)).to.equal('00');
  });

  it('dumpAddresses carries only family and index in the ifaddrmsg', () => {
    expect(hex(dumpAddresses({ index: 3, family: AF_INET6 }, 5))).to.equal(clean('18000000 1600 0103 05000000 00000000 0a 00 00 00 03000000'));
    expect(hex(dumpAddresses({}, 5))).to.equal(clean('18000000 1600 0103 05000000 00000000 00 00 00 00 00000000'));
    expect(() => dumpAddresses({ family: 7 as typeof AF_INET }, 5)).to.throw(RangeError, /address family/);
  });

  it('refuses malformed CIDRs and indexes with the offending text', () => {
    for (const cidr of ['10.96.0.10/33', 'fd00::a/129', '10.96.0.10/', '10.96.0/24', 'kube', '10.96.0.10/-1', '10.96.0.10/3x']) {
      expect(() => addAddress({ index: 3, cidr }, 1), cidr).to.throw(Error, /10\.96|fd00|kube|invalid/);
    }
    expect(() => addAddress({ index: 0, cidr: '10.96.0.10/32' }, 1)).to.throw(RangeError, /invalid link index 0/);
    expect(() => deleteAddress({ index: -3, cidr: '10.96.0.10/32' }, 1)).to.throw(RangeError, /invalid link index -3/);
  });

  it('add and delete requests decode back to the address they name (property, both families)', () => {
    forAll(
      0xcafe,
      400,
      (r) => {
        const v6 = r.bool();
        const bytes = r.bytes(v6 ? 16 : 4);
        const ip = v6
          ? Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':')
          : Array.from(bytes).join('.');
        return { index: r.range(1, 2 ** 31), cidr: `${ip}/${r.int(v6 ? 129 : 33)}`, v6, del: r.bool() };
      },
      (c) => {
        const m = c.del ? deleteAddress(c, 1) : addAddress(c, 1);
        const p = parseCidr(c.cidr);
        const a = decodeAddress(m);
        expect(a.family).to.equal(c.v6 ? AF_INET6 : AF_INET);
        expect(a.index).to.equal(c.index);
        expect(a.prefixLength).to.equal(p.prefixLength);
        expect(a.address).to.equal(canonicalIp(c.cidr.split('/')[0]!));
        expect(a.local).to.equal(a.address);
        expect(`${a.address}/${a.prefixLength}`).to.equal(p.text);
        expect(a.flags).to.equal(0);
      },
    );
  });
});
