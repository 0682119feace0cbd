// The chart ships its alerts as a PrometheusRule (the Prometheus Operator's CRD); a plain Prometheus reads
// rule files. This turns `helm template` output into the rule file an operator-less Prometheus would load:
// the PrometheusRule's spec.groups as `groups:`, unchanged, so the test runs exactly what the chart renders.
import { parseAllDocuments, stringify } from 'yaml';

export interface RuleGroup {
  name: string;
  rules: Array<{ alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string> }>;
  [key: string]: unknown;
}

interface Manifest {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown };
  spec?: { groups?: unknown };
}

/**
 * Rule groups of every PrometheusRule in multi-document YAML (as `helm template` prints it). Throws when
 * the text is not YAML, when there is no PrometheusRule (prometheusRule.enabled false?) or one has no groups.
 */
export function ruleGroupsFromManifests(manifests: string): RuleGroup[] {
  const kinds: string[] = [];
  const groups: RuleGroup[] = [];
  let found = 0;
  for (const [index, doc] of parseAllDocuments(manifests).entries()) {
    if (doc.errors.length > 0) {
      throw new Error(`rendered manifests: document ${index + 1} is not valid YAML: ${doc.errors[0]!.message}`);
    }
    const object = doc.toJS() as Manifest | null;
    if (object === null || typeof object !== 'object') continue; // an empty document between two "---"
    kinds.push(String(object.kind));
    if (object.kind !== 'PrometheusRule') continue;
    found++;
    const name = String(object.metadata?.name ?? `document ${index + 1}`);
    if (object.apiVersion !== 'monitoring.coreos.com/v1') {
      throw new Error(`PrometheusRule ${name}: apiVersion ${String(object.apiVersion)}, expected monitoring.coreos.com/v1`);
    }
    const g = object.spec?.groups;
    if (!Array.isArray(g) || g.length === 0) throw new Error(`PrometheusRule ${name}: spec.groups is missing or empty`);
    groups.push(...(g as RuleGroup[]));
  }
  if (found === 0) {
    const seen = kinds.length > 0 ? kinds.join(', ') : 'no objects';
    throw new Error(`no PrometheusRule in the rendered manifests (found: ${seen}); render with prometheusRule.enabled=true`);
  }
  return groups;
}

/** The Prometheus rule file (YAML text) holding the PrometheusRules' groups. */
export function ruleFileFromManifests(manifests: string): string {
  return stringify({ groups: ruleGroupsFromManifests(manifests) }, { lineWidth: 0 });
}

/** Names of the alerting rules in those groups, in order. */
export function alertNames(groups: readonly RuleGroup[]): string[] {
  return groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
}
