// Every failure the kernel reports reaches the operator as: the operation, the object, the errno, and a
// hint where the errno has a usual cause. e.g.
//   NEW_SERVICE tcp 10.96.0.10:80: ENOENT (scheduler module "foo" not found?)
import { errnoName } from '../../native-free-netlink/core/errno.js';

export class KernelError extends Error {
  constructor(
    /** The netlink command or tool operation: "NEW_SERVICE", "ipset add", "RTM_NEWADDR". */
    readonly operation: string,
    /** What it was about: "tcp 10.96.0.10:80", "KUBE-CLUSTER-IP 10.96.0.10,tcp:80". */
    readonly object: string,
    /** Positive errno (0 when the failure was not an errno, e.g. a decode failure). */
    readonly errno: number,
    /** Optional explanation: the kernel's extended ack text or our hint. */
    readonly hint?: string,
  ) {
    super(`${operation} ${object}: ${errno ? errnoName(errno) : 'failed'}${hint ? ` (${hint})` : ''}`);
    this.name = 'KernelError';
  }

  get code(): string {
    return errnoName(this.errno);
  }
}
