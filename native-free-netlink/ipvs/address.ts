// IPVS addresses travel as `union nf_inet_addr` (16 bytes). The kernel copies at most 16 bytes and zero-fills
// the rest, so a 4-byte IPv4 address is accepted too; the kernel itself (replies) and ipvsadm (requests)
// always send all 16 bytes, IPv4 in the first 4.
import { AF_INET, AF_INET6, bytesToIp, ipToBytes, type AddressFamily } from '../core/ip.js';
import { NetlinkDecodeError } from '../core/errors.js';

export interface AddressEncoding {
  /** Length of an IPv4 address attribute: 16 (default; the kernel's and ipvsadm's form) or 4. */
  ipv4AddressLength?: 4 | 16;
}

export function isAddressFamily(n: number): n is AddressFamily {
  return n === AF_INET || n === AF_INET6;
}

/** Bytes of `address`, checked against `family`. `what` names the object in the error. */
export function packAddress(address: string, family: AddressFamily, what: string, o: AddressEncoding = {}): Uint8Array {
  const { family: actual, bytes } = ipToBytes(address);
  if (actual !== family) throw new Error(`${what}: address ${address} is not of family ${familyName(family)}`);
  if (family === AF_INET6 || o.ipv4AddressLength === 4) return bytes;
  const full = new Uint8Array(16);
  full.set(bytes);
  return full;
}

export function unpackAddress(data: Uint8Array, family: AddressFamily): string {
  const need = family === AF_INET ? 4 : 16;
  if (data.length < need) {
    throw new NetlinkDecodeError(`${familyName(family)} address attribute has ${data.length} bytes`, 0);
  }
  return bytesToIp(data, family);
}

export function familyName(family: number): string {
  return family === AF_INET ? 'inet' : family === AF_INET6 ? 'inet6' : `family ${family}`;
}
