// Byte tests against real captures (test/fixtures/captured/rtnetlink, Debian 6.1 kernel, iproute2 6.1.0):
// our builders must produce exactly the request `ip` sent, our decoders must read the kernel's replies
// into the expected values, and the lossless layer must re-encode every captured message bit for bit.
import { expect } from 'chai';
import { toHex } from '../../../native-free-netlink/core/bytes.js';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import { encodeMessage, encodeMessages, NLM_F_CREATE, NLM_F_DUMP_FILTERED, NLMSG_ERROR, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import {
  addAddress,
  createLink,
  decodeAddress,
  decodeAddressDump,
  decodeAddressPayload,
  decodeGetLinkReply,
  decodeLink,
  decodeLinkDump,
  decodeLinkPayload,
  deleteAddress,
  deleteLink,
  dumpAddresses,
  dumpLinks,
  encodeAddressPayload,
  encodeLinkPayload,
  expectAck,
  getLink,
  IFA_CACHEINFO,
  IFA_F_NODAD,
  IFA_F_PERMANENT,
  IFA_F_TENTATIVE,
  IFA_PROTO,
  IFF_BROADCAST,
  IFF_LOWER_UP,
  IFF_NOARP,
  IFF_RUNNING,
  IFF_UP,
  IFLA_EXT_MASK,
  IFLA_STATS64,
  RT_SCOPE_LINK,
  RTEXT_FILTER_VF,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RtnetlinkError,
  setLinkDown,
  setLinkUp,
  type Address,
  type Link,
} from '../../../native-free-netlink/rtnetlink/index.js';
import { loadCapture, messagesOf, withoutZeroTail, type Capture } from './captured-fixtures.js';

const hex = (m: NetlinkMessage): string => toHex(encodeMessage(m));

/** The one request of `type` in the capture that is not iproute2's own bookkeeping. */
function request(c: Capture, type: number, pick: (m: NetlinkMessage) => boolean = () => true): NetlinkMessage {
  const found = messagesOf(c, 'request').filter((m) => m.type === type && pick(m));
  expect(found, `${c.command}: requests of type ${type}`).to.have.length(1);
  return found[0]!;
}

/** Replies answering `req` (same seq; iproute2's name lookup runs on another socket with its own pid). */
function repliesTo(c: Capture, req: NetlinkMessage): NetlinkMessage[] {
  const i = c.datagrams.findIndex((d) => d.direction === 'request' && d.messages.includes(req));
  const out: NetlinkMessage[] = [];
  for (const d of c.datagrams.slice(i + 1)) {
    if (d.direction === 'request') break;
    out.push(...d.messages.filter((m) => m.seq === req.seq));
  }
  return out;
}

/**
 * iproute2 resolves "dev kube-ipvs0" (ll_link_get) with a GETLINK on a second socket before the real
 * request: family AF_UNSPEC, index 0, IFLA_EXT_MASK first, then the name.
 */
function isNameLookup(m: NetlinkMessage): boolean {
  if (m.type !== RTM_GETLINK) return false;
  const { header, attrs } = decodeLinkPayload(m.payload);
  return header.family === 0 && header.index === 0 && attrs[0]?.type === IFLA_EXT_MASK;
}

const kubeIpvs0Down: Link = { index: 3, name: 'kube-ipvs0', kind: 'dummy', flags: IFF_BROADCAST | IFF_NOARP, up: false, mtu: 1500, operState: 'down', type: 1 };
const v4: Address = { family: AF_INET, prefixLength: 32, index: 3, address: '10.96.0.10', local: '10.96.0.10', label: 'kube-ipvs0', scope: 0, flags: IFA_F_PERMANENT };
const v6 = (address: string, flags = IFA_F_PERMANENT): Address => ({ family: AF_INET6, prefixLength: 128, index: 3, address, scope: 0, flags });

describe('rtnetlink against captures of ip(8) on a 6.1 kernel', () => {
  describe('links', () => {
    it('ip link add kube-ipvs0 type dummy: createLink is the same request, byte for byte', () => {
      const c = loadCapture('ip-link-add');
      const req = request(c, RTM_NEWLINK, (m) => (m.flags & NLM_F_CREATE) !== 0);
      expect(hex(createLink({ name: 'kube-ipvs0', kind: 'dummy' }, req.seq))).to.equal(hex(req));
      expect(decodeLink(req)).to.deep.equal({ index: 0, name: 'kube-ipvs0', kind: 'dummy', flags: 0, up: false, type: 0 });
      expect(() => expectAck(repliesTo(c, req), 'create link', 'kube-ipvs0')).not.to.throw();
    });

    it('ip link add of an existing link: EEXIST', () => {
      const c = loadCapture('ip-link-add-exists');
      const req = request(c, RTM_NEWLINK, (m) => (m.flags & NLM_F_CREATE) !== 0);
      expect(() => expectAck(repliesTo(c, req), 'create link', 'kube-ipvs0')).to.throw(RtnetlinkError, 'create link kube-ipvs0: EEXIST');
    });

    it('ip link show kube-ipvs0: our getLink differs from ip\'s lookup only by RTEXT_FILTER_VF, and the reply reads as the DOWN dummy', () => {
      const c = loadCapture('ip-link-show');
      const lookup = request(c, RTM_GETLINK, isNameLookup);
      // iproute2 asks for VF info too (mask 9); we do not need it (mask 8). Everything else is identical.
      const ours = encodeMessage(getLink({ name: 'kube-ipvs0' }, lookup.seq));
      expect(decodeLinkPayload(lookup.payload).attrs[0]!.type).to.equal(IFLA_EXT_MASK);
      ours[36]! |= RTEXT_FILTER_VF;
      expect(toHex(ours)).to.equal(hex(lookup));
      expect(decodeGetLinkReply(repliesTo(c, lookup), { name: 'kube-ipvs0' })).to.deep.equal(kubeIpvs0Down);
      // `ip link show` then asks again by name with family AF_PACKET (and VF info): same link.
      const show = request(c, RTM_GETLINK, (m) => !isNameLookup(m));
      expect(decodeLinkPayload(show.payload).header).to.include({ family: 17, index: 0 });
      expect(decodeGetLinkReply(repliesTo(c, show), { name: 'kube-ipvs0' })).to.deep.equal(kubeIpvs0Down);
    });

    it('ip link set up/down: setLinkUp/setLinkDown by index are the same requests', () => {
      const up = loadCapture('ip-link-set-up');
      const upReq = request(up, RTM_NEWLINK, (m) => m.seq !== 0); // seq 0 is iproute2's "is NEWLINK supported" probe
      expect(hex(setLinkUp({ index: 3 }, upReq.seq))).to.equal(hex(upReq));
      expect(() => expectAck(repliesTo(up, upReq), 'set link up', 'kube-ipvs0')).not.to.throw();

      const down = loadCapture('ip-link-set-down');
      const downReq = request(down, RTM_NEWLINK, (m) => m.seq !== 0);
      expect(hex(setLinkDown({ index: 3 }, downReq.seq))).to.equal(hex(downReq));
      // The lookup before the down shows the link as it was: up, running, oper state "unknown" (dummy has no carrier).
      const before = decodeGetLinkReply(repliesTo(down, request(down, RTM_GETLINK, isNameLookup)), { name: 'kube-ipvs0' });
      expect(before).to.deep.equal({ ...kubeIpvs0Down, flags: IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_NOARP | IFF_LOWER_UP, up: true, operState: 'unknown' });
    });

    it('ip link del kube-ipvs0: deleteLink by index is the same request', () => {
      const c = loadCapture('ip-link-del');
      const req = request(c, RTM_DELLINK);
      expect(hex(deleteLink({ index: 3 }, req.seq))).to.equal(hex(req));
      expect(() => expectAck(repliesTo(c, req), 'delete link', 'kube-ipvs0')).not.to.throw();
    });

    it('ip link show of a missing link: ENODEV', () => {
      const c = loadCapture('ip-link-show-missing');
      const lookup = request(c, RTM_GETLINK, isNameLookup);
      expect(() => decodeGetLinkReply(repliesTo(c, lookup), { name: 'kube-ipvs0' })).to.throw(RtnetlinkError, 'get link kube-ipvs0: ENODEV');
    });

    it('ip link show type dummy: a link dump that decodes to kube-ipvs0', () => {
      const c = loadCapture('ip-link-show-type-dummy');
      const req = request(c, RTM_GETLINK);
      const replies = repliesTo(c, req);
      expect(replies[0]!.flags & NLM_F_DUMP_FILTERED).to.equal(NLM_F_DUMP_FILTERED); // the kernel applied the kind filter
      expect(decodeLinkDump(replies)).to.deep.equal([kubeIpvs0Down]);
    });
  });

  describe('addresses', () => {
    // What the requests say: IFA_LOCAL = IFA_ADDRESS for both families, no label, no kernel-set flags.
    const asked = (family: Address['family'], address: string, prefixLength: number, flags = 0): Address => ({
      family, prefixLength, index: 3, address, local: address, scope: 0, flags,
    });
    const cases: [fixture: string, cidr: string, expected: Address, options: { replace?: boolean; nodad?: boolean }][] = [
      ['ip-addr-add-ipv4', '10.96.0.10/32', asked(AF_INET, '10.96.0.10', 32), {}],
      ['ip-addr-replace-ipv4', '10.96.0.10/32', asked(AF_INET, '10.96.0.10', 32), { replace: true }],
      ['ip-addr-add-ipv6', 'fd00:10:96::a/128', asked(AF_INET6, 'fd00:10:96::a', 128), {}],
      ['ip-addr-add-ipv6-nodad', 'fd00:10:96::b/128', asked(AF_INET6, 'fd00:10:96::b', 128, IFA_F_NODAD), { nodad: true }],
    ];
    for (const [fixture, cidr, expected, options] of cases) {
      it(`${fixture}: addAddress is the same request, and the request decodes to the address`, () => {
        const c = loadCapture(fixture);
        const req = request(c, RTM_NEWADDR);
        expect(hex(addAddress({ index: 3, cidr, ...options }, req.seq))).to.equal(hex(req));
        expect(decodeAddress(req)).to.deep.equal(expected);
        expect(() => expectAck(repliesTo(c, req), 'add address', cidr)).not.to.throw();
      });
    }

    it('ip addr add of a bound address: EEXIST', () => {
      const c = loadCapture('ip-addr-add-ipv4-exists');
      const req = request(c, RTM_NEWADDR);
      expect(() => expectAck(repliesTo(c, req), 'add address', '10.96.0.10/32 on link 3')).to.throw(RtnetlinkError, 'add address 10.96.0.10/32 on link 3: EEXIST');
    });

    for (const [fixture, cidr] of [
      ['ip-addr-del-ipv4', '10.96.0.10/32'],
      ['ip-addr-del-ipv6', 'fd00:10:96::a/128'],
      ['ip-addr-del-ipv6-nodad', 'fd00:10:96::b/128'],
    ] as const) {
      it(`${fixture}: deleteAddress is the same request`, () => {
        const c = loadCapture(fixture);
        const req = request(c, RTM_DELADDR);
        expect(hex(deleteAddress({ index: 3, cidr }, req.seq))).to.equal(hex(req));
        expect(() => expectAck(repliesTo(c, req), 'delete address', cidr)).not.to.throw();
      });
    }

    it('ip addr del of an address that is not there: EADDRNOTAVAIL', () => {
      const c = loadCapture('ip-addr-del-ipv4-missing');
      const req = request(c, RTM_DELADDR);
      expect(() => expectAck(repliesTo(c, req), 'delete address', '10.96.0.10/32')).to.throw(RtnetlinkError, /EADDRNOTAVAIL/).with.property('errno', 99);
    });

    it('ip addr show dev kube-ipvs0 (link DOWN): dumpAddresses is the same request; IPv6 addresses are permanent, never tentative', () => {
      const c = loadCapture('ip-addr-show');
      const req = request(c, RTM_GETADDR);
      // iproute2 sends its whole 152-byte buffer; the message is 24 bytes and the rest zeros.
      const datagram = c.datagrams.find((d) => d.messages.includes(req))!;
      expect(datagram.bytes.length).to.equal(152);
      expect(hex(dumpAddresses({ index: 3 }, req.seq))).to.equal(toHex(withoutZeroTail(datagram.bytes)));
      expect(decodeAddressDump(repliesTo(c, req), { index: 3 })).to.deep.equal([
        v4,
        v6('fd00:10:96::b', IFA_F_PERMANENT | IFA_F_NODAD),
        v6('fd00:10:96::c'),
        v6('fd00:10:96::a'),
      ]);
    });

    it('an IPv6 address dumped right after it was added on the DOWN dummy is already not tentative (no DAD on IFF_NOARP)', () => {
      const c = loadCapture('ip-addr-add-ipv6-and-show');
      const req = request(c, RTM_GETADDR);
      expect(hex(dumpAddresses({ index: 3, family: AF_INET6 }, req.seq))).to.equal(hex(req));
      const addrs = decodeAddressDump(repliesTo(c, req), { index: 3 });
      expect(addrs).to.deep.equal([v6('fd00:10:96::c'), v6('fd00:10:96::a')]);
      expect(addrs.every((a) => (a.flags & IFA_F_TENTATIVE) === 0)).to.equal(true);
    });

    it('ip -6 addr show: the family filter, and the nodad address keeps IFA_F_NODAD', () => {
      const c = loadCapture('ip-addr-show-ipv6');
      const req = request(c, RTM_GETADDR);
      expect(decodeAddressPayload(req.payload).header.family).to.equal(AF_INET6);
      expect(decodeAddressDump(repliesTo(c, req), { index: 3, family: AF_INET6 })[0]).to.deep.equal(v6('fd00:10:96::b', IFA_F_PERMANENT | IFA_F_NODAD));
    });

    it('after ip link set up, the kernel adds an fe80::/64 link-local address (IFA_PROTO 3) to kube-ipvs0', () => {
      const c = loadCapture('ip-addr-show-up');
      const replies = repliesTo(c, request(c, RTM_GETADDR));
      const addrs = decodeAddressDump(replies, { index: 3 });
      expect(addrs.map((a) => `${a.address}/${a.prefixLength}`)).to.deep.equal(['10.96.0.10/32', 'fd00:10:96::a/128', 'fe80::5c40:cbff:fe11:c82c/64']);
      expect(addrs[2]).to.include({ scope: RT_SCOPE_LINK, flags: IFA_F_PERMANENT });
      const ll = replies.find((m) => m.type === RTM_NEWADDR && decodeAddress(m).scope === RT_SCOPE_LINK)!;
      expect(decodeAddressPayload(ll.payload).attrs.map((a) => a.type)).to.include(IFA_PROTO);
    });

    it('after ip link set down, every IPv6 address is gone and the IPv4 one stays (keep_addr_on_down = 0)', () => {
      const c = loadCapture('ip-addr-show-after-down');
      expect(decodeAddressDump(repliesTo(c, request(c, RTM_GETADDR)), { index: 3 })).to.deep.equal([v4]);
    });
  });

  describe('the lossless layer re-encodes every captured message', () => {
    const fixtures = [
      'ip-link-add', 'ip-link-add-exists', 'ip-link-show', 'ip-link-set-up', 'ip-link-set-down', 'ip-link-del',
      'ip-link-show-missing', 'ip-link-show-type-dummy', 'ip-addr-add-ipv4', 'ip-addr-add-ipv4-exists', 'ip-addr-replace-ipv4',
      'ip-addr-add-ipv6', 'ip-addr-add-ipv6-nodad', 'ip-addr-add-ipv6-and-show', 'ip-addr-show', 'ip-addr-show-ipv6',
      'ip-addr-show-up', 'ip-addr-show-after-down', 'ip-addr-del-ipv4', 'ip-addr-del-ipv4-missing', 'ip-addr-del-ipv6',
      'ip-addr-del-ipv6-nodad',
    ];
    it(`datagrams, headers and attributes of ${fixtures.length} iproute2 captures`, () => {
      let links = 0;
      let addresses = 0;
      for (const name of fixtures) {
        const c = loadCapture(name);
        expect(c.kernel, name).to.match(/^6\.1\./);
        expect(c.datagrams, name).not.to.be.empty;
        for (const d of c.datagrams) {
          expect(toHex(encodeMessages(d.messages)), `${name} datagram`).to.equal(toHex(withoutZeroTail(d.bytes)));
          for (const m of d.messages) {
            if (m.type >= RTM_NEWLINK && m.type <= RTM_GETLINK + 1) {
              expect(toHex(encodeLinkPayload(decodeLinkPayload(m.payload))), `${name} link message`).to.equal(toHex(m.payload));
              links++;
            } else if (m.type >= RTM_NEWADDR && m.type <= RTM_GETADDR) {
              expect(toHex(encodeAddressPayload(decodeAddressPayload(m.payload))), `${name} address message`).to.equal(toHex(m.payload));
              addresses++;
            } else {
              expect(m.type, name).to.be.oneOf([NLMSG_ERROR, 3]);
            }
          }
        }
      }
      expect({ links, addresses }).to.deep.equal({ links: 66, addresses: 28 });
    });

    it('kernel link replies carry statistics and ~30 attributes we skip; decodeLink reads only what Link holds', () => {
      const c = loadCapture('ip-link-show');
      const reply = repliesTo(c, request(c, RTM_GETLINK, isNameLookup))[0]!;
      const attrs = decodeLinkPayload(reply.payload).attrs;
      expect(attrs.length).to.be.greaterThan(25);
      expect(attrs.map((a) => a.type)).to.include(IFLA_STATS64);
    });

    it('IPv6 kernel replies hold IFA_ADDRESS, IFA_CACHEINFO, IFA_FLAGS and no IFA_LOCAL', () => {
      const c = loadCapture('ip-addr-show-ipv6');
      const reply = repliesTo(c, request(c, RTM_GETADDR)).find((m) => m.type === RTM_NEWADDR)!;
      expect(decodeAddressPayload(reply.payload).attrs.map((a) => a.type)).to.deep.equal([1, IFA_CACHEINFO, 8]);
    });
  });
});

describe('rtnetlink: our own requests against the same 6.1 kernel', () => {
  /** Our request in the capture, which must be exactly what the builder makes (seq 1, pid 0). */
  function ours(name: string, built: NetlinkMessage): { c: Capture; replies: NetlinkMessage[] } {
    const c = loadCapture(name);
    const requests = messagesOf(c, 'request');
    expect(requests, name).to.have.length(1);
    expect(hex(requests[0]!), name).to.equal(hex(built));
    return { c, replies: messagesOf(c, 'reply') };
  }

  it('create, get by name and by index', () => {
    expect(() => expectAck(ours('ours-create-link', createLink({ name: 'kube-ipvs0', kind: 'dummy' }, 1)).replies, 'create link', 'kube-ipvs0')).not.to.throw();
    expect(() => expectAck(ours('ours-create-link-exists', createLink({ name: 'kube-ipvs0', kind: 'dummy' }, 1)).replies, 'create link', 'kube-ipvs0'))
      .to.throw(RtnetlinkError)
      .with.property('errno', 17);
    const link: Link = { ...kubeIpvs0Down, index: 4 };
    expect(decodeGetLinkReply(ours('ours-get-link', getLink({ name: 'kube-ipvs0' }, 1)).replies, { name: 'kube-ipvs0' })).to.deep.equal(link);
    expect(decodeGetLinkReply(ours('ours-get-link-by-index', getLink({ index: 4 }, 1)).replies, { index: 4 })).to.deep.equal(link);
  });

  it('add (v4, v6, nodad), EEXIST, replace', () => {
    for (const [name, spec] of [
      ['ours-add-address-ipv4', { index: 4, cidr: '10.96.0.10/32' }],
      ['ours-replace-address-ipv4', { index: 4, cidr: '10.96.0.10/32', replace: true }],
      ['ours-add-address-ipv6', { index: 4, cidr: 'fd00:10:96::a/128' }],
      ['ours-add-address-ipv6-nodad', { index: 4, cidr: 'fd00:10:96::b/128', nodad: true }],
    ] as const) {
      expect(() => expectAck(ours(name, addAddress(spec, 1)).replies, 'add address', spec.cidr), name).not.to.throw();
    }
    expect(() => expectAck(ours('ours-add-address-ipv4-exists', addAddress({ index: 4, cidr: '10.96.0.10/32' }, 1)).replies, 'add address', '10.96.0.10/32'))
      .to.throw(RtnetlinkError)
      .with.property('errno', 17);
  });

  it('without NETLINK_GET_STRICT_CHK the kernel ignores ifa_index: lo\'s addresses come back, the decoder drops them', () => {
    const { replies } = ours('ours-dump-addresses', dumpAddresses({ index: 4 }, 1));
    const all = decodeAddressDump(replies);
    expect(all.map((a) => a.index)).to.include(1);
    expect(replies.some((m) => m.flags & NLM_F_DUMP_FILTERED)).to.equal(false);
    const four = (address: string, flags = IFA_F_PERMANENT): Address => ({ ...v6(address, flags), index: 4 });
    expect(decodeAddressDump(replies, { index: 4 })).to.deep.equal([{ ...v4, index: 4 }, four('fd00:10:96::b', IFA_F_PERMANENT | IFA_F_NODAD), four('fd00:10:96::a')]);
    const v6only = ours('ours-dump-addresses-ipv6', dumpAddresses({ index: 4, family: AF_INET6 }, 1)).replies;
    expect(decodeAddressDump(v6only, { index: 4, family: AF_INET6 }).map((a) => a.address)).to.deep.equal(['fd00:10:96::b', 'fd00:10:96::a']);
  });

  it('link dump, set up by name and down by index', () => {
    const links = decodeLinkDump(ours('ours-dump-links', dumpLinks(1)).replies);
    expect(links.map((l) => l.name)).to.include.members(['lo', 'nlmon0', 'kube-ipvs0']);
    expect(links.find((l) => l.name === 'kube-ipvs0')).to.deep.equal({ ...kubeIpvs0Down, index: 4 });
    expect(() => expectAck(ours('ours-set-link-up', setLinkUp({ name: 'kube-ipvs0' }, 1)).replies, 'set link up', 'kube-ipvs0')).not.to.throw();
    expect(() => expectAck(ours('ours-set-link-down', setLinkDown({ index: 4 }, 1)).replies, 'set link down', 'link 4')).not.to.throw();
  });

  it('delete addresses and the link; EADDRNOTAVAIL and ENODEV when already gone', () => {
    expect(() => expectAck(ours('ours-delete-address-ipv4', deleteAddress({ index: 4, cidr: '10.96.0.10/32' }, 1)).replies, 'delete address', '')).not.to.throw();
    expect(() => expectAck(ours('ours-delete-address-ipv4-missing', deleteAddress({ index: 4, cidr: '10.96.0.10/32' }, 1)).replies, 'delete address', ''))
      .to.throw(RtnetlinkError)
      .with.property('errno', 99);
    expect(() => expectAck(ours('ours-delete-address-ipv6', deleteAddress({ index: 4, cidr: 'fd00:10:96::a/128' }, 1)).replies, 'delete address', '')).not.to.throw();
    expect(() => expectAck(ours('ours-delete-link', deleteLink({ name: 'kube-ipvs0' }, 1)).replies, 'delete link', 'kube-ipvs0')).not.to.throw();
    expect(() => decodeGetLinkReply(ours('ours-get-link-missing', getLink({ name: 'kube-ipvs0' }, 1)).replies, { name: 'kube-ipvs0' }))
      .to.throw(RtnetlinkError, 'get link kube-ipvs0: ENODEV');
    expect(() => expectAck(ours('ours-delete-link-missing', deleteLink({ name: 'kube-ipvs0' }, 1)).replies, 'delete link', 'kube-ipvs0'))
      .to.throw(RtnetlinkError)
      .with.property('errno', 19);
  });
});
