import { expect } from 'chai';
import { encodeAck } from '../../../native-free-netlink/core/ack.js';
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTI, NLM_F_REQUEST, NLMSG_DONE } from '../../../native-free-netlink/core/message.js';
import { ReplyCollector } from '../../../lib/netlink/reply-collector.js';

const req = (seq: number, flags = NLM_F_REQUEST | NLM_F_ACK) => ({ type: 30, flags, seq, pid: 0, payload: new Uint8Array(4) });

describe('ReplyCollector', () => {
  it('matches acks to requests by sequence number, in any order', () => {
    const c = new ReplyCollector([req(1), req(2), req(3)]);
    c.accept(encodeAck(req(3), 0));
    c.accept(encodeAck(req(1), 17));
    expect(c.complete).to.equal(false);
    expect(c.waiting()).to.deep.equal([2]);
    c.accept(encodeAck(req(2), 0));
    expect(c.complete).to.equal(true);
    expect(c.results.map((r) => r.ack?.errno)).to.deep.equal([17, 0, 0]);
  });

  it('collects a dump until NLMSG_DONE and notes NLM_F_DUMP_INTR', () => {
    const dump = req(5, NLM_F_REQUEST | NLM_F_DUMP);
    const c = new ReplyCollector([dump]);
    c.accept({ type: 30, flags: NLM_F_MULTI, seq: 5, pid: 0, payload: Uint8Array.of(1) });
    c.accept({ type: 30, flags: NLM_F_MULTI | NLM_F_DUMP_INTR, seq: 5, pid: 0, payload: Uint8Array.of(2) });
    expect(c.complete).to.equal(false);
    c.accept({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 5, pid: 0, payload: new Uint8Array(4) });
    expect(c.complete).to.equal(true);
    expect(c.results[0]!.replies.map((m) => m.payload[0])).to.deep.equal([1, 2]);
    expect(c.results[0]!.dumpInterrupted).to.equal(true);
    expect(c.results[0]!.ack).to.equal(undefined);
  });

  it('reports the errno a failing dump puts in NLMSG_DONE', () => {
    const c = new ReplyCollector([req(6, NLM_F_REQUEST | NLM_F_DUMP)]);
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setInt32(0, -3, true);
    c.accept({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 6, pid: 0, payload });
    expect(c.results[0]!.ack?.errno).to.equal(3);
  });

  it('ignores replies of other batches', () => {
    const c = new ReplyCollector([req(1)]);
    expect(c.accept(encodeAck(req(99), 0))).to.equal(false);
    expect(c.complete).to.equal(false);
  });

  it('ends a GET without NLM_F_ACK at its single reply', () => {
    const c = new ReplyCollector([req(1, NLM_F_REQUEST)]);
    c.accept({ type: 30, flags: 0, seq: 1, pid: 0, payload: Uint8Array.of(7) });
    expect(c.complete).to.equal(true);
    expect(c.results[0]!.replies).to.have.length(1);
  });

  it('settles quiet requests (sent without NLM_F_ACK) when a later request of the batch is answered', () => {
    const c = new ReplyCollector([req(1), req(2), req(3), req(4)], new Set([0, 1, 2]));
    // Request 2 failed: the kernel sends an error even without NLM_F_ACK.
    c.accept(encodeAck(req(2), 17));
    expect(c.complete).to.equal(false);
    // Request 1 is settled by 2's answer (handled in order, no error came); 3 still waits.
    expect(c.waiting()).to.deep.equal([3, 4]);
    c.accept(encodeAck(req(4), 0));
    expect(c.complete).to.equal(true);
    expect(c.results.map((r) => r.ack?.errno)).to.deep.equal([0, 17, 0, 0]);
    expect(c.results[2]!.ack!.request.seq).to.equal(3);
  });

  it('does not settle a quiet request by an answer to an earlier one', () => {
    const c = new ReplyCollector([req(1), req(2), req(3)], new Set([1]));
    c.accept(encodeAck(req(1), 0));
    expect(c.waiting()).to.deep.equal([2, 3]);
    c.accept(encodeAck(req(3), 0));
    expect(c.complete).to.equal(true);
    expect(c.results[1]!.ack?.errno).to.equal(0);
  });
});
