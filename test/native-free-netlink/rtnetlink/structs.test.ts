import { expect } from 'chai';
import { attr, type Attribute } from '../../../native-free-netlink/core/attributes.js';
import { fromHex, toHex } from '../../../native-free-netlink/core/bytes.js';
import { NetlinkDecodeError } from '../../../native-free-netlink/core/errors.js';
import {
  decodeAddressPayload,
  decodeIfAddrMsg,
  decodeIfInfoMsg,
  decodeLinkPayload,
  encodeAddressPayload,
  encodeIfAddrMsg,
  encodeIfInfoMsg,
  encodeLinkPayload,
  IFA_ADDRESS,
  IFLA_IFNAME,
  IFLA_MTU,
  type IfAddrMsg,
  type IfInfoMsg,
} from '../../../native-free-netlink/rtnetlink/index.js';
import { forAll, type Random } from './seeded-random.js';

describe('rtnetlink struct ifinfomsg', () => {
  // family 0, pad, type 1 (ARPHRD_ETHER), index 7, flags IFF_UP|IFF_BROADCAST|IFF_NOARP, change IFF_UP.
  const raw = fromHex('00 00 0100 07000000 83000000 01000000');
  const value: IfInfoMsg = { family: 0, type: 1, index: 7, flags: 0x83, change: 1 };

  it('decodes and encodes the same 16 bytes', () => {
    expect(decodeIfInfoMsg(raw)).to.deep.equal(value);
    expect(toHex(encodeIfInfoMsg(value))).to.equal(toHex(raw));
  });

  it('keeps ifi_index signed and flags unsigned', () => {
    const h: IfInfoMsg = { family: 0, type: 0, index: -1, flags: 0xffffffff, change: 0x80000000 };
    expect(toHex(encodeIfInfoMsg(h))).to.equal('00000000ffffffffffffffff00000080');
    expect(decodeIfInfoMsg(encodeIfInfoMsg(h))).to.deep.equal(h);
  });

  it('refuses a payload shorter than the struct', () => {
    expect(() => decodeIfInfoMsg(new Uint8Array(15))).to.throw(NetlinkDecodeError, /ifinfomsg needs 16 bytes/);
  });

  it('round-trips random headers with random attributes (property)', () => {
    forAll(
      0x1f1f0,
      300,
      (r) => ({
        header: { family: r.int(256), type: r.int(65536), index: r.range(-(2 ** 31), 2 ** 31 - 1), flags: r.int(2 ** 32), change: r.int(2 ** 32) },
        attrs: randomAttrs(r),
      }),
      (p) => {
        const bytes = encodeLinkPayload(p);
        expect(decodeLinkPayload(bytes)).to.deep.equal(p);
        expect(toHex(encodeLinkPayload(decodeLinkPayload(bytes)))).to.equal(toHex(bytes));
      },
    );
  });

  it('decodes a payload with attributes, offsets of bad attributes pointing past the header', () => {
    const p = { header: { family: 0, type: 0, index: 3, flags: 0, change: 0 }, attrs: [attr.string(IFLA_IFNAME, 'lo'), attr.u32(IFLA_MTU, 65536)] };
    const bytes = encodeLinkPayload(p);
    // IFLA_IFNAME "lo\0" (len 7, one byte of padding), IFLA_MTU 65536 in host (little-endian) order.
    expect(toHex(bytes.subarray(16))).to.equal('07000300' + '6c6f0000' + '08000400' + '00000100');
    expect(decodeLinkPayload(bytes)).to.deep.equal(p);
    const broken = Uint8Array.from(bytes);
    broken[16] = 0xff; // nla_len 255 runs past the end
    expect(() => decodeLinkPayload(broken)).to.throw(NetlinkDecodeError).with.property('offset', 16);
  });
});

describe('rtnetlink struct ifaddrmsg', () => {
  // AF_INET6, /128, IFA_F_PERMANENT, scope universe, index 3.
  const raw = fromHex('0a 80 80 00 03000000');
  const value: IfAddrMsg = { family: 10, prefixLength: 128, flags: 0x80, scope: 0, index: 3 };

  it('decodes and encodes the same 8 bytes', () => {
    expect(decodeIfAddrMsg(raw)).to.deep.equal(value);
    expect(toHex(encodeIfAddrMsg(value))).to.equal(toHex(raw));
  });

  it('refuses flags that do not fit the u8 field (they belong in IFA_FLAGS)', () => {
    expect(() => encodeIfAddrMsg({ ...value, flags: 0x100 })).to.throw(RangeError, /IFA_FLAGS/);
  });

  it('refuses a payload shorter than the struct', () => {
    expect(() => decodeIfAddrMsg(new Uint8Array(7))).to.throw(NetlinkDecodeError, /ifaddrmsg needs 8 bytes/);
  });

  it('round-trips random headers with random attributes (property)', () => {
    forAll(
      0xadd7,
      300,
      (r) => ({
        header: { family: r.int(256), prefixLength: r.int(256), flags: r.int(256), scope: r.int(256), index: r.int(2 ** 32) },
        attrs: randomAttrs(r),
      }),
      (p) => {
        const bytes = encodeAddressPayload(p);
        expect(decodeAddressPayload(bytes)).to.deep.equal(p);
        expect(toHex(encodeAddressPayload(decodeAddressPayload(bytes)))).to.equal(toHex(bytes));
      },
    );
  });

  it('reports a bad attribute at its offset in the payload', () => {
    const bytes = encodeAddressPayload({ header: value, attrs: [attr.bytes(IFA_ADDRESS, new Uint8Array(16))] });
    bytes[8] = 3; // nla_len below the 4-byte header
    expect(() => decodeAddressPayload(bytes)).to.throw(NetlinkDecodeError).with.property('offset', 8);
  });
});

function randomAttrs(r: Random): Attribute[] {
  return Array.from({ length: r.int(5) }, () => ({
    type: r.int(0x3fff),
    nested: r.bool(),
    netByteOrder: r.bool(),
    data: r.bytes(r.int(24)),
  }));
}
