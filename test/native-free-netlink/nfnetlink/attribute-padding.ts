// Tools built on libmnl 1.0.4 (ipset 7.17, conntrack 1.4.7) leave stale bytes in attribute padding (after
// a u8, a be16 or an odd-length string); the kernel ignores them and our encoder writes zeros. The
// captured-bytes tests of both families zero that padding before comparing the rest byte for byte.
import { view } from '../../../native-free-netlink/core/bytes.js';

/** Zeroes the padding after every attribute in b[start, end), descending into nested ones. */
export function zeroAttributePadding(b: Uint8Array, start: number, end: number): void {
  const dv = view(b);
  let off = start;
  while (off + 4 <= end) {
    const len = dv.getUint16(off, true);
    const type = dv.getUint16(off + 2, true);
    if (len < 4 || off + len > end) return;
    if (type & 0x8000) zeroAttributePadding(b, off + 4, off + len);
    const padded = Math.min(end, off + ((len + 3) & ~3));
    b.fill(0, off + len, padded);
    off = padded;
  }
}
