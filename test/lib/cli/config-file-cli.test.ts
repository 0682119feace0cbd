// `ipvs-proxier --config FILE` as a process: the package's bin (lib/cli/ipvs-proxier, the compiled main.js
// under the project's Node). A file that cannot be run with exits 2 with one line naming the file and the
// field, before anything opens the kernel, so this needs no IPVS and no root.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(REPO, 'lib/cli/ipvs-proxier');
const KUBEADM_IPVS = readFileSync(join(REPO, 'test/fixtures/kube-proxy/kubeadm-ipvs.conf'), 'utf8');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
  if (r.error) throw new Error(`running ${BIN} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ipvs-proxier --config (the command)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ipvs-proxier-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 with one line naming the file and the field when the mode is not ipvs', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, KUBEADM_IPVS.replace('mode: ipvs', 'mode: iptables'));
    const r = run(['--config', bad]);
    expect(r.status).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.equal(
      `ipvs-proxier: --config ${bad}: mode: "iptables" is not supported: ipvs-proxier does what kube-proxy's IPVS mode does (set mode: ipvs, or leave it empty)\n`,
    );
  });

  it('logs a key it does not know as a warning naming its path, and goes on with the rest of the file', () => {
    const typo = join(dir, 'typo.yaml');
    const kubeconfig = join(dir, 'kubeconfig.conf');
    writeFileSync(typo, KUBEADM_IPVS.replace('  strictARP: false', '  strictArp: true').replace('/var/lib/kube-proxy/kubeconfig.conf', kubeconfig));
    const r = run(['run', `--config=${typo}`, '--hostname-override=node-1']);
    // It went on to the file's kubeconfig (absent here: exit 1), rather than stopping at the typo.
    expect(r.status).to.equal(1);
    const warnings = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; message: string }).filter((l) => l.level === 'warn');
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.message).to.match(new RegExp(`^--config ${typo}: ipvs\\.strictArp is not a KubeProxyConfiguration field ipvs-proxier knows and is ignored \\(a typo\\? known here: .*strictARP`));
  });

  it("accepts kubeadm's config.conf and goes on to its clientConnection.kubeconfig (missing here: exit 1 naming it)", () => {
    const conf = join(dir, 'config.conf');
    const kubeconfig = join(dir, 'kubeconfig.conf');
    writeFileSync(conf, KUBEADM_IPVS.replace('/var/lib/kube-proxy/kubeconfig.conf', kubeconfig));
    const r = run(['--config', conf, '--hostname-override=node-1']);
    expect(r.status).to.equal(1);
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: string; message: string });
    expect(lines.find((l) => l.message === 'configuration file read')).to.deep.include({ level: 'info', file: conf, overriddenByFlags: [] });
    expect(lines.filter((l) => l.level === 'warn')).to.deep.equal([]);
    expect(lines.at(-1)).to.deep.include({ level: 'error' });
    expect(lines.at(-1)!.message).to.contain(kubeconfig).and.contain('ENOENT');
  });

  it('lists --config in run --help', () => {
    const r = run(['run', '--help']);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^ {2}--config FILE {18}kube-proxy's KubeProxyConfiguration/m);
  });
});
