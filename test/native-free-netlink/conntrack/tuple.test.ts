// The tuple codec and filter flags without fixtures: field by field, both families, and the errors.
import { expect } from 'chai';
import { attr } from '../../../native-free-netlink/core/attributes.js';
import { toHex } from '../../../native-free-netlink/core/bytes.js';
import {
  CTA_FILTER_FLAG_CTA_IP_DST,
  CTA_FILTER_FLAG_CTA_IP_SRC,
  CTA_FILTER_FLAG_CTA_PROTO_DST_PORT,
  CTA_FILTER_FLAG_CTA_PROTO_NUM,
  CTA_FILTER_FLAG_CTA_TUPLE_ZONE,
  CTA_TUPLE_ORIG,
  CTA_TUPLE_REPLY,
  decodeConntrackRequest,
  decodeFlowAttributes,
  decodeTuple,
  deleteFlowRequest,
  encodeTuple,
  filterFlags,
  IPPROTO_SCTP,
  IPPROTO_UDP,
  tupleFamily,
} from '../../../native-free-netlink/conntrack/index.js';

describe('conntrack tuple codec', () => {
  it('encodes an IPv4 UDP tuple as CTA_TUPLE_IP then CTA_TUPLE_PROTO, nested, ports big-endian', () => {
    const a = encodeTuple(CTA_TUPLE_ORIG, { src: '10.244.0.5', dst: '10.96.0.10', protocol: IPPROTO_UDP, srcPort: 40000, dstPort: 53 });
    expect(a.nested).to.equal(true);
    // The bytes conntrack -I sent for the same tuple (test/fixtures/captured/conntrack/conntrack-create-udp.json).
    expect(toHex(a.data)).to.equal('14000180080001000af40005080002000a60000a1c0002800500010011000000060002009c4000000600030000350000');
  });

  it('round-trips partial tuples, IPv6 and a zone', () => {
    for (const t of [
      { dst: '10.96.0.10', protocol: IPPROTO_UDP },
      { src: '10.244.1.7' },
      { protocol: IPPROTO_SCTP, dstPort: 30080 },
      { src: 'fd00:10:244::5', dst: 'fd00:10:96::a', protocol: IPPROTO_UDP, srcPort: 1, dstPort: 65535, zone: 7 },
    ]) {
      expect(decodeTuple(encodeTuple(CTA_TUPLE_REPLY, t))).to.deep.equal(t);
    }
  });

  it('refuses a tuple mixing IPv4 and IPv6, and a delete without the full original tuple', () => {
    expect(() => tupleFamily({ src: '10.0.0.1', dst: 'fd00::1' })).to.throw(/mixes address families/);
    expect(tupleFamily({ dst: 'fd00::1' })).to.equal(10);
    expect(() => deleteFlowRequest({ seq: 1 }, 2, { dst: '10.96.0.10', protocol: IPPROTO_UDP })).to.throw(/needs src/);
  });

  it('filter flags name exactly the fields a tuple sets', () => {
    expect(filterFlags(undefined)).to.equal(0);
    expect(filterFlags({ dst: '10.96.0.10', protocol: IPPROTO_UDP, dstPort: 53 })).to.equal(
      CTA_FILTER_FLAG_CTA_IP_DST | CTA_FILTER_FLAG_CTA_PROTO_NUM | CTA_FILTER_FLAG_CTA_PROTO_DST_PORT,
    );
    expect(filterFlags({ src: '10.244.1.7', zone: 3 })).to.equal(CTA_FILTER_FLAG_CTA_IP_SRC | CTA_FILTER_FLAG_CTA_TUPLE_ZONE);
  });

  it('a flow without both tuples is a decode error; an unknown request attribute too', () => {
    expect(() => decodeFlowAttributes(2, [encodeTuple(CTA_TUPLE_ORIG, { src: '10.0.0.1' })])).to.throw(/without CTA_TUPLE_ORIG and CTA_TUPLE_REPLY/);
    const m = deleteFlowRequest({ seq: 1 }, 2, { src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO_UDP, srcPort: 1, dstPort: 2 });
    const extra = new Uint8Array([...m.payload, ...new Uint8Array([8, 0, 99, 0, 0, 0, 0, 0])]);
    expect(() => decodeConntrackRequest({ ...m, payload: extra })).to.throw(/attribute 99 is not supported/);
    expect(attr.u8(1, 1).data.length).to.equal(1);
  });
});
