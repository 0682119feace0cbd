import { expect } from 'chai';
import { attr } from '../../../native-free-netlink/core/attributes.js';
import { fromHex, toHex } from '../../../native-free-netlink/core/bytes.js';
import { NetlinkDecodeError } from '../../../native-free-netlink/core/errors.js';
import {
  decodeNfgen,
  encodeNfgen,
  NFNETLINK_V0,
  NFNL_SUBSYS_IPSET,
  NFNL_SUBSYS_NFTABLES,
  nfnlMessage,
  nfnlMessageType,
  nfnlSubsystem,
  NFPROTO_IPV4,
  NFPROTO_IPV6,
} from '../../../native-free-netlink/nfnetlink/nfgenmsg.js';

describe('nfnetlink nfgenmsg', () => {
  it('composes and splits message types: ipset ADD is 0x0609', () => {
    expect(nfnlMessageType(NFNL_SUBSYS_IPSET, 9)).to.equal(0x0609);
    expect(nfnlSubsystem(0x0609)).to.equal(NFNL_SUBSYS_IPSET);
    expect(nfnlMessage(0x0609)).to.equal(9);
    expect(nfnlMessageType(NFNL_SUBSYS_NFTABLES, 0x0a)).to.equal(0x0a0a);
  });

  it('encodes and decodes the 4-byte header with res_id big-endian, then attributes', () => {
    // family inet6, version 0, res_id 0x0102, then IPSET_ATTR_PROTOCOL u8 7.
    const raw = fromHex('0a00 0102 0500 0100 07000000');
    const value = { family: NFPROTO_IPV6, version: NFNETLINK_V0, resId: 0x0102, attrs: [attr.u8(1, 7)] };
    expect(decodeNfgen(raw)).to.deep.equal(value);
    expect(toHex(encodeNfgen(value))).to.equal(toHex(raw));
  });

  it('the header every ipset request starts with: inet, v0, res_id 0', () => {
    expect(toHex(encodeNfgen({ family: NFPROTO_IPV4, version: NFNETLINK_V0, resId: 0, attrs: [] }))).to.equal('02000000');
  });

  it('refuses a payload shorter than nfgenmsg', () => {
    expect(() => decodeNfgen(fromHex('0200'))).to.throw(NetlinkDecodeError, /shorter than nfgenmsg/);
  });
});
