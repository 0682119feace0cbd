// The chart tests' access to the real Helm 4 (e2e/helm, installed into .tools/kube/ by e2e/setup):
// `helm template` for the manifests, `helm install --dry-run=client -o json` for the rendered NOTES.txt
// (`helm template` never renders NOTES; a client-only dry run does, without contacting a cluster), and
// `helm lint --strict`. Plus YAML parsing and the checks that the tools setup installs are there: a missing
// one fails the tests with the hint to run e2e/setup, it does not skip them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

/** The repository root (this file runs as dist/test/charts/helpers.js). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CHART_TESTS = join(REPO, 'test/charts');
export const CHART = join(REPO, 'charts/ipvs-proxier');
const HELM = join(REPO, 'e2e/helm');
/** The release name and namespace every render uses (`helm template`'s own default name). */
export const RELEASE = 'release-name';
export const NAMESPACE = 'default';

export const INSTALL_HINT = 'run e2e/setup (installs Helm 4 into .tools/kube/ and the Debian packages in test/charts/APT-PACKAGES)';

/** A rendered Kubernetes object; the tests walk it freely. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; [k: string]: any }; [k: string]: any };

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool, returning its exit status and output (never throws on a non-zero exit). */
export function runTool(command: string, args: string[], cwd?: string): ToolResult {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd, timeout: 60_000 });
  if (r.error) throw new Error(`running ${command} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Throws, saying how to install it, unless e2e/helm runs Helm 4. */
export function requireHelm4(): void {
  const r = runTool(HELM, ['version', '--short']);
  // Exit 127 is e2e/helm's own "not installed: run e2e/setup".
  if (r.status !== 0) throw new Error(`e2e/helm version exited ${r.status}: ${r.stderr.trim()}${r.status === 127 ? '' : `; ${INSTALL_HINT}`}`);
  if (!r.stdout.startsWith('v4.')) throw new Error(`e2e/helm is ${r.stdout.trim()}, not Helm 4; ${INSTALL_HINT}`);
}

/** Throws, saying how to install it, unless command is on PATH. */
export function requireOnPath(command: string, debianPackage: string): void {
  if (spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`${command} is not installed (Debian package ${debianPackage}); ${INSTALL_HINT}`);
  }
}

/** Runs e2e/helm with args, and -f for the values (an object written as YAML, or a values file's path). */
export function helm(args: string[], values?: object | string): ToolResult {
  const dir = mkdtempSync(join(tmpdir(), 'chart-values-'));
  try {
    const valueArgs: string[] = [];
    if (typeof values === 'string') valueArgs.push('-f', values);
    else if (values !== undefined) {
      const file = join(dir, 'values.yaml');
      writeFileSync(file, stringify(values));
      valueArgs.push('-f', file);
    }
    const r = spawnSync(HELM, [...args, ...valueArgs], { encoding: 'utf8', cwd: REPO, timeout: 120_000 });
    if (r.error) throw new Error(`running e2e/helm ${args.join(' ')}: ${r.error.message}`);
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template` of charts/ipvs-proxier with the values laid over its values.yaml; extra flags appended. */
export function renderRaw(values?: object | string, flags: string[] = []): ToolResult {
  return helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...flags], values);
}

/** Renders and fails loudly on a template error. */
export function render(values?: object | string, flags: string[] = []): string {
  const r = renderRaw(values, flags);
  if (r.status !== 0) throw new Error(`helm template exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** NOTES.txt as `helm install` would print it, from a client-only dry run (no cluster contacted). */
export function renderNotes(values?: object): string {
  const r = helm(['install', RELEASE, CHART, '--namespace', NAMESPACE, '--dry-run=client', '--output', 'json'], values);
  if (r.status !== 0) throw new Error(`helm install --dry-run=client exited ${r.status}: ${r.stderr}`);
  const notes = (JSON.parse(r.stdout) as { info?: { notes?: unknown } }).info?.notes;
  if (typeof notes !== 'string') throw new Error('helm install --dry-run=client -o json: the release has no info.notes');
  return notes;
}

/** Every document of a multi-document YAML text; duplicate keys and syntax errors throw. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`document ${i}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as K8sObject;
  });
}

export function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
}
