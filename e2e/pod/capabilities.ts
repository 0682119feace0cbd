// Linux capability names and the bit masks /proc/PID/status shows them as (CapEff, CapPrm, CapBnd: hex),
// for the pod suite's check that the chart's container runs with exactly the capabilities it adds.
// Bit numbers from linux/capability.h; Kubernetes and podman spell them without the CAP_ prefix.

const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/** The names of the bits set in a mask as /proc/PID/status prints it ("0000000000003000"), sorted. */
export function capabilityNames(hexMask: string): string[] {
  if (!/^[0-9a-f]+$/i.test(hexMask)) throw new Error(`not a capability mask: ${JSON.stringify(hexMask)}`);
  const mask = BigInt(`0x${hexMask}`);
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) names.push(CAPABILITIES[bit] ?? `bit ${bit}`);
  }
  return names.sort();
}

/** One field of /proc/PID/status ("CapEff", "NoNewPrivs"), or an error naming it. */
export function statusField(status: string, field: string): string {
  const m = new RegExp(`^${field}:\\s*(\\S+)\\s*$`, 'm').exec(status);
  if (!m) throw new Error(`/proc/PID/status has no ${field} line`);
  return m[1]!;
}
