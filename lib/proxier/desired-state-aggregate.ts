// The desired state kept between syncs and updated per changed Service: buildDesiredState's result, without
// walking every Service and EndpointSlice on every sync. Each Service's contribution (service-contribution.ts)
// is kept; a sync recomputes only the Services whose object or EndpointSlices changed (all of them when the
// node's configuration changed) and adds or removes their contributions:
// - set members and kube-ipvs0 addresses are reference counted (a node port's bitmap member, a shared
//   external IP): one goes when its last contributor does;
// - a virtual server claimed by several Services belongs to the oldest (then by name), as in the walk; when
//   the owner leaves, the next claimant's virtual server and members take its place.
// The lists of the state stay sorted (binary search, splice) and are copied before a change, never changed
// in place: the engine's record of the last apply shares them. Pure: no I/O, no clock.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { sameVirtualServer } from '../engine/observe-ipvs.js';
import type { StateScope } from '../engine/scope.js';
import { canonicalCidr, compareCidr, compareVirtualServers } from '../state/canonical.js';
import { compareStrings, findSorted, patchSorted } from '../state/sorted.js';
import type { Family, IpsetState, IptablesState, State, VirtualServer } from '../state/types.js';
import { hostPrefix } from './addresses.js';
import { addFamilyIptables, DUMMY_INTERFACE, emptyStats, nodeContext, serviceCreatedMs } from './desired-state.js';
import { indexEndpointSlices, SERVICE_NAME_LABEL } from './endpoints.js';
import type { LoadBalancerFrontend } from './iptables-rules.js';
import { IPSET_IDS, ipsetName, IPSETS, member, type IpsetId } from './ipsets.js';
import { lostClaimProblem, serviceContribution, type Claim, type FamilyMember, type NodeContext, type ServiceContribution } from './service-contribution.js';
import { mayHaveHealthCheck } from './health-check-ports.js';
import type { DesiredStateInput, DesiredStateResult, NodeConfig, Problem } from './types.js';

export interface AggregateChanges {
  /** Service key ("namespace/name") -> its new version; undefined: deleted. */
  services: ReadonlyMap<string, V1Service | undefined>;
  /** EndpointSlice key -> its new version; undefined: deleted. */
  endpointSlices: ReadonlyMap<string, V1EndpointSlice | undefined>;
}

export interface AggregateResult extends DesiredStateResult {
  /** What may differ from the previous result's state; undefined when everything may (the first, a node change). */
  scope?: StateScope;
}

interface Claimant {
  service: string;
  claim: Claim;
}

/** What one update touched, as the scope it reports. */
interface Touched {
  virtualServers: Set<string>;
  ipsetMembers: Map<string, Set<string>>;
  addresses: Set<string>;
}

export class DesiredStateAggregate {
  private nodeKey: string | undefined;
  private ctx: NodeContext | undefined;
  private nodeProblems: Problem[] = [];
  private readonly services = new Map<string, V1Service>();
  private readonly created = new Map<string, number>();
  /** Services that may need a health check node port (health-check-ports.ts). */
  private readonly healthChecked = new Set<string>();
  private readonly slices = new Map<string, V1EndpointSlice>();
  /** Service key -> keys of the slices labelled with it. */
  private readonly slicesOf = new Map<string, Set<string>>();
  private readonly sliceProblems = new Map<string, Problem[]>();
  private readonly contributions = new Map<string, ServiceContribution>();

  /** Virtual server key -> the Services claiming it, oldest first: the first owns it. */
  private claimants = new Map<string, Claimant[]>();
  /** Keys with more than one claimant. */
  private contested = new Set<string>();
  /** Set name -> member -> contributors. */
  private memberCounts = new Map<string, Map<string, number>>();
  /** "10.96.0.10/32" -> claims binding it. */
  private addressCounts = new Map<string, number>();
  /** Services with a load-balancer frontend the node may not reach, and skipped ones: few, sorted when used. */
  private lbServices = new Set<string>();
  private skipped = new Set<string>();
  private counts = { ignored: 0, servicePorts: 0, realServers: 0, noLocal: { internal: { inet: 0, inet6: 0 }, external: { inet: 0, inet6: 0 } } };

  // The state as last returned, its lists sorted.
  private virtualServers: VirtualServer[] = [];
  private owned = new Map<string, VirtualServer>();
  private ipsets = new Map<string, IpsetState>();
  private addresses: string[] = [];
  private touched: Touched = newTouched();

  /** Takes the changes since the last update and the node's configuration now; returns the desired state. */
  update(changes: AggregateChanges, config: NodeConfig): AggregateResult {
    const dirty = new Set<string>();
    for (const [key, svc] of changes.services) {
      dirty.add(key);
      this.healthChecked.delete(key);
      if (svc === undefined) {
        this.services.delete(key);
        this.created.delete(key);
      } else {
        this.services.set(key, svc);
        this.created.set(key, serviceCreatedMs(svc));
        if (mayHaveHealthCheck(svc)) this.healthChecked.add(key);
      }
    }
    const nodeKey = JSON.stringify(config);
    const full = nodeKey !== this.nodeKey;
    for (const [key, slice] of changes.endpointSlices) {
      const old = this.slices.get(key);
      if (old) {
        const service = sliceService(old);
        dirty.add(service);
        this.slicesOf.get(service)?.delete(key);
        if (this.slicesOf.get(service)?.size === 0) this.slicesOf.delete(service);
        this.slices.delete(key);
        this.sliceProblems.delete(key);
      }
      if (slice) {
        const service = sliceService(slice);
        dirty.add(service);
        this.slices.set(key, slice);
        let keys = this.slicesOf.get(service);
        if (!keys) this.slicesOf.set(service, (keys = new Set()));
        keys.add(key);
        if (!full) this.setSliceProblems(key, slice, config.nodeName);
      }
    }
    if (full) return this.rebuild(config, nodeKey);

    this.touched = newTouched();
    for (const key of dirty) {
      this.remove(key);
      if (this.services.has(key)) this.add(key);
    }
    const scope = this.applyTouched();
    return { ...this.result(), scope };
  }

  /**
   * The input of healthCheckPorts with only the Services that may need a health check and their slices:
   * the same answer, without a filter over every Service on every sync.
   */
  healthCheckInput(): DesiredStateInput {
    const services = [...this.healthChecked].map((key) => this.services.get(key)!);
    const endpointSlices = [...this.healthChecked].flatMap((key) => [...(this.slicesOf.get(key) ?? [])].map((k) => this.slices.get(k)!));
    return { services, endpointSlices, node: this.ctx!.config };
  }

  // ---- Whole rebuild (first update, node configuration changed) ----

  private rebuild(config: NodeConfig, nodeKey: string): AggregateResult {
    this.nodeKey = nodeKey;
    this.nodeProblems = [];
    this.ctx = nodeContext(config, this.nodeProblems);
    this.contributions.clear();
    this.claimants = new Map();
    this.contested = new Set();
    this.memberCounts = new Map();
    this.addressCounts = new Map();
    this.lbServices = new Set();
    this.skipped = new Set();
    this.counts = { ignored: 0, servicePorts: 0, realServers: 0, noLocal: { internal: { inet: 0, inet6: 0 }, external: { inet: 0, inet6: 0 } } };
    this.sliceProblems.clear();
    for (const [key, slice] of this.slices) this.setSliceProblems(key, slice, config.nodeName);
    this.touched = newTouched();
    for (const key of this.services.keys()) this.add(key);

    // Every list sorted from scratch, not spliced 110,000 times.
    this.owned = new Map();
    for (const [key, list] of this.claimants) this.owned.set(key, list[0]!.claim.vs);
    this.virtualServers = [...this.owned.values()].sort(compareVirtualServers);
    this.counts.realServers = this.virtualServers.reduce((n, vs) => n + vs.realServers.length, 0);
    this.ipsets = new Map();
    for (const family of this.ctx.families) {
      for (const id of IPSET_IDS) {
        const name = ipsetName(id, family);
        this.ipsets.set(name, ipsetOf(id, family, [...(this.memberCounts.get(name)?.keys() ?? [])].sort()));
      }
    }
    this.addresses = [...this.addressCounts.keys()].sort(compareCidr);
    this.touched = newTouched();
    return this.result();
  }

  // ---- One Service in or out ----

  private add(key: string): void {
    const ctx = this.ctx!;
    const slices = [...(this.slicesOf.get(key) ?? [])].map((k) => this.slices.get(k)!);
    const endpoints = indexEndpointSlices(slices, ctx.config.nodeName).byServicePort;
    const c = serviceContribution(this.services.get(key)!, endpoints, ctx);
    this.contributions.set(key, c);
    this.count(c, 1);
    if (c.kind === 'problem') this.skipped.add(key);
    for (const m of c.members) this.addMember(m, 1);
    for (const claim of c.claims) {
      if (claim.repeat) continue;
      if (claim.lbNoNodeAccess) this.lbServices.add(key);
      this.touched.virtualServers.add(claim.key);
      let list = this.claimants.get(claim.key);
      if (!list) this.claimants.set(claim.key, (list = []));
      const at = list.findIndex((x) => this.older(key, x.service));
      const pos = at < 0 ? list.length : at;
      if (pos === 0) {
        if (list.length > 0) this.own(list[0]!.claim, -1);
        this.own(claim, 1);
      }
      list.splice(pos, 0, { service: key, claim });
      if (list.length > 1) this.contested.add(claim.key);
    }
  }

  private remove(key: string): void {
    const c = this.contributions.get(key);
    if (!c) return;
    this.contributions.delete(key);
    this.count(c, -1);
    this.skipped.delete(key);
    this.lbServices.delete(key);
    for (const m of c.members) this.addMember(m, -1);
    for (const claim of c.claims) {
      if (claim.repeat) continue;
      this.touched.virtualServers.add(claim.key);
      const list = this.claimants.get(claim.key)!;
      const at = list.findIndex((x) => x.service === key);
      list.splice(at, 1);
      if (at === 0) {
        this.own(claim, -1);
        if (list.length > 0) this.own(list[0]!.claim, 1);
      }
      if (list.length === 0) this.claimants.delete(claim.key);
      if (list.length < 2) this.contested.delete(claim.key);
    }
  }

  /** Whether Service `a` comes before `b` in the walk's order (oldest, then by key). */
  private older(a: string, b: string): boolean {
    const d = this.created.get(a)! - this.created.get(b)!;
    return d < 0 || (d === 0 && a < b);
  }

  private count(c: ServiceContribution, n: 1 | -1): void {
    if (c.kind === 'ignored') this.counts.ignored += n;
    this.counts.servicePorts += n * c.servicePorts;
    for (const f of c.noLocal.internal) this.counts.noLocal.internal[f] += n;
    for (const f of c.noLocal.external) this.counts.noLocal.external[f] += n;
  }

  /** What owning a virtual server brings along: its bound address and set members. */
  private own(claim: Claim, n: 1 | -1): void {
    if (claim.bind !== undefined) {
      this.addMember({ family: claim.family, id: 'ipvsIPs', member: member.ip(claim.bind) }, n);
      const address = canonicalCidr(`${claim.bind}/${hostPrefix(claim.family)}`);
      const count = (this.addressCounts.get(address) ?? 0) + n;
      if (count === 0) this.addressCounts.delete(address);
      else this.addressCounts.set(address, count);
      this.touched.addresses.add(address);
    }
    for (const m of claim.members) this.addMember(m, n);
  }

  private addMember(m: FamilyMember, n: 1 | -1): void {
    const name = ipsetName(m.id, m.family);
    let counts = this.memberCounts.get(name);
    if (!counts) this.memberCounts.set(name, (counts = new Map()));
    const count = (counts.get(m.member) ?? 0) + n;
    if (count === 0) counts.delete(m.member);
    else counts.set(m.member, count);
    let touched = this.touched.ipsetMembers.get(name);
    if (!touched) this.touched.ipsetMembers.set(name, (touched = new Set()));
    touched.add(m.member);
  }

  private setSliceProblems(key: string, slice: V1EndpointSlice, nodeName: string): void {
    const problems = indexEndpointSlices([slice], nodeName).problems;
    if (problems.length > 0) this.sliceProblems.set(key, problems);
    else this.sliceProblems.delete(key);
  }

  // ---- The sorted lists, for the keys an update touched ----

  /**
   * Puts what the recomputed Services changed into the sorted lists, and returns it as the scope: only
   * what really differs (a Service recomputed to the same objects changes nothing), and a list is copied
   * only when something in it differs.
   */
  private applyTouched(): StateScope {
    const t = this.touched;
    const scope: Touched = newTouched();
    const vsChanges: [string, VirtualServer | undefined, VirtualServer | undefined][] = [];
    for (const key of t.virtualServers) {
      const want = this.claimants.get(key)?.[0]?.claim.vs;
      const had = this.owned.get(key);
      // The same virtual server recomputed: the object handed out before stays (the record shares it).
      if (want === had || (want && had && sameVirtualServer(had, want))) continue;
      vsChanges.push([key, want, had]);
      scope.virtualServers.add(key);
    }
    if (vsChanges.length > 0) {
      for (const [key, want, had] of vsChanges) {
        this.counts.realServers += (want?.realServers.length ?? 0) - (had?.realServers.length ?? 0);
        if (want) this.owned.set(key, want);
        else this.owned.delete(key);
      }
      const changes = vsChanges.map(([, want, had]) => [(want ?? had)!, want] as const);
      this.virtualServers = patchSorted(this.virtualServers, changes, compareVirtualServers, compareVirtualServers);
    }
    for (const [name, members] of t.ipsetMembers) {
      const set = this.ipsets.get(name)!;
      const counts = this.memberCounts.get(name);
      const changed = [...members].filter((m) => (counts?.has(m) ?? false) !== inSorted(set.entries, m));
      if (changed.length === 0) continue;
      scope.ipsetMembers.set(name, new Set(changed));
      const entries = patchSorted(set.entries, changed.map((m) => [m, counts?.has(m) ? m : undefined] as const), compareStrings, compareStrings);
      this.ipsets.set(name, { ...set, entries });
    }
    const addresses = [...t.addresses].filter((a) => this.addressCounts.has(a) !== (findSorted(this.addresses, a, compareCidr) !== undefined));
    if (addresses.length > 0) {
      for (const a of addresses) scope.addresses.add(a);
      this.addresses = patchSorted(this.addresses, addresses.map((a) => [a, this.addressCounts.has(a) ? a : undefined] as const), compareCidr, compareCidr);
    }
    return scope;
  }

  // ---- The result ----

  private result(): DesiredStateResult {
    const ctx = this.ctx!;
    const problems = [...this.nodeProblems];
    // Services with problems, in the walk's order: skipped ones, and those that lost a claim.
    const withProblems = new Set(this.skipped);
    for (const key of this.contested) for (const x of this.claimants.get(key)!.slice(1)) withProblems.add(x.service);
    for (const key of this.sortByAge(withProblems)) {
      const c = this.contributions.get(key)!;
      problems.push(...c.problems);
      for (const claim of c.claims) {
        const winner = this.claimants.get(claim.key)![0]!;
        if (winner.service !== key) problems.push(lostClaimProblem(c, claim, this.contributions.get(winner.service)!.owner));
      }
    }
    for (const key of [...this.sliceProblems.keys()].sort(compareStrings)) problems.push(...this.sliceProblems.get(key)!);

    const iptables: IptablesState = {};
    const lbServices = this.sortByAge(this.lbServices);
    for (const family of ctx.families) {
      const lbNoNodeAccess: LoadBalancerFrontend[] = [];
      for (const key of lbServices) {
        for (const claim of this.contributions.get(key)!.claims) {
          if (claim.family === family && claim.lbNoNodeAccess && !claim.repeat && this.claimants.get(claim.key)![0]!.service === key) {
            lbNoNodeAccess.push(claim.lbNoNodeAccess);
          }
        }
      }
      const nonEmpty = new Set(IPSET_IDS.filter((id) => this.ipsets.get(ipsetName(id, family))!.entries.length > 0));
      addFamilyIptables(iptables, family, ctx, nonEmpty, lbNoNodeAccess);
    }

    const stats = emptyStats(this.services.size);
    stats.servicesIgnored = this.counts.ignored;
    stats.servicesSkipped = this.skipped.size;
    stats.servicePorts = this.counts.servicePorts;
    stats.virtualServers = this.virtualServers.length;
    stats.realServers = this.counts.realServers;
    stats.noLocalEndpoints = structuredClone(this.counts.noLocal);
    const ipsets = [...this.ipsets.values()].sort((a, b) => compareStrings(a.name, b.name));
    const state: State = { interface: { name: DUMMY_INTERFACE, addresses: this.addresses }, virtualServers: this.virtualServers, ipsets, iptables };
    return { state, problems, stats };
  }

  private sortByAge(keys: Iterable<string>): string[] {
    return [...keys].sort((a, b) => (a === b ? 0 : this.older(a, b) ? -1 : 1));
  }
}

function newTouched(): Touched {
  return { virtualServers: new Set(), ipsetMembers: new Map(), addresses: new Set() };
}

function inSorted(entries: readonly string[], m: string): boolean {
  return findSorted(entries, m, compareStrings) !== undefined;
}

/** "namespace/service" of the Service an EndpointSlice belongs to (by its label). */
function sliceService(slice: V1EndpointSlice): string {
  return `${slice.metadata?.namespace ?? ''}/${slice.metadata?.labels?.[SERVICE_NAME_LABEL] ?? ''}`;
}

/** ipsetStates' set, with sorted members. */
function ipsetOf(id: IpsetId, family: Family, entries: string[]): IpsetState {
  return { name: ipsetName(id, family), type: IPSETS[id].type, family: IPSETS[id].type === 'bitmap:port' ? 'inet' : family, entries };
}
