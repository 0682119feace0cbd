// The value rules of the proxier's settings, shared by the command line (flags.ts) and the kube-proxy
// configuration file (kube-proxy-config.ts), so that a value is valid in both places or in neither. Each
// function takes the value, returns it canonical, or throws InvalidValue saying what is wrong with it; the
// caller prefixes the flag or the file's field path it came from.
import { parseBindAddress } from '../health/health-server.js';
import { parseCidr, type ParsedCidr } from '../proxier/addresses.js';
import { isKnownScheduler, KNOWN_SCHEDULERS } from '../proxier/scheduling.js';
import { parseDuration } from './duration.js';

export interface BindAddress {
  host: string;
  port: number;
}

/** A value that breaks its rule; the message names the value, not where it came from. */
export class InvalidValue extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidValue';
  }
}

/** Go duration text to milliseconds. */
export function durationMs(text: string): number {
  try {
    return parseDuration(text.trim());
  } catch (err) {
    throw new InvalidValue(`${(err as Error).message} (Go syntax: 30s, 1m, 500ms, 1h30m)`);
  }
}

export function nonNegativeDurationMs(text: string): number {
  const ms = durationMs(text);
  if (ms < 0) throw new InvalidValue(`must not be negative (got ${text})`);
  return ms;
}

/** "a, b,,c" -> ["a", "b", "c"] (pflag's string slices, with the blanks dropped). */
export function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

export function cidrList(items: readonly string[]): ParsedCidr[] {
  return items.map((item) => {
    const cidr = parseCidr(item);
    if (!cidr) throw new InvalidValue(`"${item}" is not a CIDR (e.g. 10.244.0.0/16 or fd00::/64)`);
    return cidr;
  });
}

/** kube-proxy allows one cluster CIDR, or a dual-stack pair (one per family). */
export function clusterCidrs(items: readonly string[]): string[] {
  const cidrs = cidrList(items);
  if (cidrs.length > 2 || (cidrs.length === 2 && cidrs[0]!.family === cidrs[1]!.family)) {
    throw new InvalidValue(`takes one CIDR or one IPv4 and one IPv6 CIDR (got "${items.join(',')}")`);
  }
  return cidrs.map((c) => c.text);
}

/** CIDRs, or the single keyword "primary" (the Node's own IPs). */
export function nodePortAddresses(items: readonly string[]): string[] {
  if (items.includes('primary')) {
    if (items.length > 1) throw new InvalidValue('"primary" cannot be combined with CIDRs');
    return ['primary'];
  }
  return cidrList(items).map((c) => c.text);
}

export function ipvsScheduler(name: string): string {
  if (!isKnownScheduler(name)) throw new InvalidValue(`"${name}" is not an IPVS scheduler (one of ${KNOWN_SCHEDULERS.join(', ')})`);
  return name;
}

/** "host:port" or "[v6]:port". */
export function bindAddress(text: string): BindAddress {
  try {
    return parseBindAddress(text.trim());
  } catch (err) {
    throw new InvalidValue(`${(err as Error).message} (e.g. 0.0.0.0:10256, [::]:10256)`);
  }
}
