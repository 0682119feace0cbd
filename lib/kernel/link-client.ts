// kube-ipvs0 and its addresses over rtnetlink: find the link, create it (a dummy, left DOWN like
// kube-proxy leaves it), list and change its addresses. Addresses on any other link are never read into
// a plan and never changed.
import { ENODEV } from '../../native-free-netlink/core/errno.js';
import type { NetlinkMessage } from '../../native-free-netlink/core/message.js';
import {
  RTM_NEWADDR,
  RTM_NEWLINK,
  addressCidr,
  decodeAddress,
  decodeGetLinkReply,
  decodeLink,
  dumpAddresses,
  dumpLinks,
  getLink,
  type Address,
  type Link,
} from '../../native-free-netlink/rtnetlink/index.js';
import type { NetlinkConnection } from '../netlink/connection.js';
import { KernelError } from './kernel-error.js';

export class LinkClient {
  constructor(readonly conn: NetlinkConnection) {}

  /** The link by name, or undefined when there is none. */
  async find(name: string): Promise<Link | undefined> {
    const [r] = await this.conn.exchange([getLink({ name }, 0)]);
    if (r!.ack && r!.ack.errno === ENODEV) return undefined;
    if (r!.ack && r!.ack.errno !== 0) throw new KernelError('RTM_GETLINK', name, r!.ack.errno, r!.ack.message);
    return decodeGetLinkReply(r!.replies, { name });
  }

  async listLinks(): Promise<Link[]> {
    return (await this.dump(() => dumpLinks(0), 'RTM_GETLINK')).filter((m) => m.type === RTM_NEWLINK).map(decodeLink);
  }

  /**
   * Addresses of one link (index), or of all links when index is omitted. Filtered here too: without
   * NETLINK_GET_STRICT_CHK (which the socket binding cannot set) the kernel ignores the index.
   */
  async listAddresses(index?: number): Promise<Address[]> {
    const all = (await this.dump(() => dumpAddresses(index !== undefined ? { index } : {}, 0), 'RTM_GETADDR')).filter((m) => m.type === RTM_NEWADDR).map(decodeAddress);
    return index === undefined ? all : all.filter((a) => a.index === index);
  }

  /** A dump's data messages (the transport strips DONE and reports errors); retried when interrupted. */
  private async dump(request: () => NetlinkMessage, operation: string): Promise<NetlinkMessage[]> {
    for (let attempt = 1; ; attempt++) {
      // Whole-table dumps (10,000 addresses on kube-ipvs0): apart from the socket address changes go over.
      const [r] = await this.conn.exchange([request()], { apart: true });
      if (r!.ack && r!.ack.errno !== 0) throw new KernelError(operation, 'dump', r!.ack.errno, r!.ack.message);
      if (!r!.dumpInterrupted) return r!.replies;
      if (attempt >= 5) throw new KernelError(operation, 'dump', 4, 'interrupted by concurrent changes 5 times');
    }
  }

  /** "10.96.0.10/32" for each address on the link. */
  async addressCidrs(index: number): Promise<string[]> {
    return (await this.listAddresses(index)).map(addressCidr);
  }

  async send(messages: readonly NetlinkMessage[], describe: (i: number) => { operation: string; object: string }): Promise<(Error | undefined)[]> {
    const results = await this.conn.exchange(messages);
    return results.map((r, i) => {
      if (!r.ack || r.ack.errno === 0) return undefined;
      const d = describe(i);
      return new KernelError(d.operation, d.object, r.ack.errno, r.ack.message);
    });
  }
}
