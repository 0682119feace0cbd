// IPVS scheduler and scheduler-flag choice for a Service: the node's --ipvs-scheduler, overridable per
// Service by annotation (kube-proxy has no per-Service choice; kube-router does, with the same flag names).
import type { ServiceFlag } from '../state/types.js';
import { quote } from './untrusted-json.js';

export const SCHEDULER_ANNOTATION = 'ipvs-proxier.io/scheduler';
export const FLAGS_ANNOTATION = 'ipvs-proxier.io/flags';
export const DEFAULT_SCHEDULER = 'rr';

/** Schedulers of the Linux kernel (net/netfilter/ipvs/ip_vs_*.c); the module must exist on the node. */
export const KNOWN_SCHEDULERS: readonly string[] = [
  'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos',
];

export function isKnownScheduler(name: string): boolean {
  return KNOWN_SCHEDULERS.includes(name);
}

/** Flags a Service may ask for. `persistent` comes from sessionAffinity, never from the annotation. */
const ANNOTATION_FLAGS: readonly ServiceFlag[] = [
  'one-packet', 'flag-1', 'flag-2', 'flag-3', 'sh-fallback', 'sh-port', 'mh-fallback', 'mh-port',
];

/**
 * The scheduler flag bits are shared (IP_VS_SVC_F_SCHED1..3 in uapi ip_vs.h); ipvsadm names bits 1 and 2
 * after the scheduler that gives them meaning (sh-fallback/sh-port, mh-fallback/mh-port) and flag-1/flag-2
 * otherwise. We name them the same way so a desired state compares equal to a dump of the kernel.
 */
function schedFlagName(bit: 1 | 2 | 3, scheduler: string): ServiceFlag {
  if (bit === 3) return 'flag-3';
  if (scheduler === 'sh') return bit === 1 ? 'sh-fallback' : 'sh-port';
  if (scheduler === 'mh') return bit === 1 ? 'mh-fallback' : 'mh-port';
  return bit === 1 ? 'flag-1' : 'flag-2';
}

function schedFlagBit(flag: ServiceFlag): 1 | 2 | 3 | undefined {
  switch (flag) {
    case 'flag-1': case 'sh-fallback': case 'mh-fallback': return 1;
    case 'flag-2': case 'sh-port': case 'mh-port': return 2;
    case 'flag-3': return 3;
    default: return undefined;
  }
}

export type SchedulingChoice =
  | { ok: true; scheduler: string; flags: ServiceFlag[] }
  | { ok: false; field: string; reason: string };

/**
 * Scheduler and flags for a Service. Without a flags annotation, mh gets mh-port as kube-proxy sets
 * (FlagSourceHash, 0x10) whenever it uses mh; with one, the annotation is the whole list.
 */
export function chooseScheduling(
  annotations: Record<string, string> | undefined,
  nodeScheduler: string,
  unavailable: readonly string[] = [],
): SchedulingChoice {
  const schedField = `metadata.annotations[${SCHEDULER_ANNOTATION}]`;
  const flagsField = `metadata.annotations[${FLAGS_ANNOTATION}]`;
  // Annotations are strings to the API server; a raw watch event from a broken one may carry anything.
  const requestedValue: unknown = annotations?.[SCHEDULER_ANNOTATION];
  const flagsValue: unknown = annotations?.[FLAGS_ANNOTATION];
  if (requestedValue !== undefined && typeof requestedValue !== 'string') {
    return { ok: false, field: schedField, reason: `${quote(requestedValue)} is not a string` };
  }
  if (flagsValue !== undefined && typeof flagsValue !== 'string') {
    return { ok: false, field: flagsField, reason: `${quote(flagsValue)} is not a string` };
  }
  const requested = requestedValue?.trim();
  let scheduler = nodeScheduler || DEFAULT_SCHEDULER;
  if (requested !== undefined) {
    if (!isKnownScheduler(requested)) {
      return { ok: false, field: schedField, reason: `unknown IPVS scheduler ${quote(requested)} (known: ${KNOWN_SCHEDULERS.join(', ')})` };
    }
    if (unavailable.includes(requested)) {
      return { ok: false, field: schedField, reason: `the kernel has no IPVS scheduler "${requested}" (module ip_vs_${requested} missing)` };
    }
    scheduler = requested;
  }
  const flagsText = flagsValue;
  if (flagsText === undefined) {
    return { ok: true, scheduler, flags: scheduler === 'mh' ? ['mh-port'] : [] };
  }
  const flags: ServiceFlag[] = [];
  for (const raw of flagsText.split(',')) {
    const flag = raw.trim();
    if (flag === '') continue;
    if (!(ANNOTATION_FLAGS as readonly string[]).includes(flag)) {
      return { ok: false, field: flagsField, reason: `unknown IPVS flag ${quote(flag)} (known: ${ANNOTATION_FLAGS.join(', ')})` };
    }
    const f = flag as ServiceFlag;
    if ((f.startsWith('sh-') && scheduler !== 'sh') || (f.startsWith('mh-') && scheduler !== 'mh')) {
      return { ok: false, field: flagsField, reason: `flag "${f}" needs scheduler ${f.slice(0, 2)}, not ${scheduler}` };
    }
    const bit = schedFlagBit(f);
    const named = bit === undefined ? f : schedFlagName(bit, scheduler);
    if (!flags.includes(named)) flags.push(named);
  }
  return { ok: true, scheduler, flags };
}
