// Holding the xtables lock, as a busy iptables user on the node would (another proxy, a CNI plugin, a
// firewall reload): legacy iptables-restore waits for it (--wait=N) and then fails, so the proxier's syncs
// that need an iptables change fail until it is released. iptables-nft takes no lock: this only stalls a
// proxier whose iptables backend is legacy (IPVS_PROXIER_IPTABLES=legacy).
import { spawn } from 'node:child_process';

/** The path iptables locks (XT_LOCK_NAME); the chart mounts the host's into the pod. */
export const XTABLES_LOCK = '/run/xtables.lock';

export interface HeldLock {
  /** Releases the lock (ends the holder); resolves once it is free. */
  release(): Promise<void>;
}

/**
 * Takes the lock with util-linux flock(1) and holds it until release() or `maxMs` (a bound, so a test that
 * dies cannot leave the node's iptables blocked). Resolves once the lock is held; rejects if flock could
 * not take it within 10 s.
 */
export function holdXtablesLock(path = XTABLES_LOCK, maxMs = 300_000): Promise<HeldLock> {
  // --close: `sleep` does not inherit the locked descriptor, so ending flock alone frees the lock.
  // flock prints "held" (through sh) only once it has the lock.
  const holder = spawn('flock', ['--exclusive', '--close', '--timeout', '10', path, 'sh', '-c', `echo held; exec sleep ${Math.ceil(maxMs / 1000)}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: release() ends flock and its sleep together.
    detached: true,
  });
  let stderr = '';
  holder.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  // The lock is free once flock has exited (the kernel drops a flock with the last descriptor).
  const exited = new Promise<void>((resolve) => holder.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    holder.on('error', (e) => reject(new Error(`flock ${path}: ${e.message}`)));
    holder.on('exit', (code, signal) => reject(new Error(`flock ${path} ended before it held the lock (${signal ?? `exit ${code}`}): ${stderr.trim()}`)));
    holder.stdout.once('data', () =>
      resolve({
        release: async () => {
          if (holder.exitCode === null && holder.signalCode === null) process.kill(-holder.pid!, 'SIGTERM');
          await exited;
        },
      }),
    );
  });
}
