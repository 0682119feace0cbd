// Checks the `virtualServers` section of a state against what IPVS accepts (kernel net/netfilter/ipvs/
// ip_vs_ctl.c, and ipvsadm's own rules where the kernel would accept something that cannot work).
import { AF_INET, canonicalIp, ipToBytes } from '../../native-free-netlink/core/ip.js';
import { hostPort, SERVICE_FLAG_ORDER, virtualServerKey } from './canonical.js';
import type { Family, ForwardMethod, Protocol, RealServer, ServiceFlag, VirtualServer } from './types.js';
import {
  checkKnownKeys, describeValue, isPlainObject, Problems, readArray, readEnum, readInteger, readString,
} from './validation-problems.js';

/** Schedulers of Linux (ip_vs_*.c); "twos" needs Linux 6.3+. */
export const KNOWN_SCHEDULERS: readonly string[] = [
  'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos',
];
/** Persistence engines of Linux (ip_vs_pe_sip.c is the only one). */
export const KNOWN_PERSISTENCE_ENGINES: readonly string[] = ['sip'];
export const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];
export const FORWARD_METHODS: readonly ForwardMethod[] = ['masq', 'local', 'tunnel', 'route'];
/** ipvsadm's MAX_TIMEOUT (31 days); the kernel multiplies the timeout by HZ. */
export const MAX_PERSISTENCE_TIMEOUT = 86400 * 31;
/** ip_vs_add_dest() refuses a weight below 0 read as an int: 0..INT_MAX. */
export const MAX_WEIGHT = 2147483647;
const MAX_U32 = 4294967295;

const VS_KEYS = ['protocol', 'address', 'port', 'fwmark', 'family', 'scheduler', 'flags', 'timeout', 'netmask', 'pe', 'realServers'];
const RS_KEYS = ['address', 'port', 'weight', 'forward', 'upperThreshold', 'lowerThreshold'];

export function validateVirtualServers(value: unknown, problems: Problems): VirtualServer[] {
  const list = readArray(value, 'virtualServers', problems);
  if (!list) return [];
  const seen = new Map<string, number>();
  const out: VirtualServer[] = [];
  list.forEach((raw, i) => {
    const path = `virtualServers[${i}]`;
    const vs = validateVirtualServer(raw, path, problems);
    if (!vs) return;
    const key = virtualServerKey(vs);
    const first = seen.get(key);
    if (first !== undefined) problems.add(path, `duplicate of virtualServers[${first}] (${key})`);
    else seen.set(key, i);
    out.push(vs);
  });
  return out;
}

/** The virtual server when its identity is readable (so duplicates can be found), else undefined. */
function validateVirtualServer(raw: unknown, path: string, problems: Problems): VirtualServer | undefined {
  if (!isPlainObject(raw)) {
    problems.add(path, `expected an object, got ${describeValue(raw)}`);
    return undefined;
  }
  checkKnownKeys(raw, VS_KEYS, path, problems);
  const scheduler = readEnum(raw.scheduler, KNOWN_SCHEDULERS, 'scheduler', `${path}.scheduler`, problems);
  const flags = validateFlags(raw, scheduler, path, problems);
  const persistent = flags.includes('persistent');

  let identity: Pick<VirtualServer, 'protocol' | 'address' | 'port' | 'fwmark' | 'family'> | undefined;
  let family: Family | undefined;
  if (raw.fwmark !== undefined) {
    const fwmark = readInteger(raw.fwmark, `${path}.fwmark`, 1, MAX_U32, problems);
    for (const k of ['protocol', 'address', 'port'] as const) {
      if (raw[k] !== undefined) problems.add(`${path}.${k}`, 'not allowed with fwmark (a fwmark virtual server matches packets by their mark alone)');
    }
    family = raw.family === undefined ? 'inet' : readEnum(raw.family, ['inet', 'inet6'] as Family[], 'family', `${path}.family`, problems);
    if (fwmark !== undefined && family) identity = { fwmark, family };
  } else {
    const protocol = raw.protocol === undefined
      ? (problems.add(`${path}.protocol`, 'required (tcp, udp or sctp) unless fwmark is given'), undefined)
      : readEnum(raw.protocol, PROTOCOLS, 'protocol', `${path}.protocol`, problems);
    const address = raw.address === undefined
      ? (problems.add(`${path}.address`, 'required unless fwmark is given'), undefined)
      : readAddress(raw.address, `${path}.address`, problems);
    family = address ? familyOf(address) : undefined;
    if (raw.family !== undefined && family && raw.family !== family) {
      problems.add(`${path}.family`, `${describeValue(raw.family)} does not match the address ${address} (${family})`);
    }
    const port = validateServicePort(raw.port, persistent, `${path}.port`, problems);
    if (protocol && address && port !== undefined) identity = { protocol, address: canonicalIp(address), port };
  }

  if (flags.includes('one-packet') && raw.fwmark === undefined && raw.protocol !== undefined && raw.protocol !== 'udp') {
    problems.add(`${path}.flags`, '"one-packet" applies to UDP and fwmark virtual servers only (as ipvsadm enforces)');
  }
  let timeout: number | undefined;
  if (persistent) {
    timeout = raw.timeout === undefined
      ? (problems.add(`${path}.timeout`, `required with the persistent flag (seconds, 1-${MAX_PERSISTENCE_TIMEOUT})`), undefined)
      : readInteger(raw.timeout, `${path}.timeout`, 1, MAX_PERSISTENCE_TIMEOUT, problems);
  } else if (raw.timeout !== undefined) {
    problems.add(`${path}.timeout`, 'only with the persistent flag (it is the persistence timeout)');
  }
  if (raw.netmask !== undefined && family) validateNetmask(raw.netmask, family, `${path}.netmask`, problems);
  if (raw.pe !== undefined) readEnum(raw.pe, KNOWN_PERSISTENCE_ENGINES, 'persistence engine', `${path}.pe`, problems);

  const realServers = validateRealServers(raw.realServers, family, identity, path, problems);
  if (!identity) return undefined;
  const vs: VirtualServer = { ...identity, scheduler: scheduler ?? String(raw.scheduler), flags, realServers };
  if (timeout !== undefined) vs.timeout = timeout;
  if (raw.netmask !== undefined) vs.netmask = raw.netmask as string | number;
  if (typeof raw.pe === 'string') vs.pe = raw.pe;
  return vs;
}

function validateFlags(raw: Record<string, unknown>, scheduler: string | undefined, path: string, problems: Problems): ServiceFlag[] {
  if (raw.flags === undefined) return [];
  const list = readArray(raw.flags, `${path}.flags`, problems);
  if (!list) return [];
  const out: ServiceFlag[] = [];
  list.forEach((f, j) => {
    const fp = `${path}.flags[${j}]`;
    const flag = readEnum(f, SERVICE_FLAG_ORDER, 'flag', fp, problems);
    if (!flag) return;
    if (out.includes(flag)) problems.add(fp, `"${flag}" given twice`);
    out.push(flag);
    // sh and mh read the scheduler flag bits as their own options (IP_VS_SVC_F_SCHED_SH_*/MH_* alias
    // SCHED1/SCHED2), and the state names them as ipvsadm prints them: one spelling per bit, per scheduler,
    // or a dump of what we applied would never compare equal to the state.
    const own = flag.startsWith('sh-') ? 'sh' : flag.startsWith('mh-') ? 'mh' : undefined;
    if (own && scheduler && scheduler !== own) problems.add(fp, `"${flag}" needs scheduler ${own}`);
    if ((flag === 'flag-1' || flag === 'flag-2') && (scheduler === 'sh' || scheduler === 'mh')) {
      problems.add(fp, `"${flag}" is written "${scheduler}-${flag === 'flag-1' ? 'fallback' : 'port'}" with scheduler ${scheduler}`);
    }
  });
  return out;
}

/** Port 0 means "any port": the kernel schedules such a service only when it is persistent (ip_vs_schedule()). */
function validateServicePort(v: unknown, persistent: boolean, path: string, problems: Problems): number | undefined {
  if (v === undefined) {
    problems.add(path, 'required unless fwmark is given');
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    problems.add(path, `expected an integer, got ${describeValue(v)}`);
    return undefined;
  }
  const min = persistent ? 0 : 1;
  if (v < min || v > 65535) {
    const why = v === 0 ? ' (port 0 matches any port and needs the persistent flag)' : '';
    problems.add(path, `${v} is out of range ${min}-65535${why}`);
    return undefined;
  }
  return v;
}

function validateNetmask(v: unknown, family: Family, path: string, problems: Problems): void {
  if (family === 'inet6') {
    // ip_vs_add_service()/ip_vs_edit_service() refuse IPv6 prefix lengths outside 1..128.
    readInteger(v, path, 1, 128, problems);
    return;
  }
  const s = readString(v, path, problems);
  if (s === undefined) return;
  let bytes: Uint8Array;
  try {
    const parsed = ipToBytes(s);
    if (parsed.family !== AF_INET) throw new Error();
    bytes = parsed.bytes;
  } catch {
    problems.add(path, `expected an IPv4 netmask like "255.255.255.0", got ${describeValue(v)}`);
    return;
  }
  const bits = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const inverted = ~bits >>> 0;
  if ((inverted & (inverted + 1)) !== 0) problems.add(path, `"${s}" is not a contiguous netmask`);
}

function validateRealServers(
  value: unknown,
  vsFamily: Family | undefined,
  identity: Pick<VirtualServer, 'port' | 'fwmark'> | undefined,
  vsPath: string,
  problems: Problems,
): RealServer[] {
  const path = `${vsPath}.realServers`;
  if (value === undefined) {
    problems.add(path, 'required (an empty list means no real servers)');
    return [];
  }
  const list = readArray(value, path, problems);
  if (!list) return [];
  const seen = new Map<string, number>();
  const out: RealServer[] = [];
  list.forEach((raw, j) => {
    const rp = `${path}[${j}]`;
    if (!isPlainObject(raw)) {
      problems.add(rp, `expected an object, got ${describeValue(raw)}`);
      return;
    }
    checkKnownKeys(raw, RS_KEYS, rp, problems);
    const address = raw.address === undefined
      ? (problems.add(`${rp}.address`, 'required'), undefined)
      : readAddress(raw.address, `${rp}.address`, problems);
    const port = raw.port === undefined
      ? (problems.add(`${rp}.port`, 'required (0 means the port the packet was sent to)'), undefined)
      : readInteger(raw.port, `${rp}.port`, 0, 65535, problems);
    const forward = raw.forward === undefined
      ? (problems.add(`${rp}.forward`, `required (${FORWARD_METHODS.join(', ')})`), undefined)
      : readEnum(raw.forward, FORWARD_METHODS, 'forward method', `${rp}.forward`, problems);
    const weight = raw.weight === undefined
      ? (problems.add(`${rp}.weight`, `required (0-${MAX_WEIGHT})`), undefined)
      : readInteger(raw.weight, `${rp}.weight`, 0, MAX_WEIGHT, problems);
    const upper = raw.upperThreshold === undefined ? undefined : readInteger(raw.upperThreshold, `${rp}.upperThreshold`, 0, MAX_U32, problems);
    const lower = raw.lowerThreshold === undefined ? undefined : readInteger(raw.lowerThreshold, `${rp}.lowerThreshold`, 0, MAX_U32, problems);
    const upperKnown = raw.upperThreshold === undefined || upper !== undefined;
    if (lower !== undefined && upperKnown && lower > (upper ?? 0)) {
      // ip_vs_add_dest()/ip_vs_edit_dest(): ERANGE when l_threshold > u_threshold, and an absent upper
      // threshold is 0 ("no limit"), so a lower threshold needs an upper one.
      problems.add(`${rp}.lowerThreshold`, `${lower} is above upperThreshold ${upper ?? 0} (the kernel refuses a lower threshold above the upper one)`);
    }
    if (address && vsFamily && forward && familyOf(address) !== vsFamily && forward !== 'tunnel') {
      // ip_vs_genl_set_cmd(): a destination of another family than its service is accepted only with
      // IP_VS_CONN_F_TUNNEL (and no sync daemon).
      problems.add(`${rp}.address`, `${address} is ${familyOf(address) === 'inet' ? 'IPv4' : 'IPv6'} in an ${vsFamily} virtual server: the kernel allows mixed families only with forward "tunnel"`);
    }
    if ((forward === 'route' || forward === 'tunnel') && port !== undefined && identity?.port !== undefined && identity.fwmark === undefined && port !== identity.port) {
      // Direct routing and tunnelling do not rewrite the destination port; ipvsadm sets the real server's
      // port to the service's for them, so the kernel's record would otherwise not say what happens.
      problems.add(`${rp}.port`, `${port} differs from the virtual server's port ${identity.port}; forward "${forward}" does not rewrite ports`);
    }
    if (address === undefined || port === undefined) return;
    const key = hostPort(canonicalIp(address), port);
    const first = seen.get(key);
    if (first !== undefined) problems.add(rp, `duplicate of realServers[${first}] (${key})`);
    else seen.set(key, j);
    const rs: RealServer = { address, port, weight: weight ?? 0, forward: forward ?? 'masq' };
    if (upper !== undefined) rs.upperThreshold = upper;
    if (lower !== undefined) rs.lowerThreshold = lower;
    out.push(rs);
  });
  return out;
}

function readAddress(v: unknown, path: string, problems: Problems): string | undefined {
  const s = readString(v, path, problems);
  if (s === undefined) return undefined;
  try {
    ipToBytes(s);
    return s;
  } catch {
    problems.add(path, `invalid IP address "${s}"`);
    return undefined;
  }
}

function familyOf(address: string): Family {
  return ipToBytes(address).family === AF_INET ? 'inet' : 'inet6';
}
