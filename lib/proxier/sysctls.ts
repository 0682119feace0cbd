// The kernel settings kube-proxy's IPVS mode needs (pkg/proxy/ipvs/proxier.go NewProxier), written once at
// start through /proc/sys (or where IPVS_PROXIER_PROC_SYS says the node's /proc/sys is mounted). The list is a pure function of the flags and the kernel release; applying it
// writes only values that differ and reports each change, so the log says what we changed on the node.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SysctlSetting {
  /** Relative to /proc/sys: "net/ipv4/vs/conntrack". */
  path: string;
  value: string;
  why: string;
}

export interface SysctlChange {
  path: string;
  from: string;
  to: string;
}

export interface SysctlIo {
  read(path: string): Promise<string>;
  write(path: string, value: string): Promise<void>;
}

export class SysctlError extends Error {
  constructor(
    readonly path: string,
    readonly operation: 'read' | 'write',
    readonly code: string,
    detail: string,
    root = '/proc/sys',
  ) {
    super(`sysctl ${operation} ${join(root, path)}: ${detail}`);
    this.name = 'SysctlError';
  }
}

export function proxierSysctls(o: { strictARP: boolean; kernelRelease: string }): SysctlSetting[] {
  const out: SysctlSetting[] = [
    { path: 'net/ipv4/vs/conntrack', value: '1', why: 'IPVS connections go through conntrack, so the masquerade rules see them' },
    { path: 'net/ipv4/vs/expire_nodest_conn', value: '1', why: 'connections to a deleted real server are dropped at once, not black-holed' },
    { path: 'net/ipv4/vs/expire_quiescent_template', value: '1', why: 'persistence templates of a weight-0 real server expire' },
    { path: 'net/ipv4/ip_forward', value: '1', why: 'traffic to Services is forwarded to pods' },
  ];
  const v = kernelVersion(o.kernelRelease);
  // Kernels 4.1 to 5.8 drop the first packet of a reused connection to a removed real server with
  // conn_reuse_mode=1 (1 s SYN retransmit delays); 5.9 fixed it. kube-proxy sets 0 on exactly these.
  if (v && compareVersion(v, [4, 1]) >= 0 && compareVersion(v, [5, 9]) < 0) {
    out.push({ path: 'net/ipv4/vs/conn_reuse_mode', value: '0', why: 'kernels before 5.9 stall reused connections otherwise' });
  }
  if (o.strictARP) {
    out.push(
      { path: 'net/ipv4/conf/all/arp_ignore', value: '1', why: '--ipvs-strict-arp: answer ARP only for addresses on the asked interface (not kube-ipvs0\'s)' },
      { path: 'net/ipv4/conf/all/arp_announce', value: '2', why: '--ipvs-strict-arp: never announce kube-ipvs0 addresses' },
    );
  }
  return out;
}

/** Writes what differs; the first failure stops and is thrown with its path. */
export async function applySysctls(settings: readonly SysctlSetting[], io: SysctlIo): Promise<SysctlChange[]> {
  const changes: SysctlChange[] = [];
  for (const s of settings) {
    const from = (await io.read(s.path)).trim();
    if (from === s.value) continue;
    await io.write(s.path, s.value);
    changes.push({ path: s.path, from, to: s.value });
  }
  return changes;
}

export const PROC_SYS_ENV = 'IPVS_PROXIER_PROC_SYS';

/**
 * Where the node's /proc/sys is: IPVS_PROXIER_PROC_SYS when set, else /proc/sys. A container that is not
 * privileged gets its own /proc/sys read-only (the runtime mounts it so); the chart mounts the node's
 * /proc/sys/net writable at /host/proc/sys/net instead and points this variable at /host/proc/sys. On a
 * host-network pod both show the node's network namespace: net.* sysctls are looked up per namespace.
 */
export function procSysRoot(env: NodeJS.ProcessEnv): string {
  return env[PROC_SYS_ENV] || '/proc/sys';
}

export function procSysIo(root = '/proc/sys'): SysctlIo {
  const fail = (path: string, operation: 'read' | 'write', err: unknown): SysctlError => {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const hint = code === 'ENOENT' && path.startsWith('net/ipv4/vs/')
      ? 'ENOENT (the ip_vs module is not loaded)'
      : code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
        ? `${code} (read-only here: a container's own /proc/sys is; mount the node's /proc/sys/net writable and set ${PROC_SYS_ENV} to the /proc/sys it is under, as the chart does)`
        : code;
    return new SysctlError(path, operation, code, hint, root);
  };
  return {
    async read(path) {
      try {
        return await readFile(join(root, path), 'utf8');
      } catch (err) {
        throw fail(path, 'read', err);
      }
    },
    async write(path, value) {
      try {
        await writeFile(join(root, path), `${value}\n`);
      } catch (err) {
        throw fail(path, 'write', err);
      }
    },
  };
}

/** "6.1.0-28-amd64" -> [6, 1]; undefined if unreadable. */
export function kernelVersion(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function compareVersion(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
