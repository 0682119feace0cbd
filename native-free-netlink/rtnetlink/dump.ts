// Reading replies: a dump is NLM_F_MULTI data messages closed by NLMSG_DONE (whose payload is an int
// error, 0 normally, then extended-ack TLVs when NLM_F_ACK_TLVS is set); a refused dump is one
// NLMSG_ERROR instead. A single GET is answered by one data message or an NLMSG_ERROR.
import { decodeAck, NLMSGERR_ATTR_MSG } from '../core/ack.js';
import { decodeAttributes, read } from '../core/attributes.js';
import { view } from '../core/bytes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { NLM_F_ACK_TLVS, NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, type NetlinkMessage } from '../core/message.js';
import { decodeAddress, type Address } from './address.js';
import { RTM_NEWADDR, RTM_NEWLINK } from './constants.js';
import { RtnetlinkError } from './errors.js';
import { decodeLink, describeLinkRef, type Link, type LinkRef } from './link.js';

/** EINTR: how we report NLM_F_DUMP_INTR (the dump changed under us; run it again), as iproute2 does. */
export const EINTR = 4;

/**
 * The data messages of a complete dump. Throws RtnetlinkError for a kernel error (an NLMSG_ERROR, or
 * NLMSG_DONE carrying one) and for an interrupted dump (errno EINTR: retry), NetlinkDecodeError when
 * NLMSG_DONE is missing (the caller handed over a partial reply).
 */
export function dumpMessages(replies: readonly NetlinkMessage[], operation: string, object: string): NetlinkMessage[] {
  const data: NetlinkMessage[] = [];
  let interrupted = false;
  for (const m of replies) {
    if (m.flags & NLM_F_DUMP_INTR) interrupted = true;
    if (m.type === NLMSG_NOOP) continue;
    if (m.type === NLMSG_ERROR) {
      const ack = decodeAck(m);
      throw new RtnetlinkError(ack.errno, operation, object, ack.message);
    }
    if (m.type === NLMSG_DONE) {
      const { errno, message } = decodeDone(m);
      if (errno !== 0) throw new RtnetlinkError(errno, operation, object, message);
      if (interrupted) throw new RtnetlinkError(EINTR, operation, object, 'dump interrupted by a concurrent change');
      return data;
    }
    data.push(m);
  }
  throw new NetlinkDecodeError(`${operation} ${object}: ${replies.length} replies without NLMSG_DONE`, 0);
}

function decodeDone(m: NetlinkMessage): { errno: number; message?: string } {
  // Old kernels sent an empty NLMSG_DONE; it means success.
  if (m.payload.length < 4) return { errno: 0 };
  const errno = -view(m.payload).getInt32(0, true);
  if (m.flags & NLM_F_ACK_TLVS) {
    const msg = decodeAttributes(m.payload.subarray(4), 4).find((a) => a.type === NLMSGERR_ATTR_MSG);
    if (msg) return { errno, message: read.string(msg) };
  }
  return { errno };
}

/** Links of an RTM_GETLINK dump. */
export function decodeLinkDump(replies: readonly NetlinkMessage[]): Link[] {
  return dumpMessages(replies, 'dump', 'links')
    .filter((m) => m.type === RTM_NEWLINK)
    .map(decodeLink);
}

/**
 * Addresses of an RTM_GETADDR dump, filtered here by family and link index too: without
 * NETLINK_GET_STRICT_CHK on the socket the kernel ignores ifa_index and returns every link's addresses.
 */
export function decodeAddressDump(replies: readonly NetlinkMessage[], filter: { family?: number; index?: number } = {}): Address[] {
  const object = filter.index !== undefined ? `addresses of link ${filter.index}` : 'addresses';
  return dumpMessages(replies, 'dump', object)
    .filter((m) => m.type === RTM_NEWADDR)
    .map(decodeAddress)
    .filter((a) => (filter.index === undefined || a.index === filter.index) && (filter.family === undefined || filter.family === 0 || a.family === filter.family));
}

/**
 * The answer to getLink(): the Link, or RtnetlinkError (ENODEV 19 when there is no such link).
 * Replies beyond the first RTM_NEWLINK (an ACK when the request asked for one) are ignored.
 */
export function decodeGetLinkReply(replies: readonly NetlinkMessage[], ref: LinkRef): Link {
  for (const m of replies) {
    if (m.type === RTM_NEWLINK) return decodeLink(m);
    if (m.type === NLMSG_ERROR) {
      const ack = decodeAck(m);
      if (ack.errno !== 0) throw new RtnetlinkError(ack.errno, 'get link', describeLinkRef(ref), ack.message);
    }
  }
  throw new NetlinkDecodeError(`get link ${describeLinkRef(ref)}: no RTM_NEWLINK among ${replies.length} replies`, 0);
}
