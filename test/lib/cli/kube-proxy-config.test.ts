import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { KubeProxyConfigError, parseKubeProxyConfig } from '../../../lib/cli/kube-proxy-config.js';

const KUBEADM_IPVS = readFileSync(new URL('../../../../test/fixtures/kube-proxy/kubeadm-ipvs.conf', import.meta.url), 'utf8');

const HEAD = { apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', mode: 'ipvs' };

/** A configuration with kube-proxy's type header and mode: ipvs, plus `fields`, as YAML. */
function yaml(fields: object): string {
  return stringify({ ...HEAD, ...fields });
}

function refused(text: string): KubeProxyConfigError {
  try {
    parseKubeProxyConfig(text);
  } catch (err) {
    expect(err).to.be.instanceOf(KubeProxyConfigError);
    return err as KubeProxyConfigError;
  }
  throw new Error(`accepted:\n${text}`);
}

describe('kube-proxy configuration file (KubeProxyConfiguration v1alpha1)', () => {
  it("reads kubeadm's config.conf for mode: ipvs: its kubeconfig and pod CIDR, zeros as defaults, no warnings", () => {
    const { flags, warnings } = parseKubeProxyConfig(KUBEADM_IPVS);
    // syncPeriod 0s, scheduler "", the empty server addresses and every null mean "kube-proxy's default":
    // they set nothing, so the defaults (ours are kube-proxy's) apply.
    expect(flags).to.deep.equal({
      kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf',
      clusterCIDRs: ['10.244.0.0/16'],
      masqueradeAll: false,
      minSyncPeriodMs: 0,
      strictARP: false,
      tcpTimeoutMs: 0,
      tcpFinTimeoutMs: 0,
      udpTimeoutMs: 0,
      verbosity: 0,
    });
    expect(warnings).to.deep.equal([]);
  });

  it('reads every honoured field, in the forms kube-proxy accepts', () => {
    const { flags, warnings } = parseKubeProxyConfig(`
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ipvs
hostnameOverride: " Node-1 "
bindAddress: 0.0.0.0
healthzBindAddress: 0.0.0.0          # a bare IP takes the default port
metricsBindAddress: 0.0.0.0:10249
clientConnection:
  kubeconfig: /etc/kube-proxy/kubeconfig
  qps: 5
  burst: 10
clusterCIDR: 10.244.0.0/16,fd00:10:244::/56
detectLocalMode: ClusterCIDR
nodePortAddresses: [primary]
iptables:
  masqueradeAll: true
  masqueradeBit: 14
ipvs:
  scheduler: lc
  syncPeriod: 1m0s
  minSyncPeriod: 5s
  excludeCIDRs: [10.50.0.0/16, 192.168.1.7/24]
  strictARP: yes                     # YAML 1.1, as Kubernetes' decoder reads it
  tcpTimeout: 15m0s
  tcpFinTimeout: 2m
  udpTimeout: 300ms
logging:
  verbosity: 4
`);
    expect(flags).to.deep.equal({
      kubeconfig: '/etc/kube-proxy/kubeconfig',
      hostname: 'node-1',
      healthzBindAddress: { host: '0.0.0.0', port: 10256 },
      metricsBindAddress: { host: '0.0.0.0', port: 10249 },
      clusterCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56'],
      masqueradeAll: true,
      syncPeriodMs: 60_000,
      minSyncPeriodMs: 5_000,
      scheduler: 'lc',
      excludeCIDRs: ['10.50.0.0/16', '192.168.1.0/24'],
      strictARP: true,
      tcpTimeoutMs: 900_000,
      tcpFinTimeoutMs: 120_000,
      udpTimeoutMs: 300,
      nodePortAddresses: ['primary'],
      verbosity: 4,
    });
    expect(warnings).to.deep.equal([]);
  });

  it('reads the JSON form', () => {
    const { flags } = parseKubeProxyConfig(
      '{"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration", "mode": "ipvs",' +
        ' "ipvs": {"scheduler": "wrr", "syncPeriod": "45s", "strictARP": true, "excludeCIDRs": ["10.0.0.0/8"]},' +
        ' "nodePortAddresses": ["192.168.122.0/24", "fd00::/64"], "metricsBindAddress": "[::]:9100"}',
    );
    expect(flags).to.deep.equal({
      scheduler: 'wrr',
      syncPeriodMs: 45_000,
      strictARP: true,
      excludeCIDRs: ['10.0.0.0/8'],
      nodePortAddresses: ['192.168.122.0/24', 'fd00::/64'],
      metricsBindAddress: { host: '::', port: 9100 },
    });
  });

  it("follows an IPv6 bindAddress for the default server addresses, as kube-proxy's defaulting does", () => {
    expect(parseKubeProxyConfig(yaml({ bindAddress: '::' })).flags).to.deep.equal({
      healthzBindAddress: { host: '::', port: 10256 },
      metricsBindAddress: { host: '::1', port: 10249 },
    });
    // A bare IPv6 address gets the default port too.
    expect(parseKubeProxyConfig(yaml({ healthzBindAddress: 'fd00::1' })).flags.healthzBindAddress).to.deep.equal({ host: 'fd00::1', port: 10256 });
  });

  it('warns, naming each field and its value, for what kube-proxy would do and ipvs-proxier does not', () => {
    const { flags, warnings } = parseKubeProxyConfig(
      yaml({
        mode: '',
        bindAddress: '192.168.122.10',
        featureGates: { SomeGate: true },
        enableProfiling: true,
        showHiddenMetricsForVersion: '1.31',
        oomScoreAdj: -999,
        clientConnection: { qps: 50, burst: 100 },
        iptables: { snatNodeInternalIP: true },
        conntrack: {
          maxPerCore: 32768, min: 131072, tcpEstablishedTimeout: '24h0m0s', tcpCloseWaitTimeout: '1h0m0s', tcpBeLiberal: true,
          udpTimeout: '30s', udpStreamTimeout: '0s',
        },
        logging: { vmodule: [{ filePattern: 'proxier*', verbosity: 5 }] },
        udpIdleTimeout: '250ms',
      }),
    );
    expect(flags).to.deep.equal({});
    expect(warnings).to.deep.equal([
      'mode is empty (kube-proxy would run its default, iptables); ipvs-proxier runs IPVS and reads the ipvs section',
      "clientConnection.qps (50) is not supported and is ignored: ipvs-proxier's API client is not rate-limited (one list and one watch per resource)",
      "clientConnection.burst (100) is not supported and is ignored: ipvs-proxier's API client is not rate-limited (one list and one watch per resource)",
      "bindAddress (192.168.122.10) is not supported and is ignored: kube-proxy's override of the node IP; ipvs-proxier takes the node IPs from the Node's InternalIPs",
      'iptables.snatNodeInternalIP (true) is not supported and is ignored: masqueraded traffic leaves with the address of its egress interface',
      'logging.vmodule ([{"filePattern":"proxier*","verbosity":5}]) is not supported and is ignored: one verbosity for the whole process (logging.verbosity, -v)',
      'featureGates.SomeGate (true) is not supported and is ignored: ipvs-proxier has no feature gates',
      'enableProfiling (true) is not supported and is ignored: no /debug/pprof handlers are served',
      'showHiddenMetricsForVersion (1.31) is not supported and is ignored: ipvs-proxier has no hidden metrics',
      'oomScoreAdj (-999) is not supported and is ignored: ipvs-proxier does not change its OOM score (the chart runs it as a system-node-critical pod)',
      'conntrack.maxPerCore (32768) is not supported and is ignored: ipvs-proxier does not set nf_conntrack_max (set it on the node)',
      'conntrack.min (131072) is not supported and is ignored: ipvs-proxier does not set nf_conntrack_max (set it on the node)',
      'conntrack.tcpEstablishedTimeout (24h0m0s) is not supported and is ignored: ipvs-proxier does not set nf_conntrack_tcp_timeout_established (set it on the node)',
      'conntrack.tcpCloseWaitTimeout (1h0m0s) is not supported and is ignored: ipvs-proxier does not set nf_conntrack_tcp_timeout_close_wait (set it on the node)',
      'conntrack.udpTimeout (30s) is not supported and is ignored: ipvs-proxier does not set nf_conntrack_udp_timeout (set it on the node)',
      'conntrack.tcpBeLiberal (true) is not supported and is ignored: ipvs-proxier does not set nf_conntrack_tcp_be_liberal (set it on the node)',
      "udpIdleTimeout was removed from kube-proxy's configuration and is ignored",
    ]);
  });

  it('ignores, without a warning, what kube-proxy ignores in IPVS mode too, but still checks its type', () => {
    const other = {
      iptables: { syncPeriod: '10s', minSyncPeriod: '1s', localhostNodePorts: true },
      nftables: { masqueradeAll: true, masqueradeBit: 14, syncPeriod: '30s', minSyncPeriod: '1s' },
      winkernel: { networkName: 'l2bridge', sourceVip: '10.0.0.1', enableDSR: true, rootHnsEndpointName: 'cbr0', forwardHealthCheckVip: true },
      detectLocal: { bridgeInterface: 'cni0', interfaceNamePrefix: 'veth' },
      configSyncPeriod: '15m0s',
      portRange: '',
      bindAddressHardFail: true,
      windowsRunAsService: false,
      clientConnection: { contentType: 'application/vnd.kubernetes.protobuf', acceptContentTypes: '' },
      logging: { format: 'json', flushFrequency: '5s', options: { json: { infoBufferSize: '0' } } },
    };
    expect(parseKubeProxyConfig(yaml(other))).to.deep.equal({ flags: {}, warnings: [] });
    expect(refused(yaml({ iptables: { syncPeriod: 'ten seconds' } })).field).to.equal('iptables.syncPeriod');
    expect(refused(yaml({ winkernel: { enableDSR: 'sure' } })).field).to.equal('winkernel.enableDSR');
  });

  it('warns about keys it does not know, naming their paths, and still reads the rest (kube-proxy decodes v1alpha1 leniently too)', function () {
    const r = parseKubeProxyConfig(yaml({ clusterCidr: '10.244.0.0/16', ipvs: { schedular: 'lc', scheduler: 'sh' }, conntrack: { maxPerCPU: 'x' } }));
    expect(r.flags.scheduler).to.equal('sh');
    expect(r.warnings.filter((w) => w.includes('is not a KubeProxyConfiguration field ipvs-proxier knows'))).to.have.length(3);
    expect(r.warnings.join('\n')).to.match(/^clusterCidr is not a KubeProxyConfiguration field/m)
      .and.to.match(/^ipvs\.schedular is not .* \(a typo\? known here: syncPeriod, minSyncPeriod, scheduler/m)
      .and.to.match(/^conntrack\.maxPerCPU is not/m);
  });

  const bad: [string, string, string, RegExp][] = [
    ['an unknown apiVersion', stringify({ ...HEAD, apiVersion: 'kubeproxy.config.k8s.io/v1alpha2' }), 'apiVersion', /"kubeproxy.config.k8s.io\/v1alpha2" is not supported \(want kubeproxy.config.k8s.io\/v1alpha1\)/],
    ['no apiVersion', stringify({ kind: 'KubeProxyConfiguration', mode: 'ipvs' }), 'apiVersion', /missing/],
    ['another kind', stringify({ ...HEAD, kind: 'KubeletConfiguration' }), 'kind', /"KubeletConfiguration" is not supported \(want KubeProxyConfiguration\)/],
    ['mode iptables', yaml({ mode: 'iptables' }), 'mode', /"iptables" is not supported: ipvs-proxier does what kube-proxy's IPVS mode does/],
    ['mode nftables', yaml({ mode: 'nftables' }), 'mode', /"nftables" is not supported/],
    ['a duration without a unit', yaml({ ipvs: { syncPeriod: '30' } }), 'ipvs.syncPeriod', /invalid duration "30" \(Go syntax/],
    ['a bad duration unit', yaml({ ipvs: { tcpFinTimeout: '5x' } }), 'ipvs.tcpFinTimeout', /unknown unit "x"/],
    ['a duration as a number', yaml({ ipvs: { tcpTimeout: 30 } }), 'ipvs.tcpTimeout', /duration string such as "30s"/],
    ['a negative sync period', yaml({ ipvs: { syncPeriod: '-1s' } }), 'ipvs.syncPeriod', /greater than 0/],
    ['a negative IPVS timeout', yaml({ ipvs: { udpTimeout: '-5s' } }), 'ipvs.udpTimeout', /greater than or equal to 0/],
    ['minSyncPeriod above syncPeriod', yaml({ ipvs: { syncPeriod: '30s', minSyncPeriod: '1m' } }), 'ipvs.minSyncPeriod', /1m0s must not exceed ipvs.syncPeriod \(30s\)/],
    ['minSyncPeriod above the default syncPeriod', yaml({ ipvs: { minSyncPeriod: '45s' } }), 'ipvs.minSyncPeriod', /must not exceed ipvs.syncPeriod \(30s\)/],
    ['a cluster CIDR without a prefix', yaml({ clusterCIDR: '10.244.0.0' }), 'clusterCIDR', /"10.244.0.0" is not a CIDR/],
    ['two IPv4 cluster CIDRs', yaml({ clusterCIDR: '10.244.0.0/16,10.245.0.0/16' }), 'clusterCIDR', /one IPv4 and one IPv6/],
    ['a bad exclude CIDR', yaml({ ipvs: { excludeCIDRs: ['10.0.0.0/8', '10.300.0.0/16'] } }), 'ipvs.excludeCIDRs[1]', /"10.300.0.0\/16" is not a CIDR/],
    ['excludeCIDRs as a string', yaml({ ipvs: { excludeCIDRs: '10.0.0.0/8' } }), 'ipvs.excludeCIDRs', /list of strings/],
    ['a NodePort address that is not a CIDR', yaml({ nodePortAddresses: ['eth0'] }), 'nodePortAddresses[0]', /"eth0" is not a CIDR/],
    ['"primary" with CIDRs', yaml({ nodePortAddresses: ['10.0.0.0/8', 'primary'] }), 'nodePortAddresses[1]', /cannot be combined/],
    ['nodePortAddresses "localhost"', yaml({ nodePortAddresses: ['localhost'] }), 'nodePortAddresses[0]', /never serves NodePorts on loopback/],
    ['an unknown scheduler', yaml({ ipvs: { scheduler: 'fastest' } }), 'ipvs.scheduler', /"fastest" is not an IPVS scheduler \(one of rr, wrr/],
    ['a section that is not a mapping', yaml({ ipvs: 'lc' }), 'ipvs', /must be a mapping/],
    ['a quoted boolean', yaml({ ipvs: { strictARP: 'true' } }), 'ipvs.strictARP', /must be true or false \(got "true"\)/],
    ['a quoted integer', yaml({ conntrack: { maxPerCore: '32768' } }), 'conntrack.maxPerCore', /must be an integer \(got "32768"\)/],
    ['a negative conntrack limit', yaml({ conntrack: { min: -1 } }), 'conntrack.min', /greater than or equal to 0/],
    ['a feature gate that is not a boolean', yaml({ featureGates: { SomeGate: 'on please' } }), 'featureGates.SomeGate', /true or false/],
    ['another masquerade bit', yaml({ iptables: { masqueradeBit: 15 } }), 'iptables.masqueradeBit', /15 is not supported: ipvs-proxier marks packets to masquerade with bit 14 \(0x4000\)/],
    ['a masquerade bit out of range', yaml({ iptables: { masqueradeBit: 32 } }), 'iptables.masqueradeBit', /within the range \[0, 31\]/],
    ['detectLocalMode NodeCIDR', yaml({ detectLocalMode: 'NodeCIDR' }), 'detectLocalMode', /"NodeCIDR" is not supported: ipvs-proxier tells pod traffic by clusterCIDR only/],
    ['an unknown detectLocalMode', yaml({ detectLocalMode: 'Magic' }), 'detectLocalMode', /not a detectLocalMode/],
    ['a host name for a server address', yaml({ healthzBindAddress: 'localhost:10256' }), 'healthzBindAddress', /the host must be an IP address/],
    ['port 0 for a server address', yaml({ metricsBindAddress: '127.0.0.1:0' }), 'metricsBindAddress', /the port must be 1-65535/],
    ['a port out of range', yaml({ metricsBindAddress: '127.0.0.1:70000' }), 'metricsBindAddress', /port out of range/],
    ['a bind address that is not an IP', yaml({ bindAddress: 'node-1' }), 'bindAddress', /"node-1" is not an IP address/],
    ['an OOM score out of range', yaml({ oomScoreAdj: -2000 }), 'oomScoreAdj', /\[-1000, 1000\]/],
    ['a negative burst', yaml({ clientConnection: { burst: -1 } }), 'clientConnection.burst', /greater than or equal to 0/],
    ['a negative verbosity', yaml({ logging: { verbosity: -1 } }), 'logging.verbosity', /must not be negative/],
    ['a duplicate key', `${yaml({})}mode: iptables\n`, '', /not valid YAML or JSON: .*unique/],
    ['two documents', `${yaml({})}---\n${yaml({})}`, '', /holds 2 YAML documents/],
    ['an empty file', '\n# nothing\n', '', /the file is empty/],
    ['a list', '- mode: ipvs\n', '', /must be a KubeProxyConfiguration mapping \(got a list\)/],
    ['broken YAML', 'apiVersion: [kubeproxy\n', '', /not valid YAML or JSON/],
    ['broken JSON', '{"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", ', '', /not valid YAML or JSON/],
  ];
  for (const [what, text, field, message] of bad) {
    it(`refuses ${what}, naming ${field || 'the file'}`, () => {
      const err = refused(text);
      expect(err.field).to.equal(field);
      expect(err.message).to.match(message);
      if (field !== '') expect(err.message.startsWith(`${field}: `), err.message).to.equal(true);
    });
  }
});
