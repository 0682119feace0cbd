// Kernel-reported rtnetlink failures, with what was being done to what, so that a log line like
// "add address 10.96.0.10/32 on link 7: EEXIST" needs no further context.
import { decodeAck } from '../core/ack.js';
import { errnoName } from '../core/errno.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { NLMSG_ERROR, type NetlinkMessage } from '../core/message.js';

export class RtnetlinkError extends Error {
  constructor(
    /** Positive errno (EEXIST 17, ENODEV 19, EADDRNOTAVAIL 99, EINTR 4 for an interrupted dump...). */
    readonly errno: number,
    /** What was attempted: "create link", "add address", "dump addresses". */
    readonly operation: string,
    /** What it was attempted on: "kube-ipvs0", "10.96.0.10/32 on link 7". */
    readonly object: string,
    /** The kernel's extended-ack text, when it gave one. */
    readonly kernelMessage?: string,
  ) {
    super(`${operation} ${object}: ${errnoName(errno)}${kernelMessage ? ` (${kernelMessage})` : ''}`);
    this.name = 'RtnetlinkError';
  }
}

/**
 * Checks the replies to a request sent with NLM_F_ACK: returns quietly on an ACK (error 0), throws
 * RtnetlinkError on a kernel error, NetlinkDecodeError when there is no ack at all. Messages that are not NLMSG_ERROR (an NLM_F_ECHO copy) are ignored.
 */
export function expectAck(replies: readonly NetlinkMessage[], operation: string, object: string): void {
  const acks = replies.filter((m) => m.type === NLMSG_ERROR).map(decodeAck);
  if (acks.length === 0) {
    throw new NetlinkDecodeError(`${operation} ${object}: no NLMSG_ERROR ack among ${replies.length} replies`, 0);
  }
  for (const ack of acks) {
    if (ack.errno !== 0) throw new RtnetlinkError(ack.errno, operation, object, ack.message);
  }
}
