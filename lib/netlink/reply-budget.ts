// How much of a socket's receive buffer the reply to one request can take at worst: the kernel answers a
// failed request with an NLMSG_ERROR that echoes the whole request (NETLINK_CAP_ACK would trim it, but the
// socket binding cannot set it), and charges the receive buffer the skb's truesize: the data rounded up to
// a kmalloc size together with skb_shared_info, plus the sk_buff itself. A batch whose worst-case replies
// exceed the buffer makes the kernel drop replies and fail the next recvmsg with ENOBUFS, which the
// `netlink` package's native binding (0.3.0) does not survive: the process aborts ("Error in native
// callback") before any 'error' listener runs. Measured on Linux 6.1: 400 failed 40-byte requests fit a
// 416 KiB buffer; 20 failed 2 KiB requests overran a 16 KiB one.

/** nlmsghdr + nlmsgerr's errno and echoed header, and room for extended ack attributes. */
const ERROR_OVERHEAD = 16 + 4 + 64;
/** sizeof(struct skb_shared_info), cache-aligned, on x86-64. */
const SHARED_INFO = 320;
/** sizeof(struct sk_buff), cache-aligned, on x86-64. */
const SK_BUFF = 256;

/** The receive-buffer bytes (skb truesize) the error reply to a request of `requestBytes` may take. */
export function worstReplyBytes(requestBytes: number): number {
  const data = ERROR_OVERHEAD + requestBytes + SHARED_INFO;
  let slab = 512;
  while (slab < data) slab *= 2;
  return slab + SK_BUFF;
}
