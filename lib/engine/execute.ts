// Turns a plan into kernel requests. Consecutive operations for the same backend (IPVS, ipset, link,
// iptables) go out together as one batched exchange (many messages per datagram); the plan's order
// between backends is kept. The first batch with a failure ends the run: later operations may depend on
// the failed one, and the next apply re-plans from what the kernel then holds, so it converges.
import {
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_DEST,
  IPVS_CMD_SET_SERVICE,
  delDestination,
  delService,
  newDestination,
  newService,
  setDestination,
  setService,
} from '../../native-free-netlink/ipvs/index.js';
import { addAddress, createLink, deleteAddress, deleteLink } from '../../native-free-netlink/rtnetlink/index.js';
import { syncIptables } from '../iptables/sync.js';
import type { IptablesRunner } from '../iptables/runner.js';
import { IPSET_CMD_ADD, IPSET_CMD_DEL, type IpsetClient, type IpsetRequest } from '../kernel/ipset-client.js';
import type { IpvsClient } from '../kernel/ipvs-client.js';
import { serviceKeyOf, toIpvsDestination, toIpvsService } from '../kernel/ipvs-convert.js';
import { KernelError } from '../kernel/kernel-error.js';
import type { LinkClient } from '../kernel/link-client.js';
import type { OperationFailure } from './engine-api.js';
import { LEDGER_FWM, LEDGER_FWM6, LEDGER_VS, LEDGER_VS6, ledgerSetSpec } from './ledger.js';
import type { Operation } from './operations.js';
import type { ServiceTableWrites } from './service-table-writes.js';

export interface Backends {
  ipvs: IpvsClient;
  ipset: IpsetClient;
  links: LinkClient;
  iptables: IptablesRunner;
  /** Counts our virtual server adds and deletes, for a service dump run beside them (observe-ipvs.ts). */
  serviceWrites?: ServiceTableWrites;
}

export interface ExecutionResult {
  applied: number;
  failures: OperationFailure[];
  messagesSent: number;
  iptablesRestores: number;
  /** Free text from the iptables sync (rules not in canonical form, chains kept for foreign jumps). */
  warnings: string[];
}

type Backend = 'ipvs' | 'ipset' | 'link' | 'iptables';

export function backendOf(op: Operation): Backend {
  switch (op.kind) {
    case 'vs-add':
    case 'vs-update':
    case 'vs-del':
    case 'rs-add':
    case 'rs-update':
    case 'rs-del':
      return 'ipvs';
    case 'link-create':
    case 'link-del':
    case 'address-add':
    case 'address-del':
      return 'link';
    case 'iptables-sync':
      return 'iptables';
    default:
      return 'ipset';
  }
}

/** Runs of consecutive operations for one backend. */
export function segments(ops: readonly Operation[]): { backend: Backend; ops: Operation[] }[] {
  const out: { backend: Backend; ops: Operation[] }[] = [];
  for (const op of ops) {
    const b = backendOf(op);
    const last = out[out.length - 1];
    if (last && last.backend === b) last.ops.push(op);
    else out.push({ backend: b, ops: [op] });
  }
  return out;
}

const VS_LEDGERS: ReadonlySet<string> = new Set([LEDGER_VS, LEDGER_VS6, LEDGER_FWM, LEDGER_FWM6]);

function isVsLedgerOp(op: Operation, kind: 'ledger-add' | 'ledger-del'): boolean {
  return op.kind === kind && VS_LEDGERS.has(op.set);
}

/**
 * The order operations are sent in. The planner pairs each new virtual server with its ledger entry
 * (ledger-add, vs-add, ledger-add, vs-add, ...) and each removed one the other way round; sent in that
 * order, every pair would be two exchanges with the kernel (20,000 round trips for 10,000 new services).
 * Within such a run all ledger entries go first (adds) or last (removals): each entry is still added
 * before the object it records exists and removed after it is gone, which is what OWNERSHIP.md asks, and
 * an interrupted run leaves at worst ledger entries without objects, which the next plan prunes.
 */
export function executionOrder(ops: readonly Operation[]): Operation[] {
  const out: Operation[] = [];
  let i = 0;
  while (i < ops.length) {
    const op = ops[i]!;
    const adds = op.kind === 'vs-add' || isVsLedgerOp(op, 'ledger-add');
    const dels = op.kind === 'vs-del' || isVsLedgerOp(op, 'ledger-del');
    if (!adds && !dels) {
      out.push(op);
      i++;
      continue;
    }
    const ledger: Operation[] = [];
    const ipvs: Operation[] = [];
    for (; i < ops.length; i++) {
      const o = ops[i]!;
      if (adds && isVsLedgerOp(o, 'ledger-add')) ledger.push(o);
      else if (adds && o.kind === 'vs-add') ipvs.push(o);
      else if (dels && isVsLedgerOp(o, 'ledger-del')) ledger.push(o);
      else if (dels && o.kind === 'vs-del') ipvs.push(o);
      else break;
    }
    out.push(...(adds ? [...ledger, ...ipvs] : [...ipvs, ...ledger]));
  }
  return out;
}

export async function executePlan(ops: readonly Operation[], k: Backends): Promise<ExecutionResult> {
  const result: ExecutionResult = { applied: 0, failures: [], messagesSent: 0, iptablesRestores: 0, warnings: [] };
  for (const seg of segments(executionOrder(ops))) {
    let failures: OperationFailure[];
    let notApplied: number;
    if (seg.backend === 'ipset') ({ failures, notApplied } = await runIpset(seg.ops, k, result));
    else {
      if (seg.backend === 'ipvs') failures = await runIpvs(seg.ops, k, result);
      else if (seg.backend === 'link') failures = await runLink(seg.ops, k, result);
      else failures = await runIptables(seg.ops, k, result);
      notApplied = failures.length;
    }
    result.failures.push(...failures);
    result.applied += seg.ops.length - notApplied;
    if (failures.length > 0) break;
  }
  return result;
}

/**
 * IPVS requests are built and sent this many at a time (ten datagrams of 200): all 110,000 requests of a
 * 10,000-service apply built up front held about 100 MB until the last one was sent.
 */
const IPVS_CHUNK = 2000;

async function runIpvs(ops: Operation[], k: Backends, r: ExecutionResult): Promise<OperationFailure[]> {
  // Every chunk is sent even after a failure, as one exchange would: the kernel tries each request.
  const failures: OperationFailure[] = [];
  for (let i = 0; i < ops.length; i += IPVS_CHUNK) {
    const chunk = ops.slice(i, i + IPVS_CHUNK);
    const requests = chunk.map((op) => ipvsRequest(op, k.ipvs.familyId));
    r.messagesSent += requests.length;
    const send = () => k.ipvs.send(requests);
    const changesTable = k.serviceWrites && chunk.some((op) => op.kind === 'vs-add' || op.kind === 'vs-del');
    const errors = await (changesTable ? k.serviceWrites!.during(send) : send());
    failures.push(...collect(chunk, errors.map((e) => (e ? [e] : []))));
  }
  return failures;
}

function ipvsRequest(op: Operation, id: number): Parameters<IpvsClient['send']>[0][number] {
  switch (op.kind) {
    case 'vs-add': {
      const s = toIpvsService(op.service);
      return { message: newService(id, 0, s), cmd: IPVS_CMD_NEW_SERVICE, object: { service: s } };
    }
    case 'vs-update': {
      const s = toIpvsService(op.service);
      return { message: setService(id, 0, s), cmd: IPVS_CMD_SET_SERVICE, object: { service: s } };
    }
    case 'vs-del': {
      const s = serviceKeyOf(op.service);
      return { message: delService(id, 0, s), cmd: IPVS_CMD_DEL_SERVICE, object: { service: s } };
    }
    case 'rs-add':
    case 'rs-update': {
      const s = serviceKeyOf(op.service);
      const d = toIpvsDestination(op.realServer);
      const build = op.kind === 'rs-add' ? newDestination : setDestination;
      return { message: build(id, 0, s, d), cmd: op.kind === 'rs-add' ? IPVS_CMD_NEW_DEST : IPVS_CMD_SET_DEST, object: { service: s, destination: d } };
    }
    case 'rs-del': {
      const s = serviceKeyOf(op.service);
      const d = toIpvsDestination(op.realServer);
      return { message: delDestination(id, 0, s, d), cmd: IPVS_CMD_DEL_DEST, object: { service: s, destination: d } };
    }
    default:
      throw new Error(`not an IPVS operation: ${op.kind}`);
  }
}

async function runIpset(ops: Operation[], k: Backends, r: ExecutionResult): Promise<{ failures: OperationFailure[]; notApplied: number }> {
  // Each unit (one operation, or a run of ledger entries for one set) becomes one or more requests;
  // remember which requests belong to which operations.
  const units: { ops: Operation[]; requests: IpsetRequest[] }[] = [];
  for (let i = 0; i < ops.length; ) {
    const op = ops[i]!;
    if (op.kind === 'ledger-add' || op.kind === 'ledger-del') {
      // Consecutive entries for the same ledger set travel together, many members per message as
      // `ipset restore` sends them (10,000 new services: 10,000 ledger entries in a handful of messages).
      const run: (typeof op)[] = [];
      for (; i < ops.length; i++) {
        const o = ops[i]!;
        if (o.kind !== op.kind || o.set !== op.set) break;
        run.push(o);
      }
      const spec = ledgerSetSpec(op.set);
      const requests = k.ipset.members(op.kind === 'ledger-add' ? IPSET_CMD_ADD : IPSET_CMD_DEL, op.set, spec.type, spec.family, run.map((o) => o.entry));
      // A request carries entries firstLineno.. of the run: it belongs to the operations it carries.
      for (const req of requests) {
        const from = Math.max(0, (req.firstLineno ?? 1) - 1); // a single member has lineno 0
        units.push({ ops: run.slice(from, from + (req.members?.length ?? run.length)), requests: [req] });
      }
      continue;
    }
    units.push({ ops: [op], requests: await ipsetRequests(op, k.ipset) });
    i++;
  }
  const flat = units.flatMap((u) => u.requests);
  r.messagesSent += flat.length;
  const errors = await k.ipset.send(flat);
  const failures: OperationFailure[] = [];
  let notApplied = 0;
  let i = 0;
  for (const u of units) {
    const err = errors.slice(i, i + u.requests.length).find((e): e is Error => e !== undefined);
    i += u.requests.length;
    // A failed multi-entry request is reported once, on its first operation, and none of its operations
    // counts as applied: the kernel stops at the failing member, and the next apply re-plans from what
    // it then holds.
    if (err) {
      failures.push({ operation: u.ops[0]!, error: err });
      notApplied += u.ops.length;
    }
  }
  return { failures, notApplied };
}

async function ipsetRequests(op: Operation, c: IpsetClient): Promise<IpsetRequest[]> {
  switch (op.kind) {
    case 'ledger-create': {
      const spec = ledgerSetSpec(op.set);
      return [await c.create(op.set, spec.type, spec.family, { size: spec.size })];
    }
    case 'ledger-destroy':
      return [c.destroy(op.set)];
    case 'ledger-add':
    case 'ledger-del': {
      const spec = ledgerSetSpec(op.set);
      return c.members(op.kind === 'ledger-add' ? IPSET_CMD_ADD : IPSET_CMD_DEL, op.set, spec.type, spec.family, [op.entry]);
    }
    case 'ipset-create':
      return [await c.create(op.set.name, op.set.type, op.set.family, op.set)];
    case 'ipset-add':
      return c.members(IPSET_CMD_ADD, op.name, op.type, op.family, op.entries);
    case 'ipset-del':
      return c.members(IPSET_CMD_DEL, op.name, op.type, op.family, op.entries);
    case 'ipset-destroy':
      return [c.destroy(op.name)];
    case 'ipset-swap':
      return [c.swap(op.name, op.with)];
    case 'ipset-rename':
      return [c.rename(op.from, op.to)];
    case 'ipset-flush':
      return [c.flush(op.name)];
    default:
      throw new Error(`not an ipset operation: ${op.kind}`);
  }
}

async function runLink(ops: Operation[], k: Backends, r: ExecutionResult): Promise<OperationFailure[]> {
  // Link creation and deletion change the index address operations need: send them one by one, and
  // batch the address operations between them.
  const failures: OperationFailure[] = [];
  let i = 0;
  while (i < ops.length && failures.length === 0) {
    const op = ops[i]!;
    if (op.kind === 'link-create' || op.kind === 'link-del') {
      const m = op.kind === 'link-create' ? createLink({ name: op.name, kind: 'dummy' }, 0) : deleteLink({ name: op.name }, 0);
      r.messagesSent++;
      const [err] = await k.links.send([m], () => ({ operation: op.kind === 'link-create' ? 'RTM_NEWLINK' : 'RTM_DELLINK', object: op.name }));
      if (err) failures.push({ operation: op, error: err });
      i++;
      continue;
    }
    const batch: Operation[] = [];
    while (i < ops.length && (ops[i]!.kind === 'address-add' || ops[i]!.kind === 'address-del')) batch.push(ops[i++]!);
    const name = (batch[0] as { interface: string }).interface;
    const link = await k.links.find(name);
    if (!link) {
      for (const op of batch) failures.push({ operation: op, error: new KernelError('RTM_NEWADDR', `on ${name}`, 19, 'no such interface') });
      break;
    }
    const messages = batch.map((op) => {
      const a = op as { kind: 'address-add' | 'address-del'; address: string };
      return a.kind === 'address-add' ? addAddress({ index: link.index, cidr: a.address }, 0) : deleteAddress({ index: link.index, cidr: a.address }, 0);
    });
    r.messagesSent += messages.length;
    const errors = await k.links.send(messages, (j) => {
      const a = batch[j] as { kind: string; address: string };
      return { operation: a.kind === 'address-add' ? 'RTM_NEWADDR' : 'RTM_DELADDR', object: `${a.address} on ${name}` };
    });
    failures.push(...collect(batch, errors.map((e) => (e ? [e] : []))));
  }
  return failures;
}

async function runIptables(ops: Operation[], k: Backends, r: ExecutionResult): Promise<OperationFailure[]> {
  for (const op of ops) {
    if (op.kind !== 'iptables-sync') continue;
    try {
      const res = await syncIptables(op.iptables, k.iptables);
      r.iptablesRestores += res.operations.length > 0 ? 1 : 0;
      r.warnings.push(...res.warnings);
    } catch (error) {
      return [{ operation: op, error: error as Error }];
    }
  }
  return [];
}

function collect(ops: readonly Operation[], errors: readonly Error[][]): OperationFailure[] {
  const out: OperationFailure[] = [];
  errors.forEach((errs, i) => {
    if (errs.length > 0) out.push({ operation: ops[i]!, error: errs[0]! });
  });
  return out;
}
