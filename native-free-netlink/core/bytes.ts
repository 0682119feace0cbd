// Byte helpers shared by every family codec.
//
// Netlink headers and most attributes are in the HOST's byte order. We support little-endian hosts only
// (x86_64, arm64: every platform Kubernetes nodes run on in practice); `assertLittleEndianHost` lets the
// transport refuse to start elsewhere instead of silently writing wrong bytes. Fields the kernel wants in
// network order (ports, IPVS netmask, ipset data) use the explicit `be` helpers.

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function align4(n: number): number {
  return (n + 3) & ~3;
}

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function u16le(v: number): Uint8Array {
  const b = new Uint8Array(2);
  view(b).setUint16(0, v, true);
  return b;
}
export function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  view(b).setUint32(0, v >>> 0, true);
  return b;
}
export function u64le(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  view(b).setBigUint64(0, v, true);
  return b;
}
export function u16be(v: number): Uint8Array {
  const b = new Uint8Array(2);
  view(b).setUint16(0, v, false);
  return b;
}
export function u32be(v: number): Uint8Array {
  const b = new Uint8Array(4);
  view(b).setUint32(0, v >>> 0, false);
  return b;
}
export function u64be(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  view(b).setBigUint64(0, v, false);
  return b;
}

/** NUL-terminated UTF-8 string, as the kernel's NLA_NUL_STRING / NLA_STRING policies expect. */
export function cString(s: string): Uint8Array {
  const enc = new TextEncoder().encode(s);
  const out = new Uint8Array(enc.length + 1);
  out.set(enc);
  return out;
}

/** Reads a string attribute: stops at the first NUL (kernel strings may or may not carry one). */
export function readCString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? b.subarray(0, nul) : b);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd-length hex string (${clean.length} digits)`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
