// struct nlattr TLVs (linux/netlink.h): u16 len, u16 type (with NLA_F_NESTED / NLA_F_NET_BYTEORDER in the
// top bits), data, padding to 4 bytes.
import {
  align4,
  concatBytes,
  cString,
  readCString,
  u16be,
  u16le,
  u32be,
  u32le,
  u64be,
  u64le,
  view,
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
  const dv = view(out);
  dv.setUint16(0, len, true);
  dv.setUint16(2, a.type | (a.nested ? NLA_F_NESTED : 0) | (a.netByteOrder ? NLA_F_NET_BYTEORDER : 0), true);
  out.set(a.data, NLA_HDRLEN);
  return out;
}

export function encodeAttributes(attrs: readonly Attribute[]): Uint8Array {
  return concatBytes(attrs.map(encodeAttribute));
}

/**
 * Decodes a run of attributes. `baseOffset` only makes error offsets point into the enclosing message.
 * The padding of the LAST attribute may be missing (the kernel's nla_ok accepts that), so we accept it.
 */
export function decodeAttributes(buf: Uint8Array, baseOffset = 0): Attribute[] {
  const out: Attribute[] = [];
  const dv = view(buf);
  let off = 0;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = dv.getUint16(off, true);
    const rawType = dv.getUint16(off + 2, true);
    if (len < NLA_HDRLEN || off + len > buf.length) {
      throw new NetlinkDecodeError(`bad nla_len ${len} for attribute type ${rawType & NLA_TYPE_MASK}`, baseOffset + off);
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      netByteOrder: (rawType & NLA_F_NET_BYTEORDER) !== 0,
      data: buf.slice(off + NLA_HDRLEN, off + len),
    });
    off += align4(len);
  }
  if (off < buf.length && buf.subarray(off).some((b) => b !== 0)) {
    throw new NetlinkDecodeError(`${buf.length - off} trailing bytes after attributes`, baseOffset + off);
  }
  return out;
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
  u16: (a: Attribute): number => (need(a, 2, 'u16'), view(a.data).getUint16(0, true)),
  u32: (a: Attribute): number => (need(a, 4, 'u32'), view(a.data).getUint32(0, true)),
  u64: (a: Attribute): bigint => (need(a, 8, 'u64'), view(a.data).getBigUint64(0, true)),
  be16: (a: Attribute): number => (need(a, 2, 'be16'), view(a.data).getUint16(0, false)),
  be32: (a: Attribute): number => (need(a, 4, 'be32'), view(a.data).getUint32(0, false)),
  be64: (a: Attribute): bigint => (need(a, 8, 'be64'), view(a.data).getBigUint64(0, false)),
  string: (a: Attribute): string => readCString(a.data),
  nested: (a: Attribute): Attribute[] => decodeAttributes(a.data),
};

/** First attribute of each type (netlink's usual "last one wins" is irrelevant: the kernel sends one). */
export function attributeMap(attrs: readonly Attribute[]): Map<number, Attribute> {
  const m = new Map<number, Attribute>();
  for (const a of attrs) if (!m.has(a.type)) m.set(a.type, a);
  return m;
}
