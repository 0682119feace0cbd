// The benchmark's desired state and the same state as input for the C tools. Shaped like what kube-proxy
// programs for N ClusterIP services with 10 endpoints each: one IPVS virtual server (rr) with 10 masq real
// servers per service, KUBE-CLUSTER-IP (hash:ip,port, one member per service), KUBE-LOOP-BACK
// (hash:ip,port,ip, one member per endpoint) and one /32 per service on kube-ipvs0. Pure functions.
import type { IpsetState, State, VirtualServer } from '../../lib/state/types.js';

export const ENDPOINTS_PER_SERVICE = 10;
export const INTERFACE = 'kube-ipvs0';
const SERVICE_PORT = 80;
const TARGET_PORT = 8080;

function dotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** ClusterIP of service i: 10.96.0.1, 10.96.0.2, ... (inside kube's default 10.96.0.0/12). */
export function clusterIp(i: number): string {
  return dotted(((10 << 24) | (96 << 16)) + 1 + i);
}

/** Pod IP of endpoint j of service i: 10.128.0.1, ... (distinct across services). */
export function podIp(i: number, j: number): string {
  return dotted(((10 << 24) | (128 << 16)) + 1 + i * ENDPOINTS_PER_SERVICE + j);
}

/**
 * kube-proxy leaves maxelem at 65536; KUBE-LOOP-BACK at 10,000 services holds 100,000 members, so the bench
 * raises maxelem to the next power of two (for both contenders: the C tools get the same create line).
 */
export function maxelemFor(count: number): number | undefined {
  if (count <= 65536) return undefined;
  let m = 65536;
  while (m < count) m *= 2;
  return m;
}

function hashSet(name: string, type: IpsetState['type'], entries: string[]): IpsetState {
  const s: IpsetState = { name, type, family: 'inet', entries };
  const maxelem = maxelemFor(entries.length);
  if (maxelem !== undefined) s.maxelem = maxelem;
  return s;
}

/** `change` replaces one endpoint of one service (and its KUBE-LOOP-BACK member) with another pod IP. */
export function benchState(services: number, change?: { service: number; endpoint: number; newIp: string }): State {
  const virtualServers: VirtualServer[] = [];
  const clusterEntries: string[] = [];
  const loopbackEntries: string[] = [];
  const addresses: string[] = [];
  for (let i = 0; i < services; i++) {
    const vip = clusterIp(i);
    const realServers = [];
    for (let j = 0; j < ENDPOINTS_PER_SERVICE; j++) {
      const pod = change && change.service === i && change.endpoint === j ? change.newIp : podIp(i, j);
      realServers.push({ address: pod, port: TARGET_PORT, weight: 1, forward: 'masq' as const });
      loopbackEntries.push(`${pod},tcp:${TARGET_PORT},${pod}`);
    }
    virtualServers.push({ protocol: 'tcp', address: vip, port: SERVICE_PORT, scheduler: 'rr', flags: [], realServers });
    clusterEntries.push(`${vip},tcp:${SERVICE_PORT}`);
    addresses.push(`${vip}/32`);
  }
  return {
    interface: { name: INTERFACE, addresses },
    virtualServers,
    ipsets: [hashSet('KUBE-CLUSTER-IP', 'hash:ip,port', clusterEntries), hashSet('KUBE-LOOP-BACK', 'hash:ip,port,ip', loopbackEntries)],
  };
}

/** An address no generated service uses, for the replaced endpoint. */
export function spareIp(services: number): string {
  return podIp(services, 0);
}

// ---- the same state for the C tools ----

/** `ipvsadm -R` input: -A per virtual server, -a per real server (what `ipvsadm -S -n` prints). */
export function ipvsadmRestoreText(s: State): string {
  const lines: string[] = [];
  for (const vs of s.virtualServers) {
    const svc = `-t ${vs.address}:${vs.port}`;
    lines.push(`-A ${svc} -s ${vs.scheduler}`);
    for (const rs of vs.realServers) lines.push(`-a ${svc} -r ${rs.address}:${rs.port} -m -w ${rs.weight}`);
  }
  return lines.join('\n') + '\n';
}

/** `ipset restore` input: create + add lines, as `ipset save` prints them. */
export function ipsetRestoreText(s: State): string {
  const lines: string[] = [];
  for (const set of s.ipsets) {
    let create = `create ${set.name} ${set.type} family ${set.family} hashsize ${set.hashsize ?? 1024} maxelem ${set.maxelem ?? 65536}`;
    if (set.range) create = `create ${set.name} ${set.type} range ${set.range}`;
    lines.push(create);
    for (const e of set.entries) lines.push(`add ${set.name} ${e}`);
  }
  return lines.join('\n') + '\n';
}

/** `ip -batch` input: the dummy link, then one address per line. */
export function ipBatchText(s: State): string {
  const itf = s.interface!;
  return [`link add ${itf.name} type dummy`, ...itf.addresses.map((a) => `address add ${a} dev ${itf.name}`)].join('\n') + '\n';
}
