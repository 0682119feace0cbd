import { expect } from 'chai';
import { attr } from '../../../native-free-netlink/core/attributes.js';
import { fromHex, toHex } from '../../../native-free-netlink/core/bytes.js';
import { NetlinkDecodeError } from '../../../native-free-netlink/core/errors.js';
import { AF_INET, AF_INET6, bytesToIp } from '../../../native-free-netlink/core/ip.js';
import { encodeMessage } from '../../../native-free-netlink/core/message.js';
import {
  addressCidr,
  decodeAddress,
  decodeLink,
  encodeAddress,
  encodeAddressPayload,
  encodeLink,
  IFA_ADDRESS,
  IFA_F_NODAD,
  IFA_F_PERMANENT,
  IFA_LOCAL,
  IFF_BROADCAST,
  IFF_NOARP,
  IFF_UP,
  operStateName,
  parseCidr,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  type Address,
  type Link,
  type OperState,
} from '../../../native-free-netlink/rtnetlink/index.js';
import { forAll } from './seeded-random.js';

const OPER: readonly OperState[] = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

describe('rtnetlink Link values', () => {
  const kubeIpvs0: Link = { index: 3, name: 'kube-ipvs0', kind: 'dummy', flags: IFF_BROADCAST | IFF_NOARP, up: false, mtu: 1500, operState: 'down', type: 1 };
  // What encodeLink writes for kubeIpvs0 (RTM_NEWLINK, seq 5): IFNAME, OPERSTATE, MTU, LINKINFO{KIND}.
  const raw = fromHex(
    '50000000 1000 0000 05000000 00000000' +
      '00 00 0100 03000000 82000000 00000000' +
      '0f000300 6b7562652d6970767330 0000' +
      '05001000 02 000000' +
      '08000400 dc050000' +
      '10001200 0a000100 64756d6d7900 0000',
  );

  it('encodes and decodes the same bytes', () => {
    expect(toHex(encodeMessage(encodeLink(kubeIpvs0, 5)))).to.equal(toHex(raw));
    expect(decodeLink({ type: RTM_NEWLINK, flags: 0, seq: 5, pid: 0, payload: raw.subarray(16) })).to.deep.equal(kubeIpvs0);
  });

  it('reads up from IFF_UP, and reads kind only from IFLA_LINKINFO', () => {
    const lo = decodeLink(encodeLink({ index: 1, name: 'lo', flags: IFF_UP | 0x8 | 0x40 | 0x10000, up: true, type: 772 }, 1));
    expect(lo.up).to.equal(true);
    expect(lo).not.to.have.property('kind');
    expect(lo).not.to.have.property('mtu');
    expect(lo).not.to.have.property('operState');
  });

  it('names unknown operational states "unknown" rather than failing a whole dump', () => {
    expect(operStateName(2)).to.equal('down');
    expect(operStateName(6)).to.equal('up');
    expect(operStateName(42)).to.equal('unknown');
  });

  it('refuses messages that are not RTM_NEWLINK', () => {
    expect(() => decodeLink({ ...encodeLink(kubeIpvs0, 1), type: RTM_GETLINK })).to.throw(NetlinkDecodeError, /expected RTM_NEWLINK/);
  });

  it('round-trips random links (property)', () => {
    forAll(
      0x11a4,
      300,
      (r) => {
        const up = r.bool();
        const link: Link = {
          index: r.range(1, 2 ** 31 - 1),
          name: Array.from({ length: r.range(1, 15) }, () => r.pick([...'abcdefghijklmnopqrstuvwxyz0123456789-_.'])).join(''),
          flags: ((r.int(2 ** 32) & ~IFF_UP) | (up ? IFF_UP : 0)) >>> 0,
          up,
          type: r.int(65536),
        };
        if (r.bool()) link.kind = r.pick(['dummy', 'veth', 'bridge', 'vxlan', 'nlmon']);
        if (r.bool()) link.mtu = r.int(2 ** 32);
        if (r.bool()) link.operState = r.pick(OPER);
        return link;
      },
      (link) => {
        const m = encodeLink(link, 7, 8);
        expect(decodeLink(m)).to.deep.equal(link);
        expect(decodeLink({ ...m, payload: fromHex(toHex(m.payload)) })).to.deep.equal(link);
      },
    );
  });
});

describe('rtnetlink Address values', () => {
  const v4: Address = { family: AF_INET, prefixLength: 32, index: 3, address: '10.96.0.10', local: '10.96.0.10', label: 'kube-ipvs0', scope: 0, flags: IFA_F_PERMANENT };
  // What encodeAddress writes for v4 (RTM_NEWADDR, seq 2): ADDRESS, LOCAL, LABEL, FLAGS.
  const raw = fromHex(
    '40000000 1400 0000 02000000 00000000' +
      '02 20 80 00 03000000' +
      '08000100 0a60000a' +
      '08000200 0a60000a' +
      '0f000300 6b7562652d6970767330 0000' +
      '08000800 80000000',
  );

  it('encodes and decodes the same bytes', () => {
    expect(toHex(encodeMessage(encodeAddress(v4, 2)))).to.equal(toHex(raw));
    expect(decodeAddress({ type: RTM_NEWADDR, flags: 0, seq: 2, pid: 0, payload: raw.subarray(16) })).to.deep.equal(v4);
  });

  it('takes flags from IFA_FLAGS over the u8 field, and from the u8 field without it', () => {
    const withoutFlagsAttr = encodeAddressPayload({
      header: { family: AF_INET6, prefixLength: 128, flags: IFA_F_NODAD, scope: 0, index: 3 },
      attrs: [attr.bytes(IFA_ADDRESS, parseCidr('fd00::a').bytes)],
    });
    expect(decodeAddress({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload: withoutFlagsAttr })).to.deep.equal({
      family: AF_INET6,
      prefixLength: 128,
      index: 3,
      address: 'fd00::a',
      scope: 0,
      flags: IFA_F_NODAD,
    });
    const big = encodeAddress({ ...v4, flags: 0x880 }, 1);
    expect(decodeAddress(big).flags).to.equal(0x880);
  });

  it('uses IFA_LOCAL as the address when IFA_ADDRESS is missing, and the local side for addressCidr', () => {
    const onlyLocal = encodeAddressPayload({
      header: { family: AF_INET, prefixLength: 24, flags: 0, scope: 0, index: 2 },
      attrs: [attr.bytes(IFA_LOCAL, Uint8Array.of(192, 168, 1, 5))],
    });
    const a = decodeAddress({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload: onlyLocal });
    expect(a.address).to.equal('192.168.1.5');
    expect(addressCidr(a)).to.equal('192.168.1.5/24');
    expect(addressCidr({ ...a, address: '10.0.0.1', local: '10.0.0.2', prefixLength: 32 })).to.equal('10.0.0.2/32');
  });

  it('refuses addresses of the wrong length for their family, or without any address', () => {
    const wrong = encodeAddressPayload({
      header: { family: AF_INET6, prefixLength: 128, flags: 0, scope: 0, index: 3 },
      attrs: [attr.bytes(IFA_ADDRESS, Uint8Array.of(10, 96, 0, 10))],
    });
    expect(() => decodeAddress({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload: wrong })).to.throw(NetlinkDecodeError, /4 bytes/);
    const none = encodeAddressPayload({ header: { family: AF_INET, prefixLength: 32, flags: 0, scope: 0, index: 3 }, attrs: [] });
    expect(() => decodeAddress({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload: none })).to.throw(NetlinkDecodeError, /neither IFA_ADDRESS/);
    const af = encodeAddressPayload({ header: { family: 7, prefixLength: 32, flags: 0, scope: 0, index: 3 }, attrs: [] });
    expect(() => decodeAddress({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload: af })).to.throw(NetlinkDecodeError, /family 7/);
  });

  it('round-trips random addresses (property)', () => {
    forAll(
      0xadd4,
      400,
      (r) => {
        const family = r.bool() ? AF_INET : AF_INET6;
        const ip = bytesToIp(r.bytes(family === AF_INET ? 4 : 16), family);
        const a: Address = {
          family,
          prefixLength: r.int(family === AF_INET ? 33 : 129),
          index: r.range(1, 2 ** 32 - 1),
          address: ip,
          scope: r.pick([0, 200, 253, 254, 255]),
          flags: r.int(0x1000),
        };
        if (r.bool()) a.local = r.bool() ? ip : bytesToIp(r.bytes(family === AF_INET ? 4 : 16), family);
        if (r.bool()) a.label = `eth${r.int(10)}:${r.int(100)}`;
        return a;
      },
      (a) => expect(decodeAddress(encodeAddress(a, 3))).to.deep.equal(a),
    );
  });

  it('parseCidr gives canonical text that parses to itself (property)', () => {
    forAll(
      0x5eed,
      300,
      (r) => {
        const v6 = r.bool();
        const b = r.bytes(v6 ? 16 : 4);
        // Uncompressed, upper-case, leading-zero IPv6 text: the canonical form must differ from it.
        const ip = v6 ? Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16).toUpperCase().padStart(4, '0')).join(':') : Array.from(b).join('.');
        return `${ip}/${r.int(v6 ? 129 : 33)}`;
      },
      (cidr) => {
        const p = parseCidr(cidr);
        expect(parseCidr(p.text).text).to.equal(p.text);
        expect(p.text).to.equal(p.text.toLowerCase());
      },
    );
    expect(parseCidr('FD00:0010:0096:0000:0000:0000:0000:000A/128').text).to.equal('fd00:10:96::a/128');
  });
});
