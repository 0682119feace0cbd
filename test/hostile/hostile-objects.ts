// A seeded generator of hostile Services and EndpointSlices (issue 10, "hostile input"), shared by the
// desired-state property test (test/lib/proxier/hostile-input.test.ts) and the e2e (test/e2e/hostile/).
// Every object records what is wrong with it and what the proxier must do about it, so a test can tell an
// object that must be reported (a problem naming its namespace/name and field) from one that is valid but
// extreme (1,000 ports, 10,000 endpoints, huge annotations) and must simply work.
//
// Hostile objects never take an address from a good Service except on purpose ("conflict"): each has its
// own cluster IP (10.97.0.0/16), node port (from 40000 up, outside any good Service's) and external IPs
// (203.0.113.0/24 and up), and is newer than every good Service, so the good one keeps a contested IP:port.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { seededRandom, type Random } from '../native-free-netlink/rtnetlink/seeded-random.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const HOSTILE_NAMESPACE = 'hostile';

/** What the proxier must do with an object. */
export type Outcome =
  /** Skipped whole, with exactly one problem per listed field naming the object. */
  | { kind: 'skipped'; fields: string[] }
  /** Programmed, except its contested frontends: one problem per listed field, which name the good owner. */
  | { kind: 'conflict'; fields: string[]; owner: string }
  /** Left out by design (headless, ExternalName, no cluster IP, FQDN slice, unlabelled slice), no problem. */
  | { kind: 'ignored' }
  /** Valid though extreme: programmed (these virtual server keys exist), no problem. */
  | { kind: 'programmed'; virtualServers: string[] }
  /** An EndpointSlice: the listed parts skipped, with one problem each naming the Service in the label. */
  | { kind: 'slice-parts-skipped'; service: string; fields: string[] }
  /** No defined answer (the API server's own rules are ambiguous): only "no crash, valid state". */
  | { kind: 'unspecified' };

export interface HostileObject {
  kind: 'Service' | 'EndpointSlice';
  /** As JSON would carry it; may have wrong JSON types where `wellTyped` is false. */
  object: V1Service | V1EndpointSlice;
  /** metadata namespace/name as given (may be empty or odd). */
  namespace: string;
  name: string;
  /** What is wrong or extreme about it, for messages. */
  what: string;
  outcome: Outcome;
  /**
   * Every field has its declared JSON type. A real API server decodes into typed structs, so only such
   * objects can come out of it; the others can only reach the proxier through a raw watch event from a
   * broken server (client-node does not check watch events), and the builder must survive them too.
   */
  wellTyped: boolean;
  /** A real kube-apiserver's validation would refuse it (so it exists only via older servers, restores, bugs). */
  rejectedByApiServer: boolean;
}

/** The good Services' addresses a conflicting object may claim. */
export interface Claimable {
  /** `${namespace}/${name}` of the good Service. */
  owner: string;
  clusterIP: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  /** 0: none. */
  nodePort: number;
}

export interface GeneratorOptions {
  seed: number;
  count: number;
  /** Good Services whose addresses "conflict" objects claim (newer, so they lose). */
  claimable: readonly Claimable[];
  /** Names of good Services (namespace/name) garbage EndpointSlices may be labelled with. */
  goodServices: readonly string[];
  /** Only objects a JSON-typed API server could hold (the e2e); default false. */
  wellTypedOnly?: boolean;
  /** Scale of the extreme cases (ports on one Service, endpoints in one slice); default 1,000 and 10,000. */
  maxPorts?: number;
  maxEndpoints?: number;
  /** creationTimestamp of hostile objects (newer than the good ones); default 2030-01-01. */
  created?: string;
}

interface Ctx {
  r: Random;
  seq: number;
  o: Required<Omit<GeneratorOptions, 'claimable' | 'goodServices'>> & Pick<GeneratorOptions, 'claimable' | 'goodServices'>;
}

/** Bad IP texts and what makes them bad. */
const BAD_IPS: readonly string[] = [
  '10.96.0.999', 'banana', '', ' 10.97.0.1', '10.97.0.1 ', '10.97.0.1/32', 'fd00::/64', 'fe80::1%eth0', '010.097.000.001',
  '10.97.1', '0x0a.97.0.1', '1.2.3.4.5', ':::1', 'fd00::1::2', '\u0661\u0660.97.0.1', '10.97.0.1\u0000', '😀',
];
/**
 * Addresses that parse but that no Service or endpoint may have, and whether a real API server refuses them
 * in externalIPs and endpoints (ValidateNonSpecialIP: unspecified, loopback, link-local, link-local
 * multicast). The kernel refuses multicast and broadcast real servers (EINVAL), which fails a whole sync.
 */
const SPECIAL_IPS: readonly (readonly [string, boolean])[] = [
  ['0.0.0.0', true], ['127.0.0.1', true], ['169.254.1.1', true], ['224.0.0.1', true], ['239.1.2.3', false], ['255.255.255.255', false],
];
const BAD_PORTS: readonly unknown[] = [0, 65536, -1, 1.5, 1e9, -0.5, Number.MAX_SAFE_INTEGER + 2];
const WRONGLY_TYPED_PORTS: readonly unknown[] = ['80', null, true, [80], { port: 80 }, NaN, Infinity];
const BAD_PROTOCOLS: readonly string[] = ['ICMP', 'tcp', 'udp', '', 'TCP ', 'HTTP', 'constructor', '__proto__', 'toString', 'hasOwnProperty'];
const UNICODE_NAMES: readonly string[] = ['сервис', 'サービス', 'svc-😀', 'e\u0301', 'a\u200bb', 'ß', 'İ', '\u202eevil'];

function ip4(block: number, n: number): string {
  return `${block >> 8}.${block & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** The next unique hostile identity and addresses. */
function next(c: Ctx) {
  const i = c.seq++;
  return {
    i,
    name: `h${i}`,
    clusterIP: ip4((10 << 8) | 97, i + 1),
    externalIP: `198.18.${(i >> 8) & 255}.${i & 255}`,
    nodePort: 40000 + (i % 20000),
  };
}

function service(c: Ctx, name: string, spec: Record<string, unknown>, extra: { namespace?: string; annotations?: unknown; status?: unknown } = {}): V1Service {
  const metadata: Record<string, unknown> = { namespace: extra.namespace ?? HOSTILE_NAMESPACE, name, creationTimestamp: c.o.created };
  if (extra.annotations !== undefined) metadata['annotations'] = extra.annotations;
  const svc: Record<string, unknown> = { apiVersion: 'v1', kind: 'Service', metadata, spec };
  if (extra.status !== undefined) svc['status'] = extra.status;
  return svc as V1Service;
}

function clusterIPSpec(ip: string, ports: unknown[], more: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ports, ...more };
}

function tcp(port: unknown, name = '', more: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(name ? { name } : {}), protocol: 'TCP', port, targetPort: 8080, ...more };
}

function vsKey(protocol: string, ip: string, port: number): string {
  return `${protocol.toLowerCase()} ${ip}:${port}`;
}

type Make = (c: Ctx) => HostileObject;

function skipped(svc: V1Service, what: string, fields: string[], rejected = true, wellTyped = true): HostileObject {
  return {
    kind: 'Service', object: svc, namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '', what,
    outcome: { kind: 'skipped', fields }, wellTyped, rejectedByApiServer: rejected,
  };
}

function programmed(svc: V1Service, what: string, virtualServers: string[], rejected = false): HostileObject {
  return {
    kind: 'Service', object: svc, namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '', what,
    outcome: { kind: 'programmed', virtualServers }, wellTyped: true, rejectedByApiServer: rejected,
  };
}

function ignored(svc: V1Service, what: string, rejected: boolean): HostileObject {
  return {
    kind: 'Service', object: svc, namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '', what,
    outcome: { kind: 'ignored' }, wellTyped: true, rejectedByApiServer: rejected,
  };
}

// ---- Services: each maker returns one object with one kind of flaw (or one extreme) ----

const SERVICE_MAKERS: readonly (readonly [string, Make, { wellTyped?: boolean }?])[] = [
  ['bad cluster IP', (c) => {
    const n = next(c);
    const bad = c.r.pick(BAD_IPS);
    return skipped(service(c, n.name, clusterIPSpec(bad, [tcp(80)])), `cluster IP ${JSON.stringify(bad)}`, ['spec.clusterIPs[0]']);
  }],
  ['two cluster IPs of one family', (c) => {
    const n = next(c);
    const spec = { ...clusterIPSpec(n.clusterIP, [tcp(80)]), clusterIPs: [n.clusterIP, ip4((10 << 8) | 98, n.i + 1)] };
    return skipped(service(c, n.name, spec), 'two IPv4 cluster IPs', ['spec.clusterIPs[1]']);
  }],
  ['bad secondary cluster IP', (c) => {
    const n = next(c);
    const spec = { ...clusterIPSpec(n.clusterIP, [tcp(80)]), clusterIPs: [n.clusterIP, c.r.pick(BAD_IPS)] };
    return skipped(service(c, n.name, spec), 'bad second cluster IP', ['spec.clusterIPs[1]']);
  }],
  ['port out of range', (c) => {
    const n = next(c);
    const bad = c.r.pick(BAD_PORTS);
    const spec = clusterIPSpec(n.clusterIP, [tcp(80, 'a'), tcp(bad, 'b')]);
    return skipped(service(c, n.name, spec), `port ${String(bad)}`, ['spec.ports[1].port']);
  }],
  ['port of the wrong type', (c) => {
    const n = next(c);
    const bad = c.r.pick(WRONGLY_TYPED_PORTS);
    return skipped(service(c, n.name, clusterIPSpec(n.clusterIP, [tcp(bad)])), `port ${JSON.stringify(bad)}`, ['spec.ports[0].port'], true, false);
  }, { wellTyped: false }],
  ['node port out of range', (c) => {
    const n = next(c);
    const bad = c.r.pick([65536, -1, 1.5, 100000]);
    const spec = { ...clusterIPSpec(n.clusterIP, [tcp(80, '', { nodePort: bad })]), type: 'NodePort', externalTrafficPolicy: 'Cluster' };
    return skipped(service(c, n.name, spec), `node port ${bad}`, ['spec.ports[0].nodePort']);
  }],
  ['unknown protocol', (c) => {
    const n = next(c);
    const bad = c.r.pick(BAD_PROTOCOLS);
    const spec = clusterIPSpec(n.clusterIP, [tcp(80, 'a'), { name: 'b', protocol: bad, port: 81 }]);
    return skipped(service(c, n.name, spec), `protocol ${JSON.stringify(bad)}`, ['spec.ports[1].protocol']);
  }],
  ['duplicate port', (c) => {
    const n = next(c);
    const spec = clusterIPSpec(n.clusterIP, [tcp(80, 'a'), tcp(81, 'b'), tcp(80, 'c')]);
    return skipped(service(c, n.name, spec), 'port 80/TCP twice', ['spec.ports[2].port']);
  }],
  ['duplicate port name', (c) => {
    const n = next(c);
    const spec = clusterIPSpec(n.clusterIP, [tcp(80, 'a'), tcp(81, 'a')]);
    return skipped(service(c, n.name, spec), 'port name "a" twice', ['spec.ports[1].name']);
  }],
  ['unknown type', (c) => {
    const n = next(c);
    const bad = c.r.pick(['Foo', 'clusterip', 'NodePorts', '', 'constructor']);
    // "" is defaulted to ClusterIP by neither the API server (it refuses it) nor us: reported.
    return skipped(service(c, n.name, { ...clusterIPSpec(n.clusterIP, [tcp(80)]), type: bad }), `type ${JSON.stringify(bad)}`, ['spec.type']);
  }],
  ['session affinity timeout out of range', (c) => {
    const n = next(c);
    const bad = c.r.pick([0, -1, 86401, 1.5, 1e12]);
    const spec = clusterIPSpec(n.clusterIP, [tcp(80)], { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: bad } } });
    return skipped(service(c, n.name, spec), `affinity timeout ${bad}`, ['spec.sessionAffinityConfig.clientIP.timeoutSeconds']);
  }],
  ['health check node port out of range', (c) => {
    const n = next(c);
    const bad = c.r.pick([65536, -1, 2.5]);
    const spec = {
      ...clusterIPSpec(n.clusterIP, [tcp(80, '', { nodePort: n.nodePort })]),
      type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: bad,
    };
    return skipped(service(c, n.name, spec), `healthCheckNodePort ${bad}`, ['spec.healthCheckNodePort']);
  }],
  ['unknown scheduler annotation', (c) => {
    const n = next(c);
    const bad = c.r.pick(['roundrobin', 'RR', '', 'x'.repeat(10_000), 'rr;rm -rf /', 'constructor']);
    const svc = service(c, n.name, clusterIPSpec(n.clusterIP, [tcp(80)]), { annotations: { 'ipvs-proxier.io/scheduler': bad } });
    // An empty annotation is not "rr": it names no scheduler, like any other unknown one.
    return skipped(svc, `scheduler ${JSON.stringify(bad.slice(0, 20))}`, ['metadata.annotations[ipvs-proxier.io/scheduler]'], false);
  }],
  ['unknown or mismatched flags annotation', (c) => {
    const n = next(c);
    const bad = c.r.pick(['persistent', 'sh-port', 'bogus', 'one-packet,,nope']);
    const svc = service(c, n.name, clusterIPSpec(n.clusterIP, [tcp(80)]), { annotations: { 'ipvs-proxier.io/flags': bad } });
    return skipped(svc, `flags ${JSON.stringify(bad)}`, ['metadata.annotations[ipvs-proxier.io/flags]'], false);
  }],
  ['bad external IP', (c) => {
    const n = next(c);
    const bad = c.r.pick(BAD_IPS);
    const spec = clusterIPSpec(n.clusterIP, [tcp(80)], { externalIPs: [n.externalIP, bad] });
    return skipped(service(c, n.name, spec), `external IP ${JSON.stringify(bad)}`, ['spec.externalIPs[1]']);
  }],
  ['special external IP', (c) => {
    const n = next(c);
    const [special, refused] = c.r.pick(SPECIAL_IPS);
    const spec = clusterIPSpec(n.clusterIP, [tcp(80)], { externalIPs: [n.externalIP, special] });
    return skipped(service(c, n.name, spec), `external IP ${special}`, ['spec.externalIPs[1]'], refused);
  }],
  ['special load balancer IP', (c) => {
    const n = next(c);
    const [special] = c.r.pick(SPECIAL_IPS);
    const spec = { ...clusterIPSpec(n.clusterIP, [tcp(80, '', { nodePort: n.nodePort })]), type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' };
    // Status IPs are checked for syntax only: a load balancer controller can write any of these.
    return skipped(service(c, n.name, spec, { status: { loadBalancer: { ingress: [{ ip: special }] } } }), `ingress IP ${special}`, ['status.loadBalancer.ingress[0].ip'], false);
  }],
  ['bad source range', (c) => {
    const n = next(c);
    const bad = c.r.pick(['10.0.0.0/33', '10.0.0.0', 'banana/8', '10.0.0.0/-1', '10.0.0.0/ 8', 'fd00::/129', '']);
    const spec = {
      ...clusterIPSpec(n.clusterIP, [tcp(80, '', { nodePort: n.nodePort })]),
      type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', loadBalancerSourceRanges: ['10.0.0.0/8', bad],
    };
    return skipped(service(c, n.name, spec), `source range ${JSON.stringify(bad)}`, ['spec.loadBalancerSourceRanges[1]']);
  }],
  ['bad load balancer ingress IP', (c) => {
    const n = next(c);
    const bad = c.r.pick(BAD_IPS.filter((b) => b !== ''));
    const spec = { ...clusterIPSpec(n.clusterIP, [tcp(80, '', { nodePort: n.nodePort })]), type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' };
    const svc = service(c, n.name, spec, { status: { loadBalancer: { ingress: [{ hostname: 'lb.example' }, { ip: bad }] } } });
    // Status is not validated as strictly as spec: a controller writes it.
    return skipped(svc, `ingress IP ${JSON.stringify(bad)}`, ['status.loadBalancer.ingress[1].ip'], false);
  }],
  ['cluster IP of a family the node does not serve', (c) => {
    const n = next(c);
    const ip = `fd00:97::${(n.i + 1).toString(16)}`;
    const svc = service(c, n.name, { ...clusterIPSpec(ip, [tcp(80)]), ipFamilies: ['IPv6'] });
    // Refused by a single-stack IPv4 API server; left over from a dual-stack one downgraded, say.
    return skipped(svc, 'IPv6 only', ['spec.clusterIPs']);
  }],
  ['several flaws at once', (c) => {
    const n = next(c);
    const spec = clusterIPSpec(n.clusterIP, [tcp(5, 'ok'), tcp(0, 'a'), { name: 'b', protocol: 'ICMP', port: 1 }, tcp(2, 'c', { nodePort: -1 }), tcp(3, 'ok')], {
      type: 'NodePort', externalTrafficPolicy: 'Cluster', externalIPs: ['banana'], sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
    });
    return skipped(service(c, n.name, spec, { annotations: { 'ipvs-proxier.io/scheduler': 'nope' } }), 'five flaws', [
      'metadata.annotations[ipvs-proxier.io/scheduler]', 'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
      'spec.ports[1].port', 'spec.ports[2].protocol', 'spec.ports[3].nodePort', 'spec.ports[4].name', 'spec.externalIPs[0]',
    ]);
  }],
  // ---- wrong JSON types and nulls where objects are expected (a broken server's raw watch events) ----
  ['wrongly typed fields', (c) => {
    const n = next(c);
    const cases: [string, Record<string, unknown>, string][] = [
      ['ports is a string', clusterIPSpec(n.clusterIP, '80' as unknown as unknown[]), 'spec.ports'],
      ['ports is an object', clusterIPSpec(n.clusterIP, { 0: tcp(80) } as unknown as unknown[]), 'spec.ports'],
      ['a port is null', clusterIPSpec(n.clusterIP, [null]), 'spec.ports[0]'],
      ['a port is a number', clusterIPSpec(n.clusterIP, [80]), 'spec.ports[0]'],
      ['clusterIPs is a string', { ...clusterIPSpec(n.clusterIP, [tcp(80)]), clusterIPs: n.clusterIP }, 'spec.clusterIPs'],
      ['clusterIPs holds a number', { ...clusterIPSpec(n.clusterIP, [tcp(80)]), clusterIPs: [167772161] }, 'spec.clusterIPs[0]'],
      ['clusterIP is a number', { type: 'ClusterIP', clusterIP: 167772161, ports: [tcp(80)] }, 'spec.clusterIPs[0]'],
      ['externalIPs is a string', clusterIPSpec(n.clusterIP, [tcp(80)], { externalIPs: n.externalIP }), 'spec.externalIPs'],
      ['externalIPs holds null', clusterIPSpec(n.clusterIP, [tcp(80)], { externalIPs: [null] }), 'spec.externalIPs[0]'],
      ['source ranges is a number', { ...clusterIPSpec(n.clusterIP, [tcp(80)]), type: 'LoadBalancer', loadBalancerSourceRanges: 8 }, 'spec.loadBalancerSourceRanges'],
      ['type is a number', { ...clusterIPSpec(n.clusterIP, [tcp(80)]), type: 3 }, 'spec.type'],
      ['affinity timeout is a string', clusterIPSpec(n.clusterIP, [tcp(80)], { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: '60' } } }), 'spec.sessionAffinityConfig.clientIP.timeoutSeconds'],
    ];
    const [what, spec, field] = c.r.pick(cases);
    return skipped(service(c, n.name, spec), what, [field], true, false);
  }, { wellTyped: false }],
  ['wrongly typed metadata or status', (c) => {
    const n = next(c);
    const good = clusterIPSpec(n.clusterIP, [tcp(80)]);
    const cases: [string, V1Service, string][] = [
      ['annotations hold a number', service(c, n.name, good, { annotations: { 'ipvs-proxier.io/scheduler': 5 } }), 'metadata.annotations[ipvs-proxier.io/scheduler]'],
      ['flags annotation is an array', service(c, n.name, good, { annotations: { 'ipvs-proxier.io/flags': ['one-packet'] } }), 'metadata.annotations[ipvs-proxier.io/flags]'],
      ['ingress is a string', service(c, n.name, { ...good, type: 'LoadBalancer' }, { status: { loadBalancer: { ingress: '1.2.3.4' } } }), 'status.loadBalancer.ingress'],
      ['an ingress is null', service(c, n.name, { ...good, type: 'LoadBalancer' }, { status: { loadBalancer: { ingress: [null] } } }), 'status.loadBalancer.ingress[0]'],
      ['an ingress IP is a number', service(c, n.name, { ...good, type: 'LoadBalancer' }, { status: { loadBalancer: { ingress: [{ ip: 1 }] } } }), 'status.loadBalancer.ingress[0].ip'],
      ['name is a number', { ...service(c, n.name, good), metadata: { namespace: HOSTILE_NAMESPACE, name: 7 as unknown as string } }, 'metadata'],
    ];
    const [what, svc, field] = c.r.pick(cases);
    const out = skipped(svc, what, [field], true, false);
    // A Service without a usable name is reported under the empty name (it has no other identity).
    if (what === 'name is a number') return { ...out, name: '' };
    return out;
  }, { wellTyped: false }],
  ['spec or metadata missing or null', (c) => {
    const n = next(c);
    const cases: [string, V1Service, Outcome][] = [
      ['no spec', { apiVersion: 'v1', kind: 'Service', metadata: { namespace: HOSTILE_NAMESPACE, name: n.name } } as V1Service, { kind: 'ignored' }],
      ['spec null', { apiVersion: 'v1', kind: 'Service', metadata: { namespace: HOSTILE_NAMESPACE, name: n.name }, spec: null } as unknown as V1Service, { kind: 'ignored' }],
      ['ports null', service(c, n.name, clusterIPSpec(n.clusterIP, null as unknown as unknown[])), { kind: 'programmed', virtualServers: [] }],
      ['no namespace', { apiVersion: 'v1', kind: 'Service', metadata: { name: n.name }, spec: clusterIPSpec(n.clusterIP, [tcp(80)]) } as V1Service, { kind: 'skipped', fields: ['metadata'] }],
      ['metadata null', { apiVersion: 'v1', kind: 'Service', metadata: null, spec: clusterIPSpec(n.clusterIP, [tcp(80)]) } as unknown as V1Service, { kind: 'skipped', fields: ['metadata'] }],
    ];
    const [what, svc, outcome] = c.r.pick(cases);
    const meta = (svc.metadata ?? {}) as { namespace?: string; name?: string };
    return { kind: 'Service', object: svc, namespace: meta.namespace ?? '', name: meta.name ?? '', what, outcome, wellTyped: what !== 'spec null' && what !== 'metadata null', rejectedByApiServer: true };
  }],
  // ---- left out by design ----
  ['headless or ExternalName with garbage', (c) => {
    const n = next(c);
    const headless = c.r.bool();
    const spec = headless
      ? { type: 'NodePort', clusterIP: 'None', clusterIPs: ['None'], ports: [tcp(0, '', { protocol: 'ICMP', nodePort: 99999 })] }
      : { type: 'ExternalName', externalName: 'example.com', clusterIP: 'banana', ports: [tcp(-1)] };
    return ignored(service(c, n.name, spec), headless ? 'headless NodePort with bad ports' : 'ExternalName with bad cluster IP and port', true);
  }],
  // ---- valid but extreme ----
  ['many ports', (c) => {
    const n = next(c);
    const count = c.o.maxPorts;
    const ports = Array.from({ length: count }, (_, i) => tcp(1000 + i, `p${i}`));
    return programmed(service(c, n.name, clusterIPSpec(n.clusterIP, ports)), `${count} ports`,
      Array.from({ length: count }, (_, i) => vsKey('TCP', n.clusterIP, 1000 + i)));
  }],
  ['huge annotations', (c) => {
    const n = next(c);
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 16; i++) annotations[`example.com/blob-${i}`] = 'x'.repeat(16 * 1024 - 1);
    annotations['ipvs-proxier.io/scheduler'] = ' wrr '; // padded: trimmed, a known scheduler
    return programmed(service(c, n.name, clusterIPSpec(n.clusterIP, [tcp(80)]), { annotations }), '256 KiB of annotations', [vsKey('TCP', n.clusterIP, 80)]);
  }],
  ['unicode names', (c) => {
    const n = next(c);
    const name = `${c.r.pick(UNICODE_NAMES)}-${n.i}`;
    const namespace = c.r.pick(UNICODE_NAMES);
    // Not a DNS label: a real API server refuses it; nothing in the kernel carries names, so it programs.
    return programmed(service(c, name, clusterIPSpec(n.clusterIP, [tcp(80)]), { namespace }), `name ${JSON.stringify(namespace)}/${JSON.stringify(name)}`, [vsKey('TCP', n.clusterIP, 80)], true);
  }],
  ['ETP Local without health check node port', (c) => {
    const n = next(c);
    const spec = { ...clusterIPSpec(n.clusterIP, [tcp(80, '', { nodePort: n.nodePort })]), type: 'LoadBalancer', externalTrafficPolicy: 'Local' };
    return programmed(service(c, n.name, spec), 'LoadBalancer, Local, no healthCheckNodePort', [vsKey('TCP', n.clusterIP, 80)], true);
  }],
  ['TCP, UDP and SCTP ports and a garbage creation time', (c) => {
    const n = next(c);
    const svc = service(c, n.name, clusterIPSpec(n.clusterIP, [tcp(53, 'dns-tcp'), { name: 'dns', protocol: 'UDP', port: 53 }, { name: 's', protocol: 'SCTP', port: 9 }]));
    (svc.metadata as Record<string, unknown>)['creationTimestamp'] = c.r.pick(['yesterday', '', '9999-99-99T99:99:99Z']);
    return programmed(svc, 'TCP+UDP+SCTP, unparseable creationTimestamp', [vsKey('TCP', n.clusterIP, 53), vsKey('UDP', n.clusterIP, 53), vsKey('SCTP', n.clusterIP, 9)], true);
  }],
  ['IPv4-mapped IPv6 cluster IP', (c) => {
    const n = next(c);
    // Go's net.ParseIP reads it as IPv4 and older API servers stored it; no rule says what a proxy must do.
    const svc = service(c, n.name, clusterIPSpec(`::ffff:${n.clusterIP}`, [tcp(80)]));
    return { kind: 'Service', object: svc, namespace: HOSTILE_NAMESPACE, name: n.name, what: 'IPv4-mapped cluster IP', outcome: { kind: 'unspecified' }, wellTyped: true, rejectedByApiServer: true };
  }],
  // ---- conflicts with good Services (newer, so they lose the contested address) ----
  ['conflicting cluster IP:port', (c) => {
    const n = next(c);
    const good = c.r.pick(c.o.claimable);
    // A second port of its own on the contested IP (unique, so it conflicts with nobody) is programmed.
    const spec = clusterIPSpec(good.clusterIP, [{ name: 'x', protocol: good.protocol, port: good.port }, tcp(10_000 + n.i, 'y')]);
    return {
      kind: 'Service', object: service(c, n.name, spec), namespace: HOSTILE_NAMESPACE, name: n.name, what: `claims ${good.owner}'s ${good.clusterIP}:${good.port}`,
      outcome: { kind: 'conflict', fields: ['spec.clusterIPs'], owner: good.owner }, wellTyped: true, rejectedByApiServer: true,
    };
  }],
  ['external IP claiming a good cluster IP:port', (c) => {
    const n = next(c);
    const good = c.r.pick(c.o.claimable);
    const spec = clusterIPSpec(n.clusterIP, [{ protocol: good.protocol, port: good.port, targetPort: 8080 }], { externalIPs: [good.clusterIP] });
    return {
      kind: 'Service', object: service(c, n.name, spec), namespace: HOSTILE_NAMESPACE, name: n.name, what: `external IP = ${good.owner}'s cluster IP`,
      // The API server allows any external IP (it is the cluster admin's job to police them).
      outcome: { kind: 'conflict', fields: ['spec.externalIPs'], owner: good.owner }, wellTyped: true, rejectedByApiServer: false,
    };
  }],
  ['conflicting node port', (c) => {
    const n = next(c);
    const withNodePort = c.o.claimable.filter((g) => g.nodePort !== 0);
    if (withNodePort.length === 0) return SERVICE_MAKERS[0]![1](c);
    const good = c.r.pick(withNodePort);
    const spec = { ...clusterIPSpec(n.clusterIP, [{ protocol: good.protocol, port: 80, targetPort: 8080, nodePort: good.nodePort }]), type: 'NodePort', externalTrafficPolicy: 'Cluster' };
    return {
      kind: 'Service', object: service(c, n.name, spec), namespace: HOSTILE_NAMESPACE, name: n.name, what: `claims ${good.owner}'s node port ${good.nodePort}`,
      outcome: { kind: 'conflict', fields: ['spec.ports.nodePort'], owner: good.owner }, wellTyped: true, rejectedByApiServer: true,
    };
  }],
];

// ---- EndpointSlices ----

function slice(name: string, service: string | undefined, addressType: unknown, ports: unknown, endpoints: unknown, namespace = HOSTILE_NAMESPACE): V1EndpointSlice {
  const metadata: Record<string, unknown> = { namespace, name };
  if (service !== undefined) metadata['labels'] = { [SERVICE_NAME_LABEL]: service };
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata, addressType, ports, endpoints } as V1EndpointSlice;
}

function ep(ip: unknown, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { addresses: [ip], conditions: { ready: true }, nodeName: 'node-1', ...more };
}

function podIP(i: number): string {
  return ip4((10 << 8) | 245, i + 2);
}

function sliceParts(s: V1EndpointSlice, what: string, ns: string, service: string, fields: string[], rejected = true, wellTyped = true): HostileObject {
  return {
    kind: 'EndpointSlice', object: s, namespace: ns, name: s.metadata?.name ?? '', what,
    outcome: { kind: 'slice-parts-skipped', service: `${ns}/${service}`, fields }, wellTyped, rejectedByApiServer: rejected,
  };
}

const SLICE_MAKERS: readonly (readonly [string, Make, { wellTyped?: boolean }?])[] = [
  ['bad and mixed-family addresses', (c) => {
    const n = next(c);
    const bad = c.r.pick([...BAD_IPS, 'fd00::5', '::ffff:10.245.0.1']);
    const s = slice(`${n.name}-s`, n.name, 'IPv4', [{ name: '', protocol: 'TCP', port: 8080 }], [ep(podIP(1)), ep(bad), ep(podIP(2))]);
    return sliceParts(s, `address ${JSON.stringify(bad)} in an IPv4 slice`, HOSTILE_NAMESPACE, n.name, [`EndpointSlice ${n.name}-s endpoints[1].addresses[0]`]);
  }],
  ['special endpoint addresses', (c) => {
    const n = next(c);
    const [special, refused] = c.r.pick(SPECIAL_IPS);
    const s = slice(`${n.name}-x`, n.name, 'IPv4', [{ name: '', protocol: 'TCP', port: 8080 }], [ep(podIP(1)), ep(special)]);
    return sliceParts(s, `endpoint ${special}`, HOSTILE_NAMESPACE, n.name, [`EndpointSlice ${n.name}-x endpoints[1].addresses[0]`], refused);
  }],
  ['garbage slice labelled with a good Service', (c) => {
    const n = next(c);
    const [ns, svc] = c.r.pick(c.o.goodServices).split('/') as [string, string];
    const s = slice(`${n.name}-g`, svc, 'IPv4', [{ name: 'http', protocol: 'TCP', port: 8080 }], [ep('fd00::1'), ep('10.245.0.999')], ns);
    return sliceParts(s, `bad addresses for good ${ns}/${svc}`, ns, svc,
      [`EndpointSlice ${n.name}-g endpoints[0].addresses[0]`, `EndpointSlice ${n.name}-g endpoints[1].addresses[0]`]);
  }],
  ['unknown address type', (c) => {
    const n = next(c);
    const bad = c.r.pick(['IPv5', 'ipv4', '', 'constructor', 'toString']);
    const s = slice(`${n.name}-t`, n.name, bad, [{ name: '', protocol: 'TCP', port: 8080 }], [ep(podIP(1))]);
    return sliceParts(s, `addressType ${JSON.stringify(bad)}`, HOSTILE_NAMESPACE, n.name, [`EndpointSlice ${n.name}-t addressType`]);
  }],
  ['slice port out of range or unknown protocol', (c) => {
    const n = next(c);
    const badPort = c.r.bool();
    const port = badPort ? { name: 'b', protocol: 'TCP', port: c.r.pick([65536, -1, 1.5, 1e6]) } : { name: 'b', protocol: c.r.pick(BAD_PROTOCOLS), port: 81 };
    const s = slice(`${n.name}-p`, n.name, 'IPv4', [{ name: 'a', protocol: 'TCP', port: 80 }, port], [ep(podIP(1))]);
    return sliceParts(s, `slice port ${JSON.stringify(port)}`, HOSTILE_NAMESPACE, n.name, [`EndpointSlice ${n.name}-p ports[1].${badPort ? 'port' : 'protocol'}`]);
  }],
  ['wrongly typed slice parts', (c) => {
    const n = next(c);
    const name = `${n.name}-w`;
    const cases: [string, unknown, unknown, string][] = [
      ['endpoints is a string', [{ port: 80 }], 'x', 'endpoints'],
      ['endpoints is an object', [{ port: 80 }], { 0: ep(podIP(1)) }, 'endpoints'],
      ['an endpoint is null', [{ port: 80 }], [null], 'endpoints[0]'],
      ['addresses is a string', [{ port: 80 }], [{ addresses: podIP(1) }], 'endpoints[0].addresses'],
      ['an address is a number', [{ port: 80 }], [{ addresses: [167772161] }], 'endpoints[0].addresses[0]'],
      ['ports is a number', 80, [ep(podIP(1))], 'ports'],
      ['a port is null', [null], [ep(podIP(1))], 'ports[0]'],
      ['a port number is a string', [{ port: '80' }], [ep(podIP(1))], 'ports[0].port'],
    ];
    // Oddities with no defined report: the endpoint is usable or not, but nothing may crash.
    const odd: [string, unknown][] = [
      ['hints.forZones is a string', [ep(podIP(1), { hints: { forZones: 'zone-a', forNodes: 7 } })]],
      ['conditions is a string', [ep(podIP(1), { conditions: 'ready' })]],
      ['ready is a string', [ep(podIP(1), { conditions: { ready: 'false', terminating: 'yes' } })]],
      ['nodeName is an object', [ep(podIP(1), { nodeName: { name: 'node-1' } })]],
    ];
    if (c.r.int(cases.length + odd.length) >= cases.length) {
      const [what, endpoints] = c.r.pick(odd);
      return { ...sliceParts(slice(name, n.name, 'IPv4', [{ port: 80 }], endpoints), what, HOSTILE_NAMESPACE, n.name, [], true, false), outcome: { kind: 'unspecified' } };
    }
    const [what, ports, endpoints, field] = c.r.pick(cases);
    return sliceParts(slice(name, n.name, 'IPv4', ports, endpoints), what, HOSTILE_NAMESPACE, n.name, [`EndpointSlice ${name} ${field}`], true, false);
  }, { wellTyped: false }],
  ['many endpoints', (c) => {
    const n = next(c);
    const count = c.o.maxEndpoints;
    const endpoints = Array.from({ length: count }, (_, i) => ep(ip4((10 << 8) | 246, i + 1), { nodeName: `node-${i % 50}` }));
    const svc = service(c, n.name, clusterIPSpec(n.clusterIP, [tcp(80)]));
    const s = slice(`${n.name}-many`, n.name, 'IPv4', [{ name: '', protocol: 'TCP', port: 8080 }], endpoints);
    // Returned as the slice; its Service is added by generateHostile (see `companions`).
    return {
      kind: 'EndpointSlice', object: s, namespace: HOSTILE_NAMESPACE, name: `${n.name}-many`, what: `${count} endpoints in one slice`,
      outcome: { kind: 'programmed', virtualServers: [vsKey('TCP', n.clusterIP, 80)] }, wellTyped: true, rejectedByApiServer: count > 1000,
      companion: programmed(svc, `Service of the ${count}-endpoint slice`, [vsKey('TCP', n.clusterIP, 80)]),
    } as HostileObject & { companion: HostileObject };
  }],
  ['ignored slices', (c) => {
    const n = next(c);
    const fqdn = c.r.bool();
    const s = fqdn
      ? slice(`${n.name}-f`, n.name, 'FQDN', [{ port: 80 }], [ep('not.an.ip')])
      : slice(`${n.name}-u`, undefined, 'IPv4', [{ port: 80 }], [ep('banana')]);
    return {
      kind: 'EndpointSlice', object: s, namespace: HOSTILE_NAMESPACE, name: s.metadata?.name ?? '', what: fqdn ? 'FQDN slice' : 'slice without a Service label',
      outcome: { kind: 'ignored' }, wellTyped: true, rejectedByApiServer: !fqdn,
    };
  }],
];

/**
 * `count` hostile objects from `seed` (plus the Services some slices need). The extreme cases (many ports,
 * many endpoints) come at most once each per 500 objects, so a few thousand objects stay cheap to build.
 */
export function generateHostile(opts: GeneratorOptions): HostileObject[] {
  const c: Ctx = {
    r: seededRandom(opts.seed),
    seq: 0,
    o: {
      seed: opts.seed, count: opts.count, claimable: opts.claimable, goodServices: opts.goodServices,
      wellTypedOnly: opts.wellTypedOnly ?? false, maxPorts: opts.maxPorts ?? 1000, maxEndpoints: opts.maxEndpoints ?? 10_000,
      created: opts.created ?? '2030-01-01T00:00:00Z',
    },
  };
  const makers = [...SERVICE_MAKERS, ...SLICE_MAKERS]
    .filter(([, , o]) => !c.o.wellTypedOnly || o?.wellTyped !== false)
    .filter(([what]) => what !== 'conflicting node port' || opts.claimable.some((g) => g.nodePort !== 0))
    .filter(([what]) => opts.claimable.length > 0 || !/conflict|claiming/.test(what))
    .filter(([what]) => opts.goodServices.length > 0 || what !== 'garbage slice labelled with a good Service');
  const extreme = new Set(['many ports', 'many endpoints']);
  const out: HostileObject[] = [];
  // Every kind once first (so even a small count covers them all), then at random.
  for (let i = 0; out.length < opts.count; i++) {
    const [what, make] = i < makers.length ? makers[i]! : c.r.pick(makers);
    if (i >= makers.length && extreme.has(what) && c.r.int(500) !== 0) continue;
    let made = make(c);
    if (c.o.wellTypedOnly && !made.wellTyped) continue;
    const companion = (made as HostileObject & { companion?: HostileObject }).companion;
    if (companion) {
      const { companion: _drop, ...rest } = made as HostileObject & { companion?: HostileObject };
      made = rest;
      out.push(companion);
    }
    out.push(made);
  }
  return out;
}

export function isService(h: HostileObject): h is HostileObject & { object: V1Service } {
  return h.kind === 'Service';
}

export function isEndpointSlice(h: HostileObject): h is HostileObject & { object: V1EndpointSlice } {
  return h.kind === 'EndpointSlice';
}
