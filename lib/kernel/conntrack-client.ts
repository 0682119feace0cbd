// Conntrack over nfnetlink (CTNETLINK), read side: lists flows, optionally filtered in the kernel by their
// original or reply tuple (Linux 5.8+ CTA_FILTER). What `ipvs-proxier dump --conntrack` shows operators.
// No deletes: the measurements in e2e/traffic/CONNTRACK-CASES.md found no UDP or SCTP case on Linux 6.1
// that a conntrack cleanup repairs, so the proxier sends none.
import { dumpFlowsRequest, decodeFlowMessage, type ConntrackFlow, type ConntrackTuple } from '../../native-free-netlink/conntrack/index.js';
import type { NetlinkConnection } from '../netlink/connection.js';
import { KernelError } from './kernel-error.js';

export interface FlowMatch {
  orig?: ConntrackTuple;
  reply?: ConntrackTuple;
}

/** Every flow of `family` (0: both) matching `match`. Throws KernelError when the kernel refuses the dump. */
export async function listConntrackFlows(conn: NetlinkConnection, family: number, match: FlowMatch = {}): Promise<ConntrackFlow[]> {
  const [result] = await conn.exchange([dumpFlowsRequest({ seq: 0 }, family, match)]);
  if (!result) throw new KernelError('IPCTNL_MSG_CT_GET dump', describe(family, match), 0, 'no result from the netlink connection');
  if (result.ack && result.ack.errno !== 0) {
    throw new KernelError('IPCTNL_MSG_CT_GET dump', describe(family, match), result.ack.errno, result.ack.errno === 2 ? 'nf_conntrack_netlink not loaded?' : undefined);
  }
  return result.replies.map(decodeFlowMessage);
}

function describe(family: number, match: FlowMatch): string {
  return `conntrack flows (family ${family}${match.orig ? `, orig ${JSON.stringify(match.orig)}` : ''}${match.reply ? `, reply ${JSON.stringify(match.reply)}` : ''})`;
}
