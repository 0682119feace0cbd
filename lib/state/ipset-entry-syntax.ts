// Member text of an ipset in the STATE format: checked against the set's type and family and rewritten in
// the canonical text `ipset list` prints, so a desired set and a dump of the kernel compare as strings.
// The parsing and printing are the codec's (native-free-netlink/ipset/entry-text.ts: parseEntry then
// formatEntry, the same formatter the dump uses); this adds the state format's own rules:
//   - one member per text, without options: "10.0.0.1 timeout 30" or "... nomatch" are refused (the state
//     has no place for member extensions, and a dump would never print them back);
//   - a bitmap:port member must lie in the set's range (the kernel refuses it with IPSET_ERR_BITMAP_RANGE).
// Examples of canonical text: "10.96.0.10,tcp:80" (from "10.96.0.10,80"), "10.0.0.0/8" (from "10.1.2.3/8"),
// "10.1.2.3" (from "10.1.2.3/32"), "fd00::a" (from "fd00:0::a"), "31122".
import { formatEntry, IpsetEntryTextError, parseEntry } from '../../native-free-netlink/ipset/entry-text.js';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from '../../native-free-netlink/nfnetlink/nfgenmsg.js';
import type { Family, IpsetType } from './types.js';

export type EntryCheck = { canonical: string; error?: undefined } | { canonical?: undefined; error: string };

export interface PortRange {
  from: number;
  to: number;
}

export const DEFAULT_PORT_RANGE: PortRange = { from: 0, to: 65535 };

/** "0-65535" -> {from, to}; undefined when malformed or reversed. */
export function parsePortRange(text: string): PortRange | undefined {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (to > 65535 || from > to) return undefined;
  return { from, to };
}

export function canonicalIpsetEntry(type: IpsetType, family: Family, text: string, range: PortRange = DEFAULT_PORT_RANGE): EntryCheck {
  if (text.trim() !== text) return { error: `"${text}" has leading or trailing whitespace` };
  if (/\s/.test(text)) {
    return { error: `"${text}": member options (timeout, nomatch, comment, ...) are not supported; write the member alone` };
  }
  const nfproto = family === 'inet6' ? NFPROTO_IPV6 : NFPROTO_IPV4;
  let canonical: string;
  let port: number | undefined;
  try {
    const entry = parseEntry(type, nfproto, text);
    canonical = formatEntry(type, nfproto, entry);
    port = entry.port;
  } catch (e) {
    if (e instanceof IpsetEntryTextError) return { error: `"${text}": ${e.reason}` };
    throw e;
  }
  if (type === 'bitmap:port' && port !== undefined && (port < range.from || port > range.to)) {
    return { error: `"${text}": port ${port} is outside the set's range ${range.from}-${range.to}` };
  }
  return { canonical };
}
