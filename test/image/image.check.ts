// The container image that `npm run image` (e2e/image/build) writes as a docker-archive, checked from the
// outside with the real tools: skopeo reads it, its names and entry point are what the chart expects,
// podman loads and runs it, the proxier's usage and the operator's userland (ipvsadm, ipset, iptables nft
// and legacy, conntrack, ip, node 24) work inside it, the dev dependencies are not in it, and with a
// kernel that has IPVS `IMAGE dump --json` reads the kernel through the image's own netlink binding.
//
// Not part of `npm test` (the file name does not end in .test.js) and skipped unless IPVS_IMAGE_ARCHIVE
// (or E2E_IMAGE_ARCHIVE, as e2e/test-all exports it) names the archive. Run it inside the VM (the host
// kernel has no IPVS, so ipvsadm cannot even print its version there; IPVS_* variables pass into the guest):
//   IPVS_IMAGE_ARCHIVE=$(npm run --silent image | tail -n 1) \
//     e2e/run-in-vm node_modules/.bin/mocha --timeout 900000 dist/test/image/image.check.js
//
// podman gets a throwaway store of its own in a temporary directory (the VM's /tmp is a tmpfs, where only
// the vfs driver works), cgroupfs, file events, host networking: nothing of the machine's podman is used.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { parse } from 'yaml';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** e2e/test-all exports the archive as E2E_IMAGE_ARCHIVE for the pod suite; either name will do. */
const ARCHIVE = process.env['IPVS_IMAGE_ARCHIVE'] || process.env['E2E_IMAGE_ARCHIVE'] || '';
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const APP_VERSION = String((parse(readFileSync(join(REPO, 'charts/ipvs-proxier/Chart.yaml'), 'utf8')) as { appVersion: unknown }).appVersion);
const LOCAL_NAME = `localhost/ipvs-proxier:${VERSION}`;
/** The chart's default image, ipvs-proxier:<appVersion>, as podman and containerd spell it in full. */
const CHART_NAME = `docker.io/library/ipvs-proxier:${APP_VERSION}`;
const LAUNCHER = '/opt/ipvs-proxier/lib/cli/ipvs-proxier';
const USAGE = 'Usage: ipvs-proxier [run] [flags]';
/** The goal in the issue: what a node pulls, compressed, at most this many bytes. */
const MAX_COMPRESSED_BYTES = 100e6;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after timeoutMs), never throwing on a non-zero exit. */
function run(command: string, args: string[], timeoutMs: number): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        const why = error.killed ? `killed after ${timeoutMs} ms` : error.message;
        reject(new Error(`${command} ${args.join(' ')}: ${why}\n${stderr}`));
        return;
      }
      resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Like run, but a non-zero exit is an error carrying the command and its stderr. */
async function runOk(command: string, args: string[], timeoutMs: number): Promise<string> {
  const r = await run(command, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** gzip -6 size of a file, streamed (the archive is a few hundred MB). */
async function gzipSize(path: string): Promise<number> {
  let size = 0;
  const counter = new Writable({
    write(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done();
    },
  });
  await pipeline(createReadStream(path), createGzip({ level: 6 }), counter);
  return size;
}

/** This process's hard limit named so in /proc/self/limits; undefined when unlimited. */
function hardLimit(name: string): number | undefined {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
  if (!line) throw new Error(`/proc/self/limits has no "${name}" line`);
  const hard = line.slice(name.length).trim().split(/\s+/)[1];
  return hard === 'unlimited' ? undefined : Number(hard);
}

describe('container image (docker-archive from npm run image)', function () {
  let store = '';
  let podmanGlobal: string[] = [];
  const podman = (args: string[], timeoutMs = 180_000) => run('podman', [...podmanGlobal, ...args], timeoutMs);
  // `podman run --rm` with limits the runtime can set: podman 4.3 asks for 1048576 open files and more
  // processes than its own limit (even with --ulimit host), which runc cannot set where root lacks
  // CAP_SYS_RESOURCE (this build machine's sandbox: hard limit 20000 open files). So: our own hard limit
  // of open files, and processes capped at 32768, the limit podman sets for itself and conmon.
  let ulimits: string[] = [];
  const podmanRun = (args: string[]) => podman(['run', '--rm', ...ulimits, '--network', 'host', ...args]);

  before(function () {
    if (!ARCHIVE) {
      console.log('    (skipped: set IPVS_IMAGE_ARCHIVE to the archive path `npm run image` prints last)');
      this.skip();
    }
    if (!existsSync(ARCHIVE)) throw new Error(`IPVS_IMAGE_ARCHIVE=${ARCHIVE}: no such file`);
    store = mkdtempSync(join(tmpdir(), 'ipvs-image-check-'));
    podmanGlobal = [
      '--root', join(store, 'root'), '--runroot', join(store, 'run'), '--tmpdir', join(store, 'libpod'),
      '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
      // Debian 12's crun refuses hosts with cgroup v1 plus a v2 hierarchy that has controllers (this
      // build machine); runc runs everywhere. e2e/image/build installs it.
      ...(existsSync('/usr/sbin/runc') ? ['--runtime', '/usr/sbin/runc'] : []),
    ];
    const nofile = hardLimit('Max open files');
    const processes = Math.min(hardLimit('Max processes') ?? Infinity, 32768);
    ulimits = ['--ulimit', `nproc=${processes}:${processes}`];
    if (nofile !== undefined) ulimits.push('--ulimit', `nofile=${nofile}:${nofile}`);
  });

  after(function () {
    if (store) rmSync(store, { recursive: true, force: true });
  });

  describe('the archive, read with skopeo', function () {
    it('is a docker-archive skopeo inspects: linux/amd64, with layers', async function () {
      const info = JSON.parse(await runOk('skopeo', ['inspect', `docker-archive:${ARCHIVE}`], 60_000)) as {
        Os: string;
        Architecture: string;
        Layers: string[];
      };
      expect(info.Os).to.equal('linux');
      expect(info.Architecture).to.equal('amd64');
      expect(info.Layers).to.have.length.greaterThan(0);
    });

    it('starts the launcher (entry point, no default arguments) with /usr/local/bin on PATH', async function () {
      const config = JSON.parse(await runOk('skopeo', ['inspect', '--config', `docker-archive:${ARCHIVE}`], 60_000)) as {
        config: { Entrypoint?: string[]; Cmd?: string[] | null; Env?: string[] };
      };
      expect(config.config.Entrypoint).to.deep.equal([LAUNCHER]);
      expect(config.config.Cmd ?? []).to.deep.equal([]);
      expect(config.config.Env ?? []).to.include('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    });

    it("carries podman's local name and the chart's default image name", async function () {
      const manifest = JSON.parse(await runOk('tar', ['-xOf', ARCHIVE, 'manifest.json'], 60_000)) as Array<{ RepoTags: string[] }>;
      expect(manifest).to.have.length(1);
      expect(manifest[0]!.RepoTags).to.have.members([LOCAL_NAME, CHART_NAME]);
    });

    it(`is at most ${MAX_COMPRESSED_BYTES / 1e6} MB gzip-compressed`, async function () {
      const size = await gzipSize(ARCHIVE);
      expect(size, `gzip -6 of ${ARCHIVE}: ${size} bytes`).to.be.at.most(MAX_COMPRESSED_BYTES);
    });
  });

  describe('loaded and run with podman', function () {
    before(async function () {
      await runOk('podman', [...podmanGlobal, 'load', '--input', ARCHIVE], 600_000);
    });

    it('is known by both names after podman load', async function () {
      for (const name of [LOCAL_NAME, CHART_NAME, `ipvs-proxier:${APP_VERSION}`]) {
        const r = await podman(['image', 'exists', name], 60_000);
        expect(r.code, `podman image exists ${name}`).to.equal(0);
      }
    });

    // Every podman run costs a copy of the whole image with vfs (about a minute in the VM): two runs cover
    // the entry point and the chart's command.
    it("podman run IMAGE --help prints the proxier's usage (the entry point is the launcher)", async function () {
      const r = await podmanRun([CHART_NAME, '--help']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(USAGE);
    });

    it("runs the chart's command, ipvs-proxier found on PATH: ipvs-proxier run --help", async function () {
      const r = await podmanRun(['--entrypoint', 'ipvs-proxier', CHART_NAME, 'run', '--help']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(USAGE);
    });

    describe('the userland inside', function () {
      // One container for all the tools (each podman run copies the whole image with vfs): every command's
      // output follows a "== name" line and ends with "rc=N".
      const commands: Record<string, string> = {
        node: 'node --version',
        ipvsadm: 'ipvsadm --version',
        ipset: 'ipset --version',
        'iptables-legacy': 'iptables-legacy --version',
        'iptables-nft': 'iptables-nft --version',
        'iptables-restore': 'iptables-restore --version',
        'iptables-legacy-restore': 'iptables-legacy-restore --version',
        'iptables-nft-restore': 'iptables-nft-restore --version',
        conntrack: 'conntrack --version',
        ip: 'ip -V',
        npm: 'command -v npm',
        'dev dependencies': `ls -d ${['mocha', 'chai', 'typescript', '@types'].map((p) => `/opt/ipvs-proxier/node_modules/${p}`).join(' ')}`,
      };
      const sections = new Map<string, { output: string; rc: number }>();

      before(async function () {
        const script = Object.entries(commands)
          .map(([name, command]) => `echo '== ${name}'; ${command} 2>&1; echo "rc=$?"`)
          .join('\n');
        // Privileged: ipvsadm and ipset talk to the kernel even to print their versions.
        const r = await podmanRun(['--privileged', '--entrypoint', 'sh', CHART_NAME, '-c', script]);
        if (r.code !== 0) throw new Error(`podman run ... sh -c (the tools) exited ${r.code}: ${r.stderr.trim()}`);
        for (const block of r.stdout.split(/^== /m).slice(1)) {
          const name = block.slice(0, block.indexOf('\n'));
          const rc = /^rc=(\d+)$/m.exec(block);
          if (!rc) throw new Error(`no exit code for ${name} in:\n${r.stdout}`);
          sections.set(name, { output: block.slice(name.length + 1, rc.index), rc: Number(rc[1]) });
        }
      });

      const expected: Array<[string, RegExp]> = [
        ['node', /^v24\./],
        ['ipset', /^ipset v\d+\.\d+/],
        ['iptables-legacy', /^iptables v1\.8\.\d+ \(legacy\)/],
        ['iptables-nft', /^iptables v1\.8\.\d+ \(nf_tables\)/],
        ['iptables-restore', /^iptables-restore v1\.8\.\d+/],
        ['iptables-legacy-restore', /^iptables-restore v1\.8\.\d+ \(legacy\)/],
        ['iptables-nft-restore', /^iptables-nft-restore v1\.8\.\d+ \(nf_tables\)/],
        ['conntrack', /^conntrack v\d+\.\d+/],
        ['ip', /iproute2/],
      ];
      for (const [name, pattern] of expected) {
        it(`${name} works`, function () {
          const s = sections.get(name);
          expect(s, `no output section for ${name}`).to.not.equal(undefined);
          expect(s!.rc, s!.output).to.equal(0);
          expect(s!.output).to.match(pattern);
        });
      }

      it('ipvsadm works (needs a kernel with IPVS: run this file in the VM)', function () {
        if (!existsSync('/proc/net/ip_vs')) this.skip();
        const s = sections.get('ipvsadm')!;
        expect(s.rc, s.output).to.equal(0);
        expect(s.output).to.match(/^ipvsadm v1\.\d+/);
      });

      it('has no npm and no dev dependencies (mocha, chai, typescript, @types)', function () {
        expect(sections.get('npm')!.rc, `npm found: ${sections.get('npm')!.output}`).to.not.equal(0);
        const dev = sections.get('dev dependencies')!;
        expect(dev.output).to.not.match(/^\/opt\S+$/m);
        expect(dev.rc).to.not.equal(0);
      });
    });

    it('reads the kernel with `IMAGE dump --json` (IPVS through its netlink binding)', async function () {
      if (!existsSync('/proc/net/ip_vs')) this.skip();
      const r = await podmanRun(['--privileged', CHART_NAME, 'dump', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const state = JSON.parse(r.stdout) as { virtualServers: unknown; ipsets: unknown };
      expect(state.virtualServers).to.be.an('array');
      expect(state.ipsets).to.be.an('array');
    });
  });
});
