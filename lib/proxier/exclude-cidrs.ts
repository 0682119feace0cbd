// --ipvs-exclude-cidrs as kube-proxy means it: its cleanup of stale IPVS services skips every virtual
// server whose address lies in one of these CIDRs. Ours never touches foreign virtual servers anyway
// (the ownership ledger); this also keeps our own ones in those ranges when their Service goes.
import type { VirtualServer } from '../state/types.js';
import { cidrContains, parseCidr, parseIp, type ParsedCidr } from './addresses.js';

/** The engine's neverDelete predicate for these CIDRs; undefined when there are none. */
export function neverDeleteIn(cidrs: readonly string[] | undefined): ((vs: VirtualServer) => boolean) | undefined {
  const parsed = (cidrs ?? []).map(parseCidr).filter((c): c is ParsedCidr => c !== undefined);
  if (parsed.length === 0) return undefined;
  return (vs) => {
    // A fwmark virtual server has no address: no CIDR covers it.
    const ip = vs.address === undefined ? undefined : parseIp(vs.address);
    return ip !== undefined && parsed.some((c) => cidrContains(c, ip));
  };
}
