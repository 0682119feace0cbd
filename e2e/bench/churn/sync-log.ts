// The proxier's per-sync summaries ("sync done", logged at -v 2 as one JSON line): the bench counts a run's
// syncs, the operations and the change messages they sent from them. Change messages are the IPVS, ipset
// and rtnetlink requests that change something (ApplyReport.messagesSent); the reads a sync makes (a
// periodic full read, the few destination dumps before taking real servers away) are not in them.

export interface SyncRecord {
  sync: number;
  reason: string;
  readKernel: boolean;
  durationMs: number;
  operations: number;
  messagesSent: number;
  /** "scoped" (the changed Services' objects only) or "full" (the whole state planned). */
  plan: string;
  /** The sync's phases (ms): desired state, connection counts read, plan and apply; NaN when not logged. */
  phases: { desiredMs: number; connectionsMs: number; applyMs: number };
}

/** The sync summary a log line holds, or undefined for any other line (another message, not JSON). */
export function parseSyncDone(line: string): SyncRecord | undefined {
  if (!line.includes('"sync done"')) return undefined;
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (e['message'] !== 'sync done') return undefined;
  const num = (k: string): number => (typeof e[k] === 'number' ? e[k] : NaN);
  return { sync: num('sync'), reason: String(e['reason']), readKernel: e['readKernel'] === true, durationMs: num('durationMs'), operations: num('operations'), messagesSent: num('messagesSent'), plan: String(e['plan'] ?? 'unknown'),
    phases: { desiredMs: num('desiredMs'), connectionsMs: num('connectionsMs'), applyMs: num('applyMs') },
  };
}
