// struct nlattr TLVs (linux/netlink.h): u16 len, u16 type (with NLA_F_NESTED / NLA_F_NET_BYTEORDER in the
// top bits), data, padding to 4 bytes.
import {
  align4,
  cString,
  getU16be,
  getU16le,
  getU32be,
  getU32le,
  getU64be,
  getU64le,
  readCString,
  setU16le,
  u16be,
  u16le,
  u32be,
  u32le,
  u64be,
  u64le,
} from './bytes.js';
import { NetlinkDecodeError } from './errors.js';

export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/**
 * One attribute. `type` excludes the flag bits; `nested` and `netByteOrder` carry them so that encoding
 * reproduces exactly what a given tool sent (libmnl sets NLA_F_NESTED, older libnl does not).
 */
export interface Attribute {
  type: number;
  nested: boolean;
  netByteOrder: boolean;
  data: Uint8Array;
}

export function encodeAttribute(a: Attribute): Uint8Array {
  const len = NLA_HDRLEN + a.data.length;
  const out = new Uint8Array(align4(len));
  setU16le(out, 0, len);
  setU16le(out, 2, a.type | (a.nested ? NLA_F_NESTED : 0) | (a.netByteOrder ? NLA_F_NET_BYTEORDER : 0));
  out.set(a.data, NLA_HDRLEN);
  return out;
}

export function encodeAttributes(attrs: readonly Attribute[]): Uint8Array {
  // One buffer written in place (the same bytes as concatenating encodeAttribute of each): a request
  // nests three levels of attributes, and building 120,000 of them one array per attribute was most of
  // the cost of encoding a big apply.
  let total = 0;
  for (const a of attrs) total += align4(NLA_HDRLEN + a.data.length);
  const out = new Uint8Array(total);
  let off = 0;
  for (const a of attrs) {
    const len = NLA_HDRLEN + a.data.length;
    setU16le(out, off, len);
    setU16le(out, off + 2, a.type | (a.nested ? NLA_F_NESTED : 0) | (a.netByteOrder ? NLA_F_NET_BYTEORDER : 0));
    const d = a.data;
    // TypedArray#set costs more than a short loop for the 2- to 16-byte values most attributes hold.
    if (d.length <= 16) for (let j = 0; j < d.length; j++) out[off + NLA_HDRLEN + j] = d[j]!;
    else out.set(d, off + NLA_HDRLEN);
    off += align4(len);
  }
  return out;
}

/**
 * Decodes a run of attributes. `baseOffset` only makes error offsets point into the enclosing message.
 * The padding of the LAST attribute may be missing (the kernel's nla_ok accepts that), so we accept it.
 */
export function decodeAttributes(buf: Uint8Array, baseOffset = 0): Attribute[] {
  const out: Attribute[] = [];
  scanAttributes(
    buf,
    (type, start, end, rawType) =>
      out.push({
        type,
        nested: (rawType & NLA_F_NESTED) !== 0,
        netByteOrder: (rawType & NLA_F_NET_BYTEORDER) !== 0,
        // A view, not a copy: decoders turn attributes into numbers and strings right away, and copying
        // every attribute of 100,000 IPVS destinations was a large share of a kernel read's allocations.
        data: buf.subarray(start, end),
      }),
    baseOffset,
  );
  return out;
}

/**
 * Walks a run of attributes without building Attribute objects: `visit(type, start, end, rawType)` gets the
 * offsets of each attribute's data in `buf`. decodeAttributes is built on it; decoders that read a few
 * fields of very many objects (an IPVS listing of 100,000 destinations) call it directly.
 */
export function scanAttributes(
  buf: Uint8Array,
  visit: (type: number, start: number, end: number, rawType: number) => void,
  baseOffset = 0,
  from = 0,
): void {
  // `from`: where the attributes start in `buf` (after a message's fixed header), so the caller needs no
  // view of the rest; offsets given to `visit`, and those in errors (plus baseOffset), are `buf`'s.
  let off = from;
  while (off + NLA_HDRLEN <= buf.length) {
    const end = attributeEnd(buf, off, buf.length, baseOffset);
    const rawType = getU16le(buf, off + 2);
    visit(rawType & NLA_TYPE_MASK, off + NLA_HDRLEN, end, rawType);
    off += align4(end - off);
  }
  checkAttributePadding(buf, off, buf.length, baseOffset);
}

/**
 * End of the attribute whose header is at `off`, in a run that ends at `to`: its nla_len checked as the
 * kernel's nla_ok checks it, else NetlinkDecodeError at errorBase + off. The framing rule of every attribute
 * walk: scanAttributes, and decoders that read 100,000 objects in place without its callback.
 */
export function attributeEnd(buf: Uint8Array, off: number, to: number, errorBase: number): number {
  const len = getU16le(buf, off);
  if (len < NLA_HDRLEN || off + len > to) {
    throw new NetlinkDecodeError(`bad nla_len ${len} for attribute type ${getU16le(buf, off + 2) & NLA_TYPE_MASK}`, errorBase + off);
  }
  return off + len;
}

/**
 * What follows a run's last attribute (`off` up to `to`) is padding: zeros, or a NetlinkDecodeError at
 * errorBase + off. The padding of the last attribute may be missing (the kernel's nla_ok accepts that).
 */
export function checkAttributePadding(buf: Uint8Array, off: number, to: number, errorBase: number): void {
  for (let i = off; i < to; i++) {
    if (buf[i] !== 0) throw new NetlinkDecodeError(`${to - off} trailing bytes after attributes`, errorBase + off);
  }
}

// ---- Builders: each returns an Attribute; `nest` encodes its children. ----

interface BuildOptions {
  /** Set NLA_F_NET_BYTEORDER on the attribute (ipset does for addresses and ports). */
  netByteOrderFlag?: boolean;
}

function mk(type: number, data: Uint8Array, nested = false, netByteOrder = false): Attribute {
  return { type, nested, netByteOrder, data };
}

export const attr = {
  bytes: (type: number, data: Uint8Array, o: BuildOptions = {}): Attribute => mk(type, data, false, !!o.netByteOrderFlag),
  u8: (type: number, v: number): Attribute => mk(type, Uint8Array.of(v & 0xff)),
  u16: (type: number, v: number): Attribute => mk(type, u16le(v)),
  u32: (type: number, v: number): Attribute => mk(type, u32le(v)),
  u64: (type: number, v: bigint): Attribute => mk(type, u64le(v)),
  be16: (type: number, v: number, o: BuildOptions = {}): Attribute => mk(type, u16be(v), false, !!o.netByteOrderFlag),
  be32: (type: number, v: number, o: BuildOptions = {}): Attribute => mk(type, u32be(v), false, !!o.netByteOrderFlag),
  be64: (type: number, v: bigint, o: BuildOptions = {}): Attribute => mk(type, u64be(v), false, !!o.netByteOrderFlag),
  string: (type: number, s: string): Attribute => mk(type, cString(s)),
  /** A zero-length attribute whose presence is the information (NLA_FLAG). */
  flag: (type: number): Attribute => mk(type, new Uint8Array(0)),
  /** Nested attributes; `nestedFlag` sets NLA_F_NESTED (libmnl, iproute2, ipset do; libnl1/ipvsadm may not). */
  nest: (type: number, children: readonly Attribute[], nestedFlag = true): Attribute =>
    mk(type, encodeAttributes(children), nestedFlag),
};

// ---- Readers ----

function need(a: Attribute, n: number, what: string): void {
  if (a.data.length < n) {
    throw new NetlinkDecodeError(`attribute ${a.type} too short for ${what}: ${a.data.length} bytes`, 0);
  }
}

export const read = {
  u8: (a: Attribute): number => (need(a, 1, 'u8'), a.data[0]!),
  u16: (a: Attribute): number => (need(a, 2, 'u16'), getU16le(a.data, 0)),
  u32: (a: Attribute): number => (need(a, 4, 'u32'), getU32le(a.data, 0)),
  u64: (a: Attribute): bigint => (need(a, 8, 'u64'), getU64le(a.data, 0)),
  be16: (a: Attribute): number => (need(a, 2, 'be16'), getU16be(a.data, 0)),
  be32: (a: Attribute): number => (need(a, 4, 'be32'), getU32be(a.data, 0)),
  be64: (a: Attribute): bigint => (need(a, 8, 'be64'), getU64be(a.data, 0)),
  string: (a: Attribute): string => readCString(a.data),
  nested: (a: Attribute): Attribute[] => decodeAttributes(a.data),
};

/** First attribute of each type (netlink's usual "last one wins" is irrelevant: the kernel sends one). */
export function attributeMap(attrs: readonly Attribute[]): Map<number, Attribute> {
  const m = new Map<number, Attribute>();
  for (const a of attrs) if (!m.has(a.type)) m.set(a.type, a);
  return m;
}
