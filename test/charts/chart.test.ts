// charts/ipvs-proxier, rendered by the real Helm 4 (e2e/helm template; NOTES.txt through a client-only
// `helm install --dry-run`), parsed, and checked: `helm lint --strict`, the DaemonSet's flags, privileges,
// probes and volumes, the RBAC, the metrics Service/ServiceMonitor, and the PrometheusRule (its expressions
// here, its behaviour with promtool and test/charts/alerts-test.yaml). Helm, promtool and yamllint are
// installed by e2e/setup: when one is missing its tests fail, saying so, rather than skip.
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  CHART,
  CHART_TESTS,
  REPO,
  type K8sObject,
  helm,
  only,
  parseManifests,
  render,
  renderNotes,
  renderRaw,
  requireHelm4,
  requireOnPath,
  runTool,
} from './helpers.js';
import { parseProxierFlags } from '../../lib/cli/flags.js';

const MONITORING_VALUES = join(CHART_TESTS, 'values-monitoring.yaml');
const FULLNAME = 'release-name-ipvs-proxier';
// The container's securityContext with default values (values.yaml `privileged` says why each part).
const LEAST_PRIVILEGE = { privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } };

function container(objects: K8sObject[]) {
  const ds = only(objects, 'DaemonSet');
  expect(ds.spec.template.spec.containers).to.have.length(1);
  return ds.spec.template.spec.containers[0];
}

function args(objects: K8sObject[]): string[] {
  return container(objects).args as string[];
}

/** Does a ClusterRole grant verb on resource in apiGroup (no wildcards are expected, so none are honoured)? */
function grants(role: K8sObject, apiGroup: string, resource: string, verb: string): boolean {
  return (role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).some(
    (r) => r.apiGroups.includes(apiGroup) && r.resources.includes(resource) && r.verbs.includes(verb),
  );
}

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function alertRules(objects: K8sObject[]): Map<string, AlertRule> {
  const rule = only(objects, 'PrometheusRule');
  const rules = (rule.spec.groups as { name: string; rules: AlertRule[] }[]).flatMap((g) => g.rules);
  return new Map(rules.map((r) => [r.alert, r]));
}

/** PromQL with its layout whitespace collapsed, for comparing expressions. */
function flat(expr: string): string {
  return expr.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
}

function yamllint(text: string): void {
  requireOnPath('yamllint', 'yamllint');
  const dir = mkdtempSync(join(tmpdir(), 'chart-lint-'));
  try {
    const file = join(dir, 'rendered.yaml');
    writeFileSync(file, text);
    const r = runTool('yamllint', ['--strict', '-f', 'parsable', '-c', join(CHART_TESTS, 'yamllint.yaml'), file]);
    expect(r.stdout + r.stderr, 'yamllint findings').to.equal('');
    expect(r.status).to.equal(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('charts/ipvs-proxier (rendered by Helm 4)', function () {
  // One helm run takes ~0.1-0.3 s; this bounds a hung one (helm itself is killed after 120 s).
  this.timeout(150_000);

  before(function () {
    requireHelm4();
  });

  describe('helm lint --strict', function () {
    it('passes with the default values and with monitoring on', function () {
      for (const values of [undefined, MONITORING_VALUES]) {
        const r = helm(['lint', '--strict', CHART], values);
        expect(r.status, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.contain('1 chart(s) linted, 0 chart(s) failed');
      }
    });

    it('fails on values that give objects invalid names (strict turns the warning into a failure)', function () {
      const r = helm(['lint', '--strict', CHART], { fullnameOverride: 'Bad_Name' });
      expect(r.status).to.equal(1);
      expect(r.stdout).to.contain('object name does not conform to Kubernetes naming requirements: "Bad_Name"');
    });

    it("reports a values file that breaks the chart's required rule, and helm template refuses it", function () {
      const dir = mkdtempSync(join(tmpdir(), 'chart-bad-values-'));
      try {
        const bad = join(dir, 'bad-values.yaml');
        writeFileSync(bad, 'serviceAccount:\n  create: false\n');
        const message = 'serviceAccount.name is required when serviceAccount.create is false';
        // Lint renders in Helm's lint mode, where required and fail only log (and do not fail the lint).
        const lint = helm(['lint', '--strict', CHART], bad);
        expect(lint.stdout + lint.stderr).to.contain(message);
        const template = renderRaw(bad);
        expect(template.status).to.equal(1);
        expect(template.stderr).to.contain(`Error: execution error at (ipvs-proxier/templates/daemonset.yaml`);
        expect(template.stderr).to.contain(message);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it("refuses a Kubernetes older than Chart.yaml's kubeVersion (>=1.21)", function () {
    const old = renderRaw(undefined, ['--kube-version', '1.20.15']);
    expect(old.status).to.equal(1);
    expect(old.stderr).to.contain('chart requires kubeVersion: >=1.21.0-0 which is incompatible with Kubernetes v1.20.15');
    expect(renderRaw(undefined, ['--kube-version', '1.35.0']).status).to.equal(0);
  });

  describe('with default values', function () {
    let text: string;
    let objects: K8sObject[];
    before(function () {
      text = render();
      objects = parseManifests(text);
    });

    it('renders the ServiceAccount, RBAC and DaemonSet only, in helm install order', function () {
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal([
        `ServiceAccount/${FULLNAME}`,
        `ClusterRole/${FULLNAME}`,
        `ClusterRoleBinding/${FULLNAME}`,
        `DaemonSet/${FULLNAME}`,
      ]);
    });

    it("passes kube-proxy's flags with kube-proxy's defaults, and the node name as --hostname-override", function () {
      expect(args(objects)).to.deep.equal([
        '--hostname-override=$(NODE_NAME)',
        '--ipvs-scheduler=rr',
        '--ipvs-sync-period=30s',
        '--ipvs-min-sync-period=0s',
        '--metrics-bind-address=127.0.0.1:10249',
        '--healthz-bind-address=0.0.0.0:10256',
        '-v',
        '0',
      ]);
      const c = container(objects);
      expect(c.command).to.deep.equal(['ipvs-proxier']);
      expect(c.image).to.equal('ipvs-proxier:0.1.0');
      expect(c.env).to.deep.include({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    });

    it('runs on the host network, not privileged (NET_ADMIN only), node-critical, on every Linux node whatever its taints', function () {
      const ds = only(objects, 'DaemonSet');
      const pod = ds.spec.template.spec;
      expect(pod.hostNetwork).to.equal(true);
      expect(pod.dnsPolicy).to.equal('ClusterFirstWithHostNet');
      expect(pod.priorityClassName).to.equal('system-node-critical');
      expect(pod.tolerations).to.deep.equal([{ operator: 'Exists' }]);
      expect(pod.nodeSelector).to.deep.equal({ 'kubernetes.io/os': 'linux' });
      expect(pod.serviceAccountName).to.equal(FULLNAME);
      expect(pod.initContainers).to.equal(undefined);
      expect(container(objects).securityContext).to.deep.equal(LEAST_PRIVILEGE);
      expect(ds.spec.updateStrategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    });

    it('selects its own pods: the selector labels are on the pod template', function () {
      const ds = only(objects, 'DaemonSet');
      const selector = ds.spec.selector.matchLabels as Record<string, string>;
      expect(Object.keys(selector)).to.have.length.greaterThan(0);
      expect(ds.spec.template.metadata.labels).to.include(selector);
    });

    it('probes liveness on /livez and readiness on /healthz, port 10256', function () {
      const c = container(objects);
      expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/livez', port: 10256, scheme: 'HTTP' });
      expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 10256, scheme: 'HTTP' });
      expect(c.livenessProbe.failureThreshold).to.be.a('number');
      expect(c.ports).to.deep.equal([{ name: 'healthz', containerPort: 10256, protocol: 'TCP' }]);
    });

    it("mounts the node's /proc/sys/net writable for the sysctls (IPVS_PROXIER_PROC_SYS) and /run/xtables.lock (FileOrCreate); no /lib/modules", function () {
      const ds = only(objects, 'DaemonSet');
      expect(ds.spec.template.spec.volumes).to.deep.equal([
        { name: 'proc-sys-net', hostPath: { path: '/proc/sys/net', type: 'Directory' } },
        { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
      ]);
      expect(container(objects).env).to.deep.include({ name: 'IPVS_PROXIER_PROC_SYS', value: '/host/proc/sys' });
      expect(container(objects).volumeMounts).to.deep.equal([
        { name: 'proc-sys-net', mountPath: '/host/proc/sys/net' },
        { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
      ]);
    });

    it('grants list/watch on services, endpointslices and nodes, events create/patch, and nothing wider', function () {
      const role = only(objects, 'ClusterRole');
      for (const verb of ['get', 'list', 'watch']) {
        expect(grants(role, '', 'services', verb), `services ${verb}`).to.equal(true);
        expect(grants(role, '', 'nodes', verb), `nodes ${verb}`).to.equal(true);
        expect(grants(role, 'discovery.k8s.io', 'endpointslices', verb), `endpointslices ${verb}`).to.equal(true);
      }
      for (const verb of ['create', 'patch']) {
        expect(grants(role, '', 'events', verb)).to.equal(true);
        expect(grants(role, 'events.k8s.io', 'events', verb)).to.equal(true);
      }
      expect(grants(role, '', 'services', 'update'), 'no writes to services').to.equal(false);
      expect(grants(role, '', 'secrets', 'get'), 'no secrets').to.equal(false);
      expect(JSON.stringify(role.rules)).not.to.contain('*');

      const binding = only(objects, 'ClusterRoleBinding');
      expect(binding.roleRef).to.deep.equal({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: FULLNAME });
      expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: FULLNAME, namespace: 'default' }]);
      expect(only(objects, 'ServiceAccount').metadata.name).to.equal(FULLNAME);
    });

    it('passes yamllint', function () {
      yamllint(text);
    });
  });

  describe('privileges from values', function () {
    const securityContexts = (values: object): { daemonSet: unknown; cleanup: unknown } => {
      const cleanup = JSON.parse(renderNotes(values).match(/--overrides='([^']+)'/)![1]!) as { spec: { containers: Array<{ securityContext: unknown }> } };
      return { daemonSet: container(parseManifests(render(values))).securityContext, cleanup: cleanup.spec.containers[0]!.securityContext };
    };
    const capabilities = (add: string[]) => ({ ...LEAST_PRIVILEGE, capabilities: { drop: ['ALL'], add } });

    it('adds NET_RAW for the legacy iptables backend (its raw socket), and nothing for nft', function () {
      const legacy = securityContexts({ extraEnv: [{ name: 'IPVS_PROXIER_IPTABLES', value: 'legacy' }] });
      expect(legacy.daemonSet).to.deep.equal(capabilities(['NET_ADMIN', 'NET_RAW']));
      expect(legacy.cleanup, 'the cleanup pod of NOTES.txt').to.deep.equal(legacy.daemonSet);
      expect(securityContexts({ extraEnv: [{ name: 'IPVS_PROXIER_IPTABLES', value: 'nft' }] }).daemonSet).to.deep.equal(LEAST_PRIVILEGE);
    });

    it('adds extraCapabilities once each', function () {
      const extra = securityContexts({ extraCapabilities: ['SYS_MODULE', 'NET_ADMIN'] });
      expect(extra.daemonSet).to.deep.equal(capabilities(['NET_ADMIN', 'SYS_MODULE']));
      expect(extra.cleanup).to.deep.equal(extra.daemonSet);
    });

    it('runs privileged, as before, with privileged: true (the cleanup pod too)', function () {
      const privileged = securityContexts({ privileged: true, extraCapabilities: ['SYS_MODULE'] });
      expect(privileged.daemonSet).to.deep.equal({ privileged: true });
      expect(privileged.cleanup).to.deep.equal({ privileged: true });
    });
  });

  describe('flags and settings from values', function () {
    it('passes every flag that is set, in the form the binary parses', function () {
      const objects = parseManifests(
        render({
          kubeconfig: '/etc/ipvs-proxier/kubeconfig',
          master: 'https://10.0.0.10:6443',
          clusterCIDR: '10.244.0.0/16,fd00:10:244::/56',
          masqueradeAll: true,
          ipvs: { scheduler: 'lc', strictARP: true, excludeCIDRs: ['10.50.0.0/16', '10.51.0.0/16'], syncPeriod: '1m', minSyncPeriod: '2s' },
          nodePortAddresses: ['192.168.0.0/24'],
          healthzBindAddress: '127.0.0.1:12345',
          verbosity: 4,
          extraArgs: ['--ipvs-tcp-timeout=900s'],
        }),
      );
      expect(args(objects)).to.deep.equal([
        '--hostname-override=$(NODE_NAME)',
        '--kubeconfig=/etc/ipvs-proxier/kubeconfig',
        '--master=https://10.0.0.10:6443',
        '--cluster-cidr=10.244.0.0/16,fd00:10:244::/56',
        '--masquerade-all',
        '--ipvs-scheduler=lc',
        '--ipvs-strict-arp',
        '--ipvs-exclude-cidrs=10.50.0.0/16,10.51.0.0/16',
        '--ipvs-sync-period=1m',
        '--ipvs-min-sync-period=2s',
        '--nodeport-addresses=192.168.0.0/24',
        '--metrics-bind-address=127.0.0.1:10249',
        '--healthz-bind-address=127.0.0.1:12345',
        '-v',
        '4',
        '--ipvs-tcp-timeout=900s',
      ]);
      // A health server bound to one address is probed there, on its port.
      const c = container(objects);
      expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/livez', port: 12345, host: '127.0.0.1', scheme: 'HTTP' });
      expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 12345, host: '127.0.0.1', scheme: 'HTTP' });
      expect(c.ports).to.deep.equal([{ name: 'healthz', containerPort: 12345, protocol: 'TCP' }]);
    });

    describe('kubeProxyConfig.configMapName: an existing kube-proxy ConfigMap as --config', function () {
      const KUBEADM_IPVS = readFileSync(join(REPO, 'test/fixtures/kube-proxy/kubeadm-ipvs.conf'), 'utf8');

      it("mounts the whole ConfigMap where kubeadm does and leaves the file's settings to the file", function () {
        const text = render({ kubeProxyConfig: { configMapName: 'kube-proxy' } });
        const objects = parseManifests(text);
        // Only what the chart must decide: the node name, and the health port its probes use.
        expect(args(objects)).to.deep.equal([
          '--config=/var/lib/kube-proxy/config.conf',
          '--hostname-override=$(NODE_NAME)',
          '--healthz-bind-address=0.0.0.0:10256',
        ]);
        const pod = only(objects, 'DaemonSet').spec.template.spec;
        expect(pod.volumes).to.deep.include({ name: 'kube-proxy-config', configMap: { name: 'kube-proxy' } });
        expect(container(objects).volumeMounts).to.deep.include({ name: 'kube-proxy-config', mountPath: '/var/lib/kube-proxy', readOnly: true });
        yamllint(text);

        // The binary takes these args with kubeadm's config.conf at the mounted path: its settings, the
        // chart's node name and health address.
        const read: string[] = [];
        const parsed = parseProxierFlags(
          (args(objects) as string[]).map((a) => a.replace('$(NODE_NAME)', 'node-1')),
          () => 'unused',
          (path) => {
            read.push(path);
            return KUBEADM_IPVS;
          },
        );
        expect(read).to.deep.equal(['/var/lib/kube-proxy/config.conf']);
        if (parsed.kind !== 'run') throw new Error('expected a run');
        expect(parsed.flags).to.deep.include({
          kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf',
          hostname: 'node-1',
          clusterCIDRs: ['10.244.0.0/16'],
          scheduler: 'rr',
          healthzBindAddress: { host: '0.0.0.0', port: 10256 },
          metricsBindAddress: { host: '127.0.0.1', port: 10249 },
        });
        expect(parsed.config?.warnings).to.deep.equal([]);
      });

      it('still passes the values that are empty by default when set, the scraped metrics address, and its key', function () {
        const objects = parseManifests(
          render({
            kubeProxyConfig: { configMapName: 'kube-proxy', key: 'kube-proxy.yaml' },
            clusterCIDR: '10.244.0.0/16',
            masqueradeAll: true,
            ipvs: { strictARP: true, scheduler: 'lc' },
            serviceMonitor: { enabled: true },
            extraArgs: ['-v=4'],
          }),
        );
        expect(args(objects)).to.deep.equal([
          '--config=/var/lib/kube-proxy/kube-proxy.yaml',
          '--hostname-override=$(NODE_NAME)',
          '--cluster-cidr=10.244.0.0/16',
          '--masquerade-all',
          '--ipvs-strict-arp',
          '--metrics-bind-address=0.0.0.0:10249',
          '--healthz-bind-address=0.0.0.0:10256',
          '-v=4',
        ]);
        const r = renderRaw({ kubeProxyConfig: { configMapName: 'kube-proxy', key: '' } });
        expect(r.status).to.equal(1);
        expect(r.stderr).to.contain('kubeProxyConfig.key is required with kubeProxyConfig.configMapName');
      });

      it('says in NOTES where the configuration comes from, and drops the ClusterIP warning (the file names the API server)', function () {
        const notes = renderNotes({ kubeProxyConfig: { configMapName: 'kube-proxy' } });
        expect(notes).to.contain('The proxier runs with --config from the ConfigMap default/kube-proxy (key config.conf).');
        expect(notes).not.to.contain('neither master nor kubeconfig is set');
      });
    });

    it('pulls by digest when one is given, by the given tag otherwise', function () {
      expect(container(parseManifests(render({ image: { repository: 'registry.example/ipvs-proxier', tag: '0.2.0' } }))).image).to.equal(
        'registry.example/ipvs-proxier:0.2.0',
      );
      const digest = 'sha256:' + 'a'.repeat(64);
      expect(container(parseManifests(render({ image: { digest } }))).image).to.equal(`ipvs-proxier@${digest}`);
    });

    it('uses an existing ServiceAccount when told to, and requires its name', function () {
      const objects = parseManifests(render({ serviceAccount: { create: false, name: 'kube-proxy' } }));
      expect(objects.map((o) => o.kind)).not.to.include('ServiceAccount');
      expect(only(objects, 'DaemonSet').spec.template.spec.serviceAccountName).to.equal('kube-proxy');
      expect(only(objects, 'ClusterRoleBinding').subjects[0].name).to.equal('kube-proxy');

      const r = renderRaw({ serviceAccount: { create: false } });
      expect(r.status).to.equal(1);
      expect(r.stderr).to.contain('serviceAccount.name is required when serviceAccount.create is false');
    });

    it('drops a default with a null override (helm semantics), and merges maps key by key', function () {
      const objects = parseManifests(render({ resources: null, nodeSelector: { 'node-role.example/proxy': 'true' } }));
      expect(container(objects).resources).to.equal(undefined);
      expect(only(objects, 'DaemonSet').spec.template.spec.nodeSelector).to.deep.equal({
        'kubernetes.io/os': 'linux',
        'node-role.example/proxy': 'true',
      });
    });

    it('leaves RBAC out when rbac.create is false', function () {
      const kinds = parseManifests(render({ rbac: { create: false } })).map((o) => o.kind);
      expect(kinds).to.deep.equal(['ServiceAccount', 'DaemonSet']);
    });
  });

  describe('with serviceMonitor and prometheusRule enabled', function () {
    let text: string;
    let objects: K8sObject[];
    before(function () {
      text = render(MONITORING_VALUES);
      objects = parseManifests(text);
    });

    it('binds metrics on all addresses and exposes them through a headless Service the ServiceMonitor selects', function () {
      expect(args(objects)).to.include('--metrics-bind-address=0.0.0.0:10249');
      expect(args(objects)).not.to.include('--metrics-bind-address=127.0.0.1:10249');
      expect(container(objects).ports).to.deep.include({ name: 'metrics', containerPort: 10249, protocol: 'TCP' });

      const svc = only(objects, 'Service');
      expect(svc.spec.clusterIP).to.equal('None');
      expect(svc.spec.ports).to.deep.equal([{ name: 'metrics', port: 10249, targetPort: 'metrics', protocol: 'TCP' }]);
      expect(only(objects, 'DaemonSet').spec.template.metadata.labels).to.include(svc.spec.selector);

      const sm = only(objects, 'ServiceMonitor');
      expect(sm.apiVersion).to.equal('monitoring.coreos.com/v1');
      expect(sm.metadata.labels).to.include({ release: 'kube-prometheus-stack' });
      expect(svc.metadata.labels).to.include(sm.spec.selector.matchLabels);
      expect(sm.spec.namespaceSelector).to.deep.equal({ matchNames: ['default'] });
      const endpoint = sm.spec.endpoints[0];
      expect(endpoint.port).to.equal('metrics');
      expect(endpoint.relabelings).to.deep.include({ action: 'replace', targetLabel: 'job', replacement: 'ipvs-proxier' });
      expect(endpoint.relabelings).to.deep.include({
        action: 'replace',
        sourceLabels: ['__meta_kubernetes_pod_node_name'],
        targetLabel: 'node',
      });
    });

    it('binds [::] when an IPv6 metrics address is configured', function () {
      const objects = parseManifests(render({ metricsBindAddress: '[::1]:10249', serviceMonitor: { enabled: true } }));
      expect(args(objects)).to.include('--metrics-bind-address=[::]:10249');
    });

    it('metricsService alone gives the Service and the 0.0.0.0 bind without a ServiceMonitor', function () {
      const objects = parseManifests(render({ metricsService: { enabled: true } }));
      expect(objects.map((o) => o.kind)).to.deep.equal(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Service', 'DaemonSet']);
      expect(args(objects)).to.include('--metrics-bind-address=0.0.0.0:10249');
    });

    it('alerts on what an operator pages on, with these expressions', function () {
      const rules = alertRules(objects);
      expect([...rules.keys()]).to.deep.equal([
        'IpvsProxierDown',
        'IpvsProxierTargetDown',
        'IpvsProxierSyncStale',
        'IpvsProxierSyncLatencyHigh',
        'IpvsProxierNetworkProgrammingLatencyHigh',
        'IpvsProxierSyncErrors',
      ]);
      const sel = '{job="ipvs-proxier"}';
      expect(flat(rules.get('IpvsProxierDown')!.expr)).to.equal(`absent(up${sel} == 1)`);
      expect(flat(rules.get('IpvsProxierTargetDown')!.expr)).to.equal(`up${sel} == 0`);
      // 4 sync periods of 30 s, and only while a queued change is waiting.
      expect(flat(rules.get('IpvsProxierSyncStale')!.expr)).to.equal(
        `(time() - kubeproxy_sync_proxy_rules_last_timestamp_seconds${sel} > 120) and ` +
          `(kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds${sel} > kubeproxy_sync_proxy_rules_last_timestamp_seconds${sel})`,
      );
      expect(flat(rules.get('IpvsProxierSyncLatencyHigh')!.expr)).to.equal(
        `histogram_quantile(0.99, sum by (job, instance, node, le) (rate(kubeproxy_sync_proxy_rules_duration_seconds_bucket${sel}[5m]))) > 5`,
      );
      expect(flat(rules.get('IpvsProxierNetworkProgrammingLatencyHigh')!.expr)).to.equal(
        `histogram_quantile(0.99, sum by (job, instance, node, le) (rate(kubeproxy_network_programming_duration_seconds_bucket${sel}[5m]))) > 30`,
      );
      expect(flat(rules.get('IpvsProxierSyncErrors')!.expr)).to.equal(`increase(ipvs_proxier_sync_errors_total${sel}[5m]) > 0`);

      const severities = Object.fromEntries([...rules].map(([name, r]) => [name, r.labels.severity]));
      expect(severities).to.deep.equal({
        IpvsProxierDown: 'critical',
        IpvsProxierTargetDown: 'warning',
        IpvsProxierSyncStale: 'critical',
        IpvsProxierSyncLatencyHigh: 'warning',
        IpvsProxierNetworkProgrammingLatencyHigh: 'warning',
        IpvsProxierSyncErrors: 'warning',
      });
      for (const r of rules.values()) {
        expect(r.labels.team, r.alert).to.equal('network');
        expect(r.for, r.alert).to.match(/^\d+m$/);
        expect(r.annotations.summary, r.alert).to.be.a('string').and.not.equal('');
        expect(r.annotations.description, r.alert).to.be.a('string').and.not.equal('');
        expect(r.annotations.runbook_url, r.alert).to.equal(undefined);
      }
      expect(only(objects, 'PrometheusRule').metadata.labels).to.include({ release: 'kube-prometheus-stack' });
    });

    it('derives the stale-sync threshold from ipvs.syncPeriod (Go durations)', function () {
      const stale = (syncPeriod: string, staleSyncPeriods: number) =>
        flat(
          alertRules(
            parseManifests(render({ ipvs: { syncPeriod }, prometheusRule: { enabled: true, alerts: { syncStale: { staleSyncPeriods } } } })),
          ).get('IpvsProxierSyncStale')!.expr,
        ).match(/_last_timestamp_seconds\{job="ipvs-proxier"\} > ([0-9.e+]+)\)/)?.[1];
      expect(stale('1m30s', 3)).to.equal('270');
      expect(stale('500ms', 4)).to.equal('2');
      expect(stale('1h', 2)).to.equal('7200');
      expect(stale('45s', 2.5)).to.equal('112.5');

      const bad = renderRaw({ ipvs: { syncPeriod: '30 seconds' }, prometheusRule: { enabled: true } });
      expect(bad.status).to.equal(1);
      expect(bad.stderr).to.contain('"30 seconds" is not a duration');
    });

    it('refuses latency thresholds the histograms cannot exceed', function () {
      const sync = renderRaw({ prometheusRule: { enabled: true, alerts: { syncLatency: { p99Seconds: 20 } } } });
      expect(sync.status).to.equal(1);
      expect(sync.stderr).to.contain('p99Seconds must be below 16.384');
      const npl = renderRaw({ prometheusRule: { enabled: true, alerts: { networkProgrammingLatency: { p99Seconds: 300 } } } });
      expect(npl.status).to.equal(1);
      expect(npl.stderr).to.contain('p99Seconds must be below 300');
      expect(renderRaw({ prometheusRule: { enabled: true, alerts: { syncLatency: { p99Seconds: 16 } } } }).status).to.equal(0);
    });

    it('follows the job name, a custom selector, runbooks, disabled alerts and extra rules', function () {
      const asKubeProxy = parseManifests(render({ serviceMonitor: { enabled: true, jobName: 'kube-proxy' }, prometheusRule: { enabled: true } }));
      expect(only(asKubeProxy, 'ServiceMonitor').spec.endpoints[0].relabelings[0].replacement).to.equal('kube-proxy');
      expect(alertRules(asKubeProxy).get('IpvsProxierTargetDown')!.expr).to.equal('up{job="kube-proxy"} == 0');

      const custom = alertRules(
        parseManifests(
          render({
            prometheusRule: {
              enabled: true,
              selector: 'job="ipvs", cluster="prod"',
              runbookUrlBase: 'https://runbooks.example/ipvs-proxier/',
              alerts: { targetDown: { enabled: false } },
              extraRules: [{ alert: 'Extra', expr: 'vector(1)', labels: { severity: 'info' } }],
            },
          }),
        ),
      );
      expect(custom.has('IpvsProxierTargetDown')).to.equal(false);
      expect(custom.get('IpvsProxierDown')!.expr).to.equal('absent(up{job="ipvs", cluster="prod"} == 1)');
      expect(custom.get('IpvsProxierSyncStale')!.annotations.runbook_url).to.equal('https://runbooks.example/ipvs-proxier#ipvsproxiersyncstale');
      expect(custom.get('Extra')).to.deep.equal({ alert: 'Extra', expr: 'vector(1)', labels: { severity: 'info' } });
    });

    it('passes yamllint', function () {
      yamllint(text);
    });

    describe('promtool', function () {
      let dir: string;
      before(function () {
        requireOnPath('promtool', 'prometheus');
        dir = mkdtempSync(join(tmpdir(), 'chart-rules-'));
        // JSON is YAML: the groups exactly as the PrometheusRule carries them.
        writeFileSync(join(dir, 'rules.yaml'), JSON.stringify({ groups: only(objects, 'PrometheusRule').spec.groups }, null, 1));
        copyFileSync(join(CHART_TESTS, 'alerts-test.yaml'), join(dir, 'alerts-test.yaml'));
      });
      after(function () {
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it('accepts the rules (promtool check rules)', function () {
        const r = runTool('promtool', ['check', 'rules', 'rules.yaml'], dir);
        expect(r.status, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.contain('SUCCESS: 6 rules found');
      });

      it('fires each alert on its failure and not on healthy nodes (promtool test rules alerts-test.yaml)', function () {
        const r = runTool('promtool', ['test', 'rules', 'alerts-test.yaml'], dir);
        expect(r.status, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.contain('SUCCESS');
      });
    });
  });

  describe('NOTES.txt (as helm install prints it)', function () {
    const notesOf = renderNotes;

    it('tells how to check a node with ipvsadm, how to uninstall, and that --cleanup exists', function () {
      const notes = notesOf();
      expect(notes).to.contain('ipvsadm -Ln');
      expect(notes).to.contain('kubectl -n default rollout status daemonset/release-name-ipvs-proxier');
      expect(notes).to.contain('helm -n default uninstall release-name');
      expect(notes).to.contain('ipvs-proxier --cleanup');
      // The cleanup pod spec in the example command is valid JSON that runs --cleanup on the host network, as little privileged as the DaemonSet.
      const overrides = notes.match(/--overrides='([^']+)'/)?.[1];
      expect(overrides, 'cleanup example').to.be.a('string');
      const pod = JSON.parse(overrides!);
      expect(pod.spec.hostNetwork).to.equal(true);
      expect(pod.spec.containers[0].command).to.deep.equal(['ipvs-proxier', '--cleanup']);
      expect(pod.spec.containers[0].securityContext).to.deep.equal(LEAST_PRIVILEGE);
    });

    it('warns when the API server is only reachable through a ClusterIP', function () {
      expect(notesOf()).to.contain('neither master nor kubeconfig is set');
      expect(notesOf({ master: 'https://10.0.0.10:6443' })).not.to.contain('neither master nor kubeconfig is set');
    });

    it('warns when alerts are on but nothing can scrape the metrics', function () {
      const warning = 'IpvsProxierDown will fire';
      expect(notesOf({ prometheusRule: { enabled: true } })).to.contain(warning);
      expect(notesOf({ prometheusRule: { enabled: true }, serviceMonitor: { enabled: true } })).not.to.contain(warning);
    });
  });
});

// Needs no Helm: the chart's README documents every value and every alert.
describe('charts/ipvs-proxier/README.md', function () {
  it('documents every value of values.yaml', function () {
    const chart = join(REPO, 'charts/ipvs-proxier');
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const readme = readFileSync(join(chart, 'README.md'), 'utf8');
    // Sections whose keys are settings of their own; the rest (resources, probes, ...) are documented whole.
    const sections = ['image', 'kubeProxyConfig', 'ipvs', 'serviceAccount', 'rbac', 'metricsService', 'serviceMonitor', 'prometheusRule'];
    const paths: string[] = [];
    for (const [key, value] of Object.entries(values)) {
      if (!sections.includes(key)) paths.push(key);
      else for (const sub of Object.keys(value as object)) if (sub !== 'alerts') paths.push(`${key}.${sub}`);
    }
    const undocumented = paths.filter((p) => !readme.includes(`\`${p}\``));
    expect(undocumented).to.deep.equal([]);
    const alerts = Object.keys((values.prometheusRule as { alerts: object }).alerts);
    expect(alerts.filter((a) => !readme.includes(`(\`${a}\`)`))).to.deep.equal([]);
  });
});
