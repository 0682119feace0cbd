// Debian's podman 4.3 as the kubelet stand-in of the pod suite, inside the e2e guest only (it rewrites
// /etc/containers there, which lives on the guest's throwaway overlay). Storage on the guest's tmpfs
// (/run: the guest's / is itself an overlay, which overlayfs cannot take as its upper layer) with the
// overlay driver (vfs copies the whole root filesystem for every layer and container: loading the image
// took 164 s with vfs against 129 s with overlay on a busy host, and every container start copies again),
// the cgroupfs manager (no systemd in the guest), events to a file (no journald).
//
// Why pods need one more step than `podman run`: with the cgroupfs manager on cgroup v2, podman 4.3
// creates each pod's own cgroup with a device filter (an eBPF cgroup_device program) that allows no
// device at all, and cgroup v2 applies an ancestor's device programs to every descendant. Every container
// of the pod lives below that cgroup, so crun's `mknod /dev/null` while building the infra container's
// /dev fails with EPERM ("crun: mknod `/dev/null`: Operation not permitted"), and the pod never starts;
// `podman run` containers have no pod cgroup and start. Measured in the guest: a shell moved into the pod
// cgroup (or a child of it) cannot mknod /dev/null, one in libpod_parent can. So the pod is created
// without starting (`kube play --start=false`), that one program is detached from the pod's cgroup
// (bpftool), and the pod is started: crun still attaches each container's own device filter (all devices
// for a privileged container, the usual allow-list otherwise), so containers get exactly the devices a
// correct runtime gives them.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { forPodman, type PodManifest } from './pod-manifests.js';

const run = promisify(execFile);

/** The guest's own store on its tmpfs, plus the host-loaded image store (read-only) when given. */
function storageConf(imageStore: string | undefined): string {
  return `# Written by the pod suite (e2e/pod/guest-podman.ts) inside the e2e guest.
[storage]
driver = "overlay"
graphroot = "/run/pod-suite/storage"
runroot = "/run/pod-suite/run"
${imageStore ? `[storage.options]\nadditionalimagestores = [${JSON.stringify(imageStore)}]\n` : ''}`;
}
const CONTAINERS_CONF = `# Written by the pod suite (e2e/pod/guest-podman.ts) inside the e2e guest.
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
# No journald in the guest: container logs to files, so that podman logs works.
log_driver = "k8s-file"
`;

/** Runs podman (or another tool) with a bound; failures carry the command and its stderr. */
async function tool(argv: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 64 << 20 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string; killed?: boolean; code?: number | string };
    const why = err.killed ? `did not finish within ${timeoutMs / 1000} s` : `failed (${err.code})`;
    throw new Error(`${argv.join(' ')} ${why}: ${(err.stderr ?? err.message).trim()}`);
  }
}

export class GuestPodman {
  private constructor() {}

  /**
   * Configures podman for the guest, with imageStore (e2e/pod/load-image-store's output: the archive
   * loaded by the host's podman) as a read-only image store; refuses to run anywhere but in the e2e VM.
   */
  static async setUp(imageStore?: string): Promise<GuestPodman> {
    if (!readFileSync('/proc/cmdline', 'utf8').includes('e2e_run=')) {
      throw new Error('the pod suite rewrites /etc/containers: it runs only inside the e2e VM (e2e/run-in-vm)');
    }
    await mkdir('/etc/containers', { recursive: true });
    await writeFile('/etc/containers/storage.conf', storageConf(imageStore));
    await writeFile('/etc/containers/containers.conf', CONTAINERS_CONF);
    return new GuestPodman();
  }

  /** Every image podman sees (repository:tag), its own store's and the read-only ones. */
  async images(): Promise<string[]> {
    return (await tool(['podman', 'images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').filter(Boolean);
  }

  /**
   * Plays the pod (see the top of this file for the device-filter step, and forPodman for what podman
   * 4.3 needs changed in a pod spec) and returns those changes. configMapFiles: YAML files of the
   * ConfigMaps the pod's configMap volumes name (what the API server would hold).
   */
  async play(manifest: PodManifest, configMapFiles: readonly string[] = []): Promise<string[]> {
    const { pod, changed } = forPodman(manifest);
    const file = join(tmpdir(), `${pod.metadata.name}.pod.yaml`);
    await writeFile(file, stringify(pod));
    await tool(['podman', 'kube', 'play', '--start=false', ...configMapFiles.flatMap((f) => ['--configmap', f]), file], 300_000);
    const cgroup = (await tool(['podman', 'pod', 'inspect', '--format', '{{.CgroupPath}}', pod.metadata.name])).trim();
    if (!cgroup) throw new Error(`pod ${pod.metadata.name}: podman reports no cgroup path`);
    await detachDeviceFilters(`/sys/fs/cgroup${cgroup}`);
    await tool(['podman', 'pod', 'start', pod.metadata.name], 300_000);
    return changed;
  }

  /** A container's status ("running", "exited", ...) and exit code. */
  async state(container: string): Promise<{ status: string; exitCode: number }> {
    const [status, code] = (await tool(['podman', 'inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', container])).trim().split(' ');
    return { status: status!, exitCode: Number(code) };
  }

  /** The host PID of the container's first process (0 when it is not running). */
  async pid(container: string): Promise<number> {
    return Number((await tool(['podman', 'inspect', '--format', '{{.State.Pid}}', container])).trim());
  }

  /** Waits (bounded) for a container to exit; returns its exit code. */
  async waitExited(container: string, timeoutMs: number): Promise<number> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.state(container);
      if (s.status === 'exited' || s.status === 'stopped') return s.exitCode;
      if (Date.now() > end) throw new Error(`container ${container} did not exit within ${timeoutMs / 1000} s (status ${s.status}); its log:\n${await this.logs(container)}`);
      // Every podman command costs seconds of the emulated guest's CPU: poll slowly.
      await new Promise((r) => setTimeout(r, 3000));
    }
  }

  /** `podman exec` in a running container; its stdout. */
  exec(container: string, argv: string[], timeoutMs = 60_000): Promise<string> {
    return tool(['podman', 'exec', container, ...argv], timeoutMs);
  }

  /** The container's log (stdout and stderr), for failure reports. */
  async logs(container: string, lines = 40): Promise<string> {
    return tool(['podman', 'logs', '--tail', String(lines), container]).catch((e: Error) => `(no log: ${e.message})`);
  }

  /** Stops the pod's containers (SIGTERM, then SIGKILL after graceSeconds) and removes the pod. */
  async removePod(name: string, graceSeconds = 30): Promise<void> {
    await tool(['podman', 'pod', 'stop', '-t', String(graceSeconds), name], (graceSeconds + 60) * 1000);
    await tool(['podman', 'pod', 'rm', '-f', name]);
  }
}

/** Detaches every cgroup_device program attached directly to cgroupDir. */
async function detachDeviceFilters(cgroupDir: string): Promise<void> {
  const attached = JSON.parse(await tool(['bpftool', '-j', 'cgroup', 'show', cgroupDir])) as Array<{ id: number; attach_type: string }>;
  for (const p of attached.filter((a) => a.attach_type === 'cgroup_device')) {
    await tool(['bpftool', 'cgroup', 'detach', cgroupDir, 'device', 'id', String(p.id)]);
  }
}
