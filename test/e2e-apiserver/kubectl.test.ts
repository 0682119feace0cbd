// The real kubectl (e2e/kubectl: kubectl 1.35, installed by e2e/setup) against
// the stand-in server: create -f, get -o wide, replace -f, delete. Fails, saying
// to run e2e/setup, when it is not installed.
// e2e/apiserver-src/kubectl-smoke runs a longer version of this.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SERVICES } from '../../e2e/apiserver-src/resource-types.js';
import { startServer, type RunningServer } from './helpers.js';

const run = promisify(execFile);
// This file runs as dist/test/e2e-apiserver/kubectl.test.js.
const KUBECTL = resolve(dirname(fileURLToPath(import.meta.url)), '../../../e2e/kubectl');

/** Throws, with e2e/kubectl's own "run e2e/setup" message, unless kubectl 1.35 runs. */
async function requireKubectl(): Promise<void> {
  let stdout: string;
  try {
    ({ stdout } = await run(KUBECTL, ['version', '--client'], { timeout: 10_000 }));
  } catch (e) {
    const err = e as { code?: unknown; stderr?: string; message: string };
    throw new Error(`e2e/kubectl version --client failed (exit ${String(err.code)}): ${err.stderr?.trim() || err.message}`);
  }
  expect(stdout, 'e2e/kubectl version --client').to.match(/^Client Version: v1\.35\./m);
}

const SERVICE_YAML = (targetPort: number) => `apiVersion: v1
kind: Service
metadata:
  name: smoke
spec:
  selector: {app: smoke}
  ports:
  - {name: http, port: 80, targetPort: ${targetPort}}
`;

describe('e2e apiserver: kubectl', function () {
  // kubectl is a separate process; this only guards against hangs.
  this.timeout(30_000);
  let running: RunningServer;
  let dir: string;

  before(async function () {
    await requireKubectl();
    running = await startServer();
    dir = await mkdtemp(join(tmpdir(), 'e2e-apiserver-kubectl-'));
    await writeFile(join(dir, 'svc.yaml'), SERVICE_YAML(8080));
    await writeFile(join(dir, 'svc-replaced.yaml'), SERVICE_YAML(9090));
  });
  after(async () => {
    await running?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const kubectl = async (...args: string[]) =>
    (await run(KUBECTL, ['--kubeconfig', running.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 20_000 })).stdout;

  it('creates, lists, replaces and deletes a Service', async () => {
    expect(await kubectl('create', '-f', join(dir, 'svc.yaml'))).to.contain('service/smoke created');
    const clusterIP = (running.server.registry.get(SERVICES, 'default', 'smoke').spec as { clusterIP: string }).clusterIP;
    expect(clusterIP).to.match(/^10\.96\.\d+\.\d+$/);

    const wide = await kubectl('get', 'svc', '-o', 'wide');
    expect(wide).to.match(new RegExp(`smoke\\s+ClusterIP\\s+${clusterIP.replace(/\./g, '\\.')}\\s+<none>\\s+80/TCP\\s+\\S+\\s+app=smoke`));

    expect(await kubectl('replace', '-f', join(dir, 'svc-replaced.yaml'))).to.contain('service/smoke replaced');
    const replaced = running.server.registry.get(SERVICES, 'default', 'smoke').spec as { clusterIP: string; ports: Array<{ targetPort: number }> };
    expect(replaced.clusterIP).to.equal(clusterIP);
    expect(replaced.ports[0]?.targetPort).to.equal(9090);

    expect(await kubectl('delete', 'svc', 'smoke')).to.contain('service "smoke" deleted');
    expect(running.server.registry.list(SERVICES, 'default').items).to.have.length(0);
  });
});
