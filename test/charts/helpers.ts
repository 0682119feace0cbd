// Rendering charts offline for the tests: test/charts/render.sh (our Go implementation of Helm's engine,
// built on first use) plus YAML parsing and the tool checks that decide whether a test runs or is skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

/** The repository root (this file runs as dist/test/charts/helpers.js). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CHART_TESTS = join(REPO, 'test/charts');
const RENDER_SH = join(CHART_TESTS, 'render.sh');

/** A rendered Kubernetes object; the tests walk it freely. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; [k: string]: any }; [k: string]: any };

export function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Why the renderer cannot be built here, or null when it can. */
export function rendererToolsMissing(): string | null {
  if (!onPath('go')) return 'Go is not installed (Debian package golang-go)';
  if (!existsSync('/usr/share/gocode/src/github.com/Masterminds/sprig')) {
    return 'sprig is not installed (Debian package golang-github-masterminds-sprig-dev)';
  }
  if (!existsSync('/usr/share/gocode/src/gopkg.in/yaml.v2')) return 'yaml.v2 is not installed (golang-gopkg-yaml.v2-dev)';
  return null;
}

export const INSTALL_HINT = 'run test/charts/setup.sh (installs the packages listed in test/charts/APT-PACKAGES)';

export interface RenderResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Renders a chart (charts/ipvs-proxier unless --chart is among the flags) with the given values laid over
 * its values.yaml. Values may be an object (written as YAML) or the path of a values file.
 */
export function renderRaw(values: object | string | undefined, flags: string[] = []): RenderResult {
  const dir = mkdtempSync(join(tmpdir(), 'chart-values-'));
  try {
    const args: string[] = [];
    if (typeof values === 'string') args.push(values);
    else if (values !== undefined) {
      const file = join(dir, 'values.yaml');
      writeFileSync(file, stringify(values));
      args.push(file);
    }
    const r = spawnSync(RENDER_SH, [...args, ...flags], { encoding: 'utf8', cwd: REPO, timeout: 300_000 });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Renders and fails loudly on a template error. */
export function render(values?: object | string, flags: string[] = []): string {
  const r = renderRaw(values, flags);
  if (r.status !== 0) throw new Error(`render.sh exited ${r.status}: ${r.stderr}`);
  return r.stdout;
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

/** Runs a tool, returning its exit status and output (never throws on a non-zero exit). */
export function runTool(command: string, args: string[], cwd?: string): RenderResult {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd, timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
