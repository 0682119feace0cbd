import { expect } from 'chai';
import { fromHex, toHex } from '../../../native-free-netlink/core/bytes.js';
import { NetlinkDecodeError } from '../../../native-free-netlink/core/errors.js';
import { decodeMessages, encodeMessage, encodeMessages, NLM_F_ACK, NLM_F_REQUEST } from '../../../native-free-netlink/core/message.js';

describe('nlmsghdr framing', () => {
  // nlctrl GETFAMILY "IPVS" as iproute2's genl and ipvsadm send it: len 32, type 0x10, flags REQUEST|ACK, seq 1.
  const raw = '20000000' + '1000' + '0500' + '01000000' + '00000000' + '03010000' + '0900020049505653' + '00000000';

  it('encodes header fields little-endian and pads the payload to 4 bytes', () => {
    const payload = fromHex('03010000' + '0900020049505653' + '00');
    const bytes = encodeMessage({ type: 0x10, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 1, pid: 0, payload });
    // nlmsg_len counts the unpadded payload (29 bytes + 16 = 0x1d), the buffer is padded to 32.
    expect(toHex(bytes.subarray(0, 4))).to.equal('1d000000');
    expect(bytes.length).to.equal(32);
  });

  it('decodes what it encodes, byte for byte', () => {
    const bytes = fromHex(raw);
    const [m] = decodeMessages(bytes);
    expect(m).to.deep.include({ type: 0x10, flags: 5, seq: 1, pid: 0 });
    expect(toHex(encodeMessage(m!))).to.equal(raw);
  });

  it('splits a datagram holding several messages', () => {
    const a = { type: 20, flags: 1, seq: 7, pid: 0, payload: Uint8Array.of(1, 2, 3) };
    const b = { type: 21, flags: 2, seq: 8, pid: 99, payload: Uint8Array.of(9, 9, 9, 9, 9) };
    const ms = decodeMessages(encodeMessages([a, b]));
    expect(ms).to.have.length(2);
    expect(ms[0]).to.deep.equal(a);
    expect(ms[1]).to.deep.equal(b);
  });

  it('rejects a length that runs past the datagram, naming the offset', () => {
    const bytes = fromHex(raw);
    bytes[0] = 0x40;
    expect(() => decodeMessages(bytes)).to.throw(NetlinkDecodeError, /bad nlmsg_len 64.*at byte 0/);
  });

  it('rejects trailing garbage but accepts zero padding', () => {
    const ok = new Uint8Array(fromHex(raw).length + 4);
    ok.set(fromHex(raw));
    expect(decodeMessages(ok)).to.have.length(1);
    ok[ok.length - 1] = 1;
    expect(() => decodeMessages(ok)).to.throw(NetlinkDecodeError, /trailing/);
  });
});

describe('datagram padding', () => {
  it('stops at a zero tail after the last message (iproute2 pads dump requests)', () => {
    const one = encodeMessage({ type: 22, flags: 0x301, seq: 1, pid: 0, payload: new Uint8Array(8) });
    const padded = new Uint8Array(152);
    padded.set(one);
    expect(decodeMessages(padded)).to.have.length(1);
  });
});
