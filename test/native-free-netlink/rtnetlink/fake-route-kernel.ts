// A message-level fake of the kernel's rtnetlink link/address handlers: a function from request messages
// to reply messages, built only from our own codec. Its rules are the ones the real 6.1 kernel showed in
// the captures (test/fixtures/captured/rtnetlink): EEXIST/ENODEV/EADDRNOTAVAIL, dummy links created DOWN
// with IFF_BROADCAST|IFF_NOARP, addresses marked IFA_F_PERMANENT, IPv6 addresses dropped when the link
// goes down, ifa_index of an address dump ignored unless `strict` (NETLINK_GET_STRICT_CHK). Not modelled:
// the fe80::/64 link-local address the kernel adds when the link comes up, statistics, other link kinds.
import { attributeMap, read } from '../../../native-free-netlink/core/attributes.js';
import { encodeAck } from '../../../native-free-netlink/core/ack.js';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import {
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_MULTI,
  NLM_F_REPLACE,
  NLMSG_DONE,
  type NetlinkMessage,
} from '../../../native-free-netlink/core/message.js';
import {
  ARPHRD_ETHER,
  decodeAddress,
  decodeAddressPayload,
  decodeLink,
  decodeLinkPayload,
  encodeAddress,
  encodeLink,
  IFA_F_NODAD,
  IFA_F_PERMANENT,
  IFF_BROADCAST,
  IFF_NOARP,
  IFF_UP,
  IFLA_IFNAME,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  type Address,
  type Link,
} from '../../../native-free-netlink/rtnetlink/index.js';

const ENODEV = 19;
const EEXIST = 17;
const EADDRNOTAVAIL = 99;
const EOPNOTSUPP = 95;

export class FakeRouteKernel {
  readonly links: Link[] = [{ index: 1, name: 'lo', flags: 0x10049, up: true, mtu: 65536, operState: 'unknown', type: 772 }];
  readonly addresses: Address[] = [
    { family: AF_INET, prefixLength: 8, index: 1, address: '127.0.0.1', local: '127.0.0.1', label: 'lo', scope: 254, flags: IFA_F_PERMANENT },
    { family: AF_INET6, prefixLength: 128, index: 1, address: '::1', scope: 254, flags: IFA_F_PERMANENT },
  ];
  /** Every request seen, in order: what request-shape tests look at. */
  readonly requests: NetlinkMessage[] = [];
  private nextIndex = 2;

  constructor(private readonly strict = false) {}

  /** The fake itself: requests in, replies out. */
  readonly exchange = (requests: readonly NetlinkMessage[]): NetlinkMessage[] => requests.flatMap((r) => this.handle(r));

  private handle(req: NetlinkMessage): NetlinkMessage[] {
    this.requests.push(req);
    try {
      const data = this.dispatch(req);
      if (isDump(req)) return [...data.map((m) => ({ ...m, flags: NLM_F_MULTI })), this.done(req)];
      return req.flags & NLM_F_ACK ? [...data, encodeAck(req, 0)] : data;
    } catch (e) {
      if (typeof e === 'number') return [encodeAck(req, e)];
      throw e;
    }
  }

  private done(req: NetlinkMessage): NetlinkMessage {
    return { type: NLMSG_DONE, flags: NLM_F_MULTI, seq: req.seq, pid: 0, payload: new Uint8Array(4) };
  }

  private findLink(req: NetlinkMessage): Link {
    const { header, attrs } = decodeLinkPayload(req.payload);
    const name = attributeMap(attrs).get(IFLA_IFNAME);
    const link = header.index > 0 ? this.links.find((l) => l.index === header.index) : name ? this.links.find((l) => l.name === read.string(name)) : undefined;
    if (!link) throw ENODEV;
    return link;
  }

  private dispatch(req: NetlinkMessage): NetlinkMessage[] {
    switch (req.type) {
      case RTM_NEWLINK: {
        if (req.flags & NLM_F_CREATE) return this.createLink(req);
        const link = this.findLink(req);
        const { flags, change } = decodeLinkPayload(req.payload).header;
        const mask = change === 0 ? 0xffffffff : change;
        const wasUp = link.up;
        link.flags = ((link.flags & ~mask) | (flags & mask)) >>> 0;
        link.up = (link.flags & IFF_UP) !== 0;
        link.operState = link.up ? 'unknown' : 'down';
        // keep_addr_on_down = 0: the kernel drops a link's IPv6 addresses when it goes down.
        if (wasUp && !link.up) this.removeAddresses((a) => a.index === link.index && a.family === AF_INET6);
        return [];
      }
      case RTM_DELLINK: {
        const link = this.findLink(req);
        this.links.splice(this.links.indexOf(link), 1);
        this.removeAddresses((a) => a.index === link.index);
        return [];
      }
      case RTM_GETLINK:
        if (isDump(req)) return this.links.map((l) => encodeLink(l, req.seq));
        return [encodeLink(this.findLink(req), req.seq)];
      case RTM_NEWADDR:
        return this.addAddress(req);
      case RTM_DELADDR: {
        const want = decodeAddress(req);
        const found = this.addresses.find((a) => a.index === want.index && sameAddress(a, want));
        if (!found) throw EADDRNOTAVAIL;
        this.addresses.splice(this.addresses.indexOf(found), 1);
        return [];
      }
      case RTM_GETADDR: {
        const { family, index } = decodeAddressPayload(req.payload).header;
        return this.addresses
          .filter((a) => (family === 0 || a.family === family) && (!this.strict || index === 0 || a.index === index))
          .map((a) => encodeAddress(a, req.seq));
      }
      default:
        throw EOPNOTSUPP;
    }
  }

  private createLink(req: NetlinkMessage): NetlinkMessage[] {
    const asked = decodeLink(req);
    const existing = this.links.find((l) => l.name === asked.name);
    if (existing) {
      if (req.flags & NLM_F_EXCL) throw EEXIST;
      return [];
    }
    if (asked.kind !== 'dummy') throw EOPNOTSUPP;
    const up = asked.up;
    this.links.push({
      index: this.nextIndex++,
      name: asked.name,
      kind: 'dummy',
      flags: IFF_BROADCAST | IFF_NOARP | (up ? IFF_UP : 0),
      up,
      mtu: 1500,
      operState: up ? 'unknown' : 'down',
      type: ARPHRD_ETHER,
    });
    return [];
  }

  private addAddress(req: NetlinkMessage): NetlinkMessage[] {
    const asked = decodeAddress(req);
    const link = this.links.find((l) => l.index === asked.index);
    if (!link) throw ENODEV;
    const existing = this.addresses.find((a) => a.index === asked.index && sameAddress(a, asked));
    if (existing) {
      if (req.flags & NLM_F_EXCL || !(req.flags & NLM_F_REPLACE)) throw EEXIST;
      return [];
    }
    const bound = asked.local ?? asked.address;
    // Dummy links are IFF_NOARP: no DAD, so IPv6 addresses are never tentative; NODAD is kept as a flag.
    const a: Address = {
      family: asked.family,
      prefixLength: asked.prefixLength,
      index: asked.index,
      address: bound,
      scope: asked.scope,
      flags: IFA_F_PERMANENT | (asked.flags & IFA_F_NODAD),
    };
    if (asked.family === AF_INET) {
      a.local = bound;
      a.label = link.name;
    }
    this.addresses.push(a);
    return [];
  }

  private removeAddresses(match: (a: Address) => boolean): void {
    for (let i = this.addresses.length - 1; i >= 0; i--) if (match(this.addresses[i]!)) this.addresses.splice(i, 1);
  }
}

/**
 * NLM_F_DUMP (0x300) shares its bits with NLM_F_EXCL|NLM_F_REPLACE: like rtnetlink_rcv_msg, only a GET
 * (type % 4 == 2) can be a dump.
 */
function isDump(req: NetlinkMessage): boolean {
  return req.type % 4 === 2 && (req.flags & NLM_F_DUMP) !== 0;
}

function sameAddress(a: Address, b: Address): boolean {
  return a.family === b.family && (a.local ?? a.address) === (b.local ?? b.address) && a.prefixLength === b.prefixLength;
}
