import { expect } from 'chai';
import { encodeAck } from '../../../native-free-netlink/core/ack.js';
import { concatBytes, fromHex, toHex } from '../../../native-free-netlink/core/bytes.js';
import { NetlinkDecodeError } from '../../../native-free-netlink/core/errors.js';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import {
  decodeMessages,
  encodeMessages,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLMSG_DONE,
  type NetlinkMessage,
} from '../../../native-free-netlink/core/message.js';
import {
  decodeAddressDump,
  decodeGetLinkReply,
  decodeLinkDump,
  dumpAddresses,
  dumpLinks,
  dumpMessages,
  EINTR,
  encodeAddress,
  encodeLink,
  expectAck,
  getLink,
  IFA_F_PERMANENT,
  RtnetlinkError,
  type Address,
  type Link,
} from '../../../native-free-netlink/rtnetlink/index.js';

const lo: Link = { index: 1, name: 'lo', flags: 0x10049, up: true, mtu: 65536, operState: 'unknown', type: 772 };
const kube: Link = { index: 3, name: 'kube-ipvs0', kind: 'dummy', flags: 0x82, up: false, mtu: 1500, operState: 'down', type: 1 };
const loV4: Address = { family: AF_INET, prefixLength: 8, index: 1, address: '127.0.0.1', local: '127.0.0.1', label: 'lo', scope: 254, flags: IFA_F_PERMANENT };
const loV6: Address = { family: AF_INET6, prefixLength: 128, index: 1, address: '::1', scope: 254, flags: IFA_F_PERMANENT };
const kubeV4: Address = { family: AF_INET, prefixLength: 32, index: 3, address: '10.96.0.10', local: '10.96.0.10', label: 'kube-ipvs0', scope: 0, flags: IFA_F_PERMANENT };
const kubeV6: Address = { family: AF_INET6, prefixLength: 128, index: 3, address: 'fd00:10:96::a', scope: 0, flags: IFA_F_PERMANENT };

// NLMSG_DONE of a dump answered on seq 5: len 20, type 3, NLM_F_MULTI, payload int 0.
const DONE = fromHex('14000000 0300 0200 05000000 00000000 00000000');

function done(seq = 5): NetlinkMessage {
  return { type: NLMSG_DONE, flags: NLM_F_MULTI, seq, pid: 0, payload: new Uint8Array(4) };
}

describe('rtnetlink dump replies', () => {
  it('NLMSG_DONE bytes: what we build for fakes is what the kernel sends', () => {
    expect(toHex(encodeMessages([done()]))).to.equal(toHex(DONE));
  });

  it('decodes a link dump split over several datagrams', () => {
    const first = encodeMessages([encodeLink(lo, 5, 0, NLM_F_MULTI)]);
    const second = concatBytes([encodeMessages([encodeLink(kube, 5, 0, NLM_F_MULTI)]), DONE]);
    const replies = [...decodeMessages(first), ...decodeMessages(second)];
    expect(decodeLinkDump(replies)).to.deep.equal([lo, kube]);
  });

  it('an empty dump is just NLMSG_DONE; an old kernel\'s empty-payload DONE means success too', () => {
    expect(decodeLinkDump([done()])).to.deep.equal([]);
    expect(decodeLinkDump([{ ...done(), payload: new Uint8Array(0) }])).to.deep.equal([]);
  });

  it('filters addresses by link index, since a socket without strict checking gets every link\'s', () => {
    const replies = [loV4, kubeV4, loV6, kubeV6].map((a) => encodeAddress(a, 5, 0, NLM_F_MULTI)).concat(done());
    expect(decodeAddressDump(replies, { index: 3 })).to.deep.equal([kubeV4, kubeV6]);
    expect(decodeAddressDump(replies, { index: 3, family: AF_INET6 })).to.deep.equal([kubeV6]);
    expect(decodeAddressDump(replies, { family: 0 })).to.deep.equal([loV4, kubeV4, loV6, kubeV6]);
    expect(decodeAddressDump(replies)).to.have.length(4);
  });

  it('throws the kernel\'s errno and extended-ack text from an NLMSG_DONE carrying an error', () => {
    // DONE with error -EINVAL (0xffffffea), NLM_F_MULTI|NLM_F_ACK_TLVS, then NLMSGERR_ATTR_MSG "bad header".
    const raw = fromHex('24000000 0300 0202 05000000 00000000 eaffffff 0f000100 62616420686561646572 00 00');
    const replies = decodeMessages(raw);
    expect(() => decodeAddressDump(replies, { index: 3 }))
      .to.throw(RtnetlinkError, 'dump addresses of link 3: EINVAL (bad header)')
      .that.includes({ errno: 22, operation: 'dump', object: 'addresses of link 3', kernelMessage: 'bad header' });
  });

  it('throws when the kernel refuses the dump with an NLMSG_ERROR', () => {
    const replies = [encodeAck(dumpLinks(5), 1, 'Operation not permitted here')];
    expect(() => decodeLinkDump(replies)).to.throw(RtnetlinkError).that.includes({ errno: 1, object: 'links', kernelMessage: 'Operation not permitted here' });
  });

  it('reports an interrupted dump (NLM_F_DUMP_INTR) as EINTR, so the caller dumps again', () => {
    const replies = [encodeLink(lo, 5, 0, NLM_F_MULTI | NLM_F_DUMP_INTR), encodeLink(kube, 5, 0, NLM_F_MULTI), done()];
    expect(() => decodeLinkDump(replies)).to.throw(RtnetlinkError, /interrupted/).with.property('errno', EINTR);
  });

  it('refuses a dump without its NLMSG_DONE: a partial reply must not look like the whole truth', () => {
    expect(() => dumpMessages([encodeLink(lo, 5, 0, NLM_F_MULTI)], 'dump', 'links')).to.throw(NetlinkDecodeError, /without NLMSG_DONE/);
  });

  it('skips other message types inside a dump', () => {
    const replies = [encodeLink(kube, 5, 0, NLM_F_MULTI), encodeAddress(kubeV4, 5, 0, NLM_F_MULTI), done()];
    expect(decodeLinkDump(replies)).to.deep.equal([kube]);
    expect(decodeAddressDump(replies)).to.deep.equal([kubeV4]);
  });

  it('dumpAddresses + decodeAddressDump agree on what "index" means', () => {
    expect(dumpAddresses({ index: 3 }, 5).payload.subarray(4, 8)).to.deep.equal(Uint8Array.of(3, 0, 0, 0));
  });
});

describe('rtnetlink single replies and acks', () => {
  it('decodeGetLinkReply returns the link, ignoring a trailing ACK', () => {
    const req = getLink({ name: 'kube-ipvs0' }, 2);
    expect(decodeGetLinkReply([encodeLink(kube, 2), encodeAck(req, 0)], { name: 'kube-ipvs0' })).to.deep.equal(kube);
  });

  it('decodeGetLinkReply throws ENODEV with the name asked for', () => {
    const req = getLink({ name: 'kube-ipvs0' }, 2);
    expect(() => decodeGetLinkReply([encodeAck(req, 19)], { name: 'kube-ipvs0' }))
      .to.throw(RtnetlinkError, 'get link kube-ipvs0: ENODEV')
      .that.includes({ errno: 19, operation: 'get link', object: 'kube-ipvs0' });
    expect(() => decodeGetLinkReply([encodeAck(req, 19)], { index: 9 })).to.throw(RtnetlinkError, 'get link index 9: ENODEV');
    expect(() => decodeGetLinkReply([], { index: 9 })).to.throw(NetlinkDecodeError, /no RTM_NEWLINK/);
  });

  it('expectAck passes an ACK and throws errno, operation and object for an error', () => {
    const req = getLink({ index: 3 }, 4);
    expect(() => expectAck([encodeAck(req, 0)], 'set link up', 'kube-ipvs0')).not.to.throw();
    expect(() => expectAck([encodeAck(req, 17, 'Address already assigned')], 'add address', '10.96.0.10/32 on link 3'))
      .to.throw(RtnetlinkError, 'add address 10.96.0.10/32 on link 3: EEXIST (Address already assigned)')
      .that.includes({ errno: 17 });
    expect(() => expectAck([encodeLink(kube, 4)], 'set link up', 'kube-ipvs0')).to.throw(NetlinkDecodeError, /no NLMSG_ERROR ack/);
  });
});
