// e2e/monitoring's pure parts: the PrometheusRule -> rule file conversion, the DaemonSet's command line,
// and the generated Prometheus config; then both against the chart as e2e/helm renders it with
// e2e/monitoring/alert-test-values.yaml (what the alert e2e test runs).
import { expect } from 'chai';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ALERTS } from '../../e2e/monitoring/alert-checks.js';
import { connectAddress, proxierCommandFromManifests } from '../../e2e/monitoring/chart-proxier-command.js';
import { prometheusConfig } from '../../e2e/monitoring/prometheus-server.js';
import { alertNames, ruleFileFromManifests, ruleGroupsFromManifests, type RuleGroup } from '../../e2e/monitoring/rule-file.js';
import { REPO, render, requireHelm4 } from '../charts/helpers.js';

const RULE = `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: r}
spec:
  groups:
    - name: g
      rules:
        - alert: A
          expr: up == 0
          for: 5s
          labels: {severity: warning}
`;
const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\n';

describe('e2e/monitoring: rule file from rendered manifests', function () {
  it('returns the PrometheusRule\'s groups as a rule file, unchanged, skipping other objects and empty documents', function () {
    const text = ruleFileFromManifests(`---\n# Source: x\n${SERVICE}---\n---\n${RULE}`);
    expect(parse(text)).to.deep.equal({
      groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up == 0', for: '5s', labels: { severity: 'warning' } }] }],
    });
  });

  it('fails naming what it found when there is no PrometheusRule', function () {
    expect(() => ruleFileFromManifests(SERVICE)).to.throw(/no PrometheusRule in the rendered manifests \(found: Service\); render with prometheusRule.enabled=true/);
    expect(() => ruleFileFromManifests('')).to.throw(/no PrometheusRule .*found: no objects/);
  });

  it('fails on a PrometheusRule without groups, and on text that is not YAML', function () {
    expect(() => ruleGroupsFromManifests(RULE.replace(/spec:[\s\S]*/, 'spec: {}\n'))).to.throw(/PrometheusRule r: spec.groups is missing or empty/);
    expect(() => ruleGroupsFromManifests('a: [')).to.throw(/document 1 is not valid YAML/);
  });

  it('lists alert names, not recording rules', function () {
    const groups: RuleGroup[] = [{ name: 'g', rules: [{ record: 'r', expr: '1' }, { alert: 'B', expr: '1' }] }];
    expect(alertNames(groups)).to.deep.equal(['B']);
  });
});

describe('e2e/monitoring: the DaemonSet\'s command line', function () {
  const DS = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: d}
spec:
  template:
    spec:
      containers:
        - name: c
          command: [ipvs-proxier]
          args: ["--hostname-override=$(NODE_NAME)", "--metrics-bind-address=0.0.0.0:10249", "--healthz-bind-address=127.0.0.1:10256", "--x=$(UNSET)", "--y=$$(NODE_NAME)"]
          env:
            - name: NODE_NAME
              valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
            - name: B
              value: "on-$(NODE_NAME)"
`;

  it('fills in the node name and $(VAR)s as the kubelet does, and finds the bind addresses', function () {
    const cmd = proxierCommandFromManifests(`${SERVICE}---\n${DS}`, 'node-7');
    expect(cmd.command).to.deep.equal(['ipvs-proxier']);
    expect(cmd.args).to.deep.equal([
      '--hostname-override=node-7', '--metrics-bind-address=0.0.0.0:10249', '--healthz-bind-address=127.0.0.1:10256', '--x=$(UNSET)', '--y=$(NODE_NAME)',
    ]);
    expect(cmd.env).to.deep.equal({ NODE_NAME: 'node-7', B: 'on-node-7' });
    expect(connectAddress(cmd.metricsBindAddress)).to.equal('127.0.0.1:10249');
    expect(connectAddress(cmd.healthzBindAddress)).to.equal('127.0.0.1:10256');
    expect(connectAddress('[::]:1')).to.equal('[::1]:1');
  });

  it('fails without exactly one DaemonSet', function () {
    expect(() => proxierCommandFromManifests(SERVICE, 'n')).to.throw(/expected one DaemonSet in the rendered manifests, found 0/);
  });
});

describe('e2e/monitoring: the generated Prometheus config', function () {
  it('scrapes the targets every 2 s under the rules\' job name, with the target labels, evaluates every second, and loads the rule file', function () {
    expect(parse(prometheusConfig({ job: 'ipvs-proxier', targets: ['127.0.0.1:10249'], targetLabels: { node: 'node-1' } }, '/t/rules.yaml'))).to.deep.equal({
      global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '1s' },
      rule_files: ['/t/rules.yaml'],
      scrape_configs: [{ job_name: 'ipvs-proxier', static_configs: [{ targets: ['127.0.0.1:10249'], labels: { node: 'node-1' } }] }],
    });
  });
});

describe('e2e/monitoring: the chart rendered with alert-test-values.yaml (e2e/helm)', function () {
  this.timeout(60_000); // helm on a busy machine
  let manifests: string;

  before(function () {
    requireHelm4();
    manifests = render(join(REPO, 'e2e/monitoring/alert-test-values.yaml'));
  });

  it('has every alert the checks wait for, each with a `for` of seconds, selecting the job the test scrapes', function () {
    const groups = ruleGroupsFromManifests(manifests);
    expect(alertNames(groups)).to.have.members(Object.values(ALERTS));
    const exprs = (parse(ruleFileFromManifests(manifests)) as { groups: RuleGroup[] }).groups.flatMap((g) => g.rules.map((r) => r.expr));
    for (const expr of exprs) expect(expr).to.include('job="ipvs-proxier"');
    const fors = Object.fromEntries(groups.flatMap((g) => g.rules).map((r) => [r.alert, r.for]));
    expect(fors).to.deep.equal({
      [ALERTS.down]: '10s', [ALERTS.targetDown]: '10s', [ALERTS.syncStale]: '5s', [ALERTS.syncLatency]: '5s',
      [ALERTS.networkProgrammingLatency]: '5s', [ALERTS.syncErrors]: '5s',
    });
  });

  it('runs the proxier with a 10 s sync period, the legacy iptables backend and the default metrics address', function () {
    const cmd = proxierCommandFromManifests(manifests, 'node-1');
    expect(cmd.args).to.include.members(['--hostname-override=node-1', '--ipvs-sync-period=10s', '--metrics-bind-address=127.0.0.1:10249', '-v', '2']);
    // The chart's IPVS_PROXIER_PROC_SYS is the container's mount of the node's /proc/sys/net: left out for
    // a process on the node, whose own /proc/sys is that.
    expect(manifests).to.contain('IPVS_PROXIER_PROC_SYS');
    expect(cmd.env).to.deep.equal({ NODE_NAME: 'node-1', IPVS_PROXIER_IPTABLES: 'legacy' });
  });
});
