// Request shape through a message-level fake: what a kube-ipvs0 sync sends, and how the replies read.
import { expect } from 'chai';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import { NLM_F_ACK, NLM_F_REQUEST } from '../../../native-free-netlink/core/message.js';
import {
  addAddress,
  addressCidr,
  createLink,
  decodeAddressDump,
  decodeGetLinkReply,
  decodeLinkDump,
  deleteAddress,
  deleteLink,
  dumpAddresses,
  dumpLinks,
  expectAck,
  getLink,
  IFA_F_PERMANENT,
  IFF_BROADCAST,
  IFF_NOARP,
  IFLA_IFNAME,
  RtnetlinkError,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  setLinkDown,
  setLinkUp,
  decodeLinkPayload,
  type LinkRef,
} from '../../../native-free-netlink/rtnetlink/index.js';
import { FakeRouteKernel } from './fake-route-kernel.js';

describe('rtnetlink requests against a message-level fake kernel', () => {
  let seq = 0;
  const next = (): number => ++seq;

  function ensureLink(k: FakeRouteKernel, name: string): number {
    const ref: LinkRef = { name };
    try {
      return decodeGetLinkReply(k.exchange([getLink(ref, next())]), ref).index;
    } catch (e) {
      if (!(e instanceof RtnetlinkError) || e.errno !== 19) throw e;
    }
    expectAck(k.exchange([createLink({ name, kind: 'dummy' }, next())]), 'create link', name);
    return decodeGetLinkReply(k.exchange([getLink(ref, next())]), ref).index;
  }

  it('creates kube-ipvs0 DOWN, binds v4 and v6 addresses, and reads them back', () => {
    const k = new FakeRouteKernel();
    const index = ensureLink(k, 'kube-ipvs0');
    const batch = [addAddress({ index, cidr: '10.96.0.10/32' }, next()), addAddress({ index, cidr: 'fd00:10:96::a/128' }, next())];
    expectAck(k.exchange(batch), 'add addresses', `on link ${index}`);

    const links = decodeLinkDump(k.exchange([dumpLinks(next())]));
    expect(links.map((l) => l.name)).to.deep.equal(['lo', 'kube-ipvs0']);
    expect(links[1]).to.deep.include({ kind: 'dummy', up: false, flags: IFF_BROADCAST | IFF_NOARP, operState: 'down' });

    const addrs = decodeAddressDump(k.exchange([dumpAddresses({ index }, next())]), { index });
    expect(addrs.map(addressCidr)).to.deep.equal(['10.96.0.10/32', 'fd00:10:96::a/128']);
    expect(addrs.every((a) => a.flags === IFA_F_PERMANENT)).to.equal(true);

    // Shape: every change asked for an ACK; the lookups and dumps did not.
    for (const r of k.requests) {
      const isRead = r.type === RTM_GETLINK || r.type === RTM_GETADDR;
      expect(r.flags & NLM_F_REQUEST, `type ${r.type}`).to.equal(NLM_F_REQUEST);
      expect(r.flags & NLM_F_ACK, `type ${r.type}`).to.equal(isRead ? 0 : NLM_F_ACK);
    }
    // The create named the link and asked for no IFF_UP: kube-proxy leaves kube-ipvs0 down.
    const create = k.requests.find((r) => r.type === RTM_NEWLINK)!;
    const { header, attrs } = decodeLinkPayload(create.payload);
    expect(header.flags).to.equal(0);
    expect(attrs[0]!.type).to.equal(IFLA_IFNAME);
  });

  it('a second sync finds the link and gets EEXIST for addresses already bound, unless replacing', () => {
    const k = new FakeRouteKernel();
    const index = ensureLink(k, 'kube-ipvs0');
    expect(ensureLink(k, 'kube-ipvs0')).to.equal(index);
    expect(k.requests.filter((r) => r.type === RTM_NEWLINK)).to.have.length(1);

    expectAck(k.exchange([addAddress({ index, cidr: '10.96.0.10/32' }, next())]), 'add address', '10.96.0.10/32');
    expect(() => expectAck(k.exchange([addAddress({ index, cidr: '10.96.0.10/32' }, next())]), 'add address', '10.96.0.10/32'))
      .to.throw(RtnetlinkError, 'add address 10.96.0.10/32: EEXIST')
      .with.property('errno', 17);
    expect(() => expectAck(k.exchange([addAddress({ index, cidr: '10.96.0.10/32', replace: true }, next())]), 'replace address', '10.96.0.10/32')).not.to.throw();
  });

  it('filters the address dump by index on a non-strict socket, where the kernel returns lo\'s too', () => {
    const k = new FakeRouteKernel(false);
    const index = ensureLink(k, 'kube-ipvs0');
    expectAck(k.exchange([addAddress({ index, cidr: '10.96.0.10/32' }, next())]), 'add address', '');
    const replies = k.exchange([dumpAddresses({ index }, next())]);
    expect(replies.filter((m) => m.type === RTM_NEWADDR)).to.have.length(3);
    expect(decodeAddressDump(replies, { index }).map(addressCidr)).to.deep.equal(['10.96.0.10/32']);

    const strict = new FakeRouteKernel(true);
    const i2 = ensureLink(strict, 'kube-ipvs0');
    expectAck(strict.exchange([addAddress({ index: i2, cidr: '10.96.0.10/32' }, next())]), 'add address', '');
    expect(strict.exchange([dumpAddresses({ index: i2 }, next())]).filter((m) => m.type === RTM_NEWADDR)).to.have.length(1);
  });

  it('removes addresses, reporting EADDRNOTAVAIL for one that is not there', () => {
    const k = new FakeRouteKernel();
    const index = ensureLink(k, 'kube-ipvs0');
    expectAck(k.exchange([addAddress({ index, cidr: 'fd00:10:96::a/128' }, next())]), 'add address', '');
    expectAck(k.exchange([deleteAddress({ index, cidr: 'fd00:10:96::a/128' }, next())]), 'delete address', '');
    expect(() => expectAck(k.exchange([deleteAddress({ index, cidr: 'fd00:10:96::a/128' }, next())]), 'delete address', 'fd00:10:96::a/128 on link 2'))
      .to.throw(RtnetlinkError, /EADDRNOTAVAIL/)
      .with.property('errno', 99);
    expect(decodeAddressDump(k.exchange([dumpAddresses({ family: AF_INET6, index }, next())]), { index })).to.deep.equal([]);
  });

  it('up then down keeps IPv4 addresses and drops IPv6 ones, as the 6.1 kernel did', () => {
    const k = new FakeRouteKernel();
    const index = ensureLink(k, 'kube-ipvs0');
    expectAck(k.exchange([addAddress({ index, cidr: '10.96.0.10/32' }, next()), addAddress({ index, cidr: 'fd00:10:96::a/128' }, next())]), 'add', '');
    expectAck(k.exchange([setLinkUp({ name: 'kube-ipvs0' }, next())]), 'set link up', 'kube-ipvs0');
    expect(decodeGetLinkReply(k.exchange([getLink({ index }, next())]), { index }).up).to.equal(true);
    expectAck(k.exchange([setLinkDown({ index }, next())]), 'set link down', 'kube-ipvs0');
    const left = decodeAddressDump(k.exchange([dumpAddresses({ index }, next())]), { index });
    expect(left.map((a) => [a.family, addressCidr(a)])).to.deep.equal([[AF_INET, '10.96.0.10/32']]);
  });

  it('deletes the link with its addresses; a second delete is ENODEV', () => {
    const k = new FakeRouteKernel();
    const index = ensureLink(k, 'kube-ipvs0');
    expectAck(k.exchange([addAddress({ index, cidr: '10.96.0.10/32' }, next())]), 'add', '');
    expectAck(k.exchange([deleteLink({ name: 'kube-ipvs0' }, next())]), 'delete link', 'kube-ipvs0');
    expect(decodeAddressDump(k.exchange([dumpAddresses({}, next())]), { index })).to.deep.equal([]);
    expect(() => expectAck(k.exchange([deleteLink({ index }, next())]), 'delete link', `index ${index}`))
      .to.throw(RtnetlinkError, `delete link index ${index}: ENODEV`);
  });
});
