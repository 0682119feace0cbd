// Reads the classic pcap file format (what `tcpdump -w` writes) and splits out nlmon's netlink frames.
// nlmon frames carry a 16-byte Linux "cooked" header (LINKTYPE_NETLINK 253, or LINKTYPE_LINUX_SLL 113):
// packet type (be16), ARPHRD (be16), address length (be16), address (8 bytes), protocol (be16) = the
// netlink protocol number. The kernel's tap sets packet type PACKET_KERNEL (7) when the kernel receives the
// frame and PACKET_USER (6) when a user socket does, which tells requests from replies.

export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_NETLINK = 253;
const PACKET_USER = 6;
const PACKET_KERNEL = 7;

export interface NetlinkFrame {
  direction: 'request' | 'reply';
  /** Netlink protocol: 0 route, 12 netfilter, 16 generic. */
  protocol: number;
  bytes: Uint8Array;
}

export function parsePcap(file: Uint8Array): { linkType: number; packets: Uint8Array[] } {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = dv.getUint32(0, true);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error(`not a pcap file (magic 0x${magic.toString(16)})`);
  const linkType = dv.getUint32(20, le);
  const packets: Uint8Array[] = [];
  let off = 24;
  while (off + 16 <= file.length) {
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (incl !== orig) throw new Error(`packet at ${off} truncated by the capture (${incl} of ${orig} bytes): raise the snap length`);
    packets.push(file.slice(off + 16, off + 16 + incl));
    off += 16 + incl;
  }
  return { linkType, packets };
}

export function netlinkFrames(file: Uint8Array): NetlinkFrame[] {
  const { linkType, packets } = parsePcap(file);
  if (linkType !== LINKTYPE_NETLINK && linkType !== LINKTYPE_LINUX_SLL) {
    throw new Error(`pcap link type ${linkType} is not nlmon's (253 or 113)`);
  }
  return packets.map((p) => {
    const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const pktType = dv.getUint16(0, false);
    const protocol = dv.getUint16(14, false);
    const bytes = p.slice(16);
    let direction: NetlinkFrame['direction'];
    if (pktType === PACKET_KERNEL) direction = 'request';
    else if (pktType === PACKET_USER) direction = 'reply';
    // Unknown packet type: fall back to the NLM_F_REQUEST bit of the first message.
    else direction = bytes.length >= 8 && (new DataView(bytes.buffer, bytes.byteOffset).getUint16(6, true) & 1) ? 'request' : 'reply';
    return { direction, protocol, bytes };
  });
}
