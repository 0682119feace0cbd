// Resolves a generic netlink family (e.g. "IPVS") to its message type id through nlctrl.
import { ENOENT } from '../../native-free-netlink/core/errno.js';
import { decodeFamily, encodeGetFamily, type GenlFamily } from '../../native-free-netlink/genetlink/ctrl.js';
import { KernelError } from '../kernel/kernel-error.js';
import type { NetlinkConnection } from './connection.js';

export async function resolveGenlFamily(conn: NetlinkConnection, name: string, hintWhenMissing?: string): Promise<GenlFamily> {
  const [result] = await conn.exchange([encodeGetFamily(name, 0)]);
  const errno = result?.ack?.errno ?? 0;
  if (errno !== 0 || !result || result.replies.length === 0) {
    throw new KernelError('GETFAMILY', `"${name}"`, errno || ENOENT, errno === ENOENT || !errno ? hintWhenMissing : result?.ack?.message);
  }
  return decodeFamily(result.replies[0]!);
}
