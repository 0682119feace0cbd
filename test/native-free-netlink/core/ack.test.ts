import { expect } from 'chai';
import { decodeAck, encodeAck } from '../../../native-free-netlink/core/ack.js';
import { fromHex } from '../../../native-free-netlink/core/bytes.js';
import { errnoName } from '../../../native-free-netlink/core/errno.js';
import { decodeMessages, encodeMessage, NLMSG_ERROR } from '../../../native-free-netlink/core/message.js';

describe('NLMSG_ERROR acks', () => {
  const request = { type: 0x23, flags: 5, seq: 42, pid: 0, payload: Uint8Array.of(1, 1, 0, 0, 8, 0, 1, 0, 2, 0, 0, 0) };

  it('decodes an uncapped error that echoes the whole request (no NETLINK_CAP_ACK)', () => {
    // int error -17, then the request's 28 bytes echoed.
    const echoed = encodeMessage(request);
    const payload = new Uint8Array(4 + echoed.length);
    new DataView(payload.buffer).setInt32(0, -17, true);
    payload.set(echoed, 4);
    const ack = decodeAck({ type: NLMSG_ERROR, flags: 0, seq: 42, pid: 0, payload });
    expect(ack.errno).to.equal(17);
    expect(errnoName(ack.errno)).to.equal('EEXIST');
    expect(ack.request).to.deep.equal({ type: 0x23, flags: 5, seq: 42, pid: 0 });
    expect(ack.message).to.equal(undefined);
  });

  it('round-trips a capped error with extended-ack text', () => {
    const m = encodeAck(request, 2, 'scheduler not found');
    const [back] = decodeMessages(encodeMessage(m));
    const ack = decodeAck(back!);
    expect(ack).to.deep.include({ errno: 2, message: 'scheduler not found' });
    expect(ack.request.seq).to.equal(42);
  });

  it('reads a plain ACK as errno 0', () => {
    const raw = fromHex('00000000' + '1c000000230005002a00000000000000');
    expect(decodeAck({ type: NLMSG_ERROR, flags: 0x100, seq: 42, pid: 0, payload: raw }).errno).to.equal(0);
  });
});
