import { expect } from 'chai';
import { FlagError, parseProxierFlags, type ProxierFlags } from '../../../lib/cli/flags.js';

function flags(...argv: string[]): ProxierFlags {
  const r = parseProxierFlags(argv, () => 'My-Host');
  if (r.kind !== 'run') throw new Error('expected run');
  return r.flags;
}

function refused(argv: string[]): FlagError {
  try {
    parseProxierFlags(argv, () => 'host');
  } catch (err) {
    expect(err).to.be.instanceOf(FlagError);
    return err as FlagError;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
}

describe('proxier flags', () => {
  it("has kube-proxy's defaults", () => {
    expect(flags()).to.deep.equal({
      hostname: 'my-host',
      clusterCIDRs: [],
      masqueradeAll: false,
      scheduler: 'rr',
      syncPeriodMs: 30_000,
      minSyncPeriodMs: 0,
      excludeCIDRs: [],
      strictARP: false,
      tcpTimeoutMs: 0,
      tcpFinTimeoutMs: 0,
      udpTimeoutMs: 0,
      nodePortAddresses: [],
      healthzBindAddress: { host: '0.0.0.0', port: 10256 },
      metricsBindAddress: { host: '127.0.0.1', port: 10249 },
      cleanup: false,
      verbosity: 0,
    });
  });

  it('takes every flag in the --flag=value form the chart renders', () => {
    const f = flags(
      '--kubeconfig=/etc/kube/config', '--master=https://10.0.0.10:6443', '--hostname-override=Node-7 ',
      '--cluster-cidr=10.244.0.0/16,fd00:10:244::/56', '--masquerade-all', '--ipvs-scheduler=mh', '--ipvs-sync-period=1m',
      '--ipvs-min-sync-period=500ms', '--ipvs-exclude-cidrs=10.0.0.0/8, 192.168.1.7/24', '--ipvs-strict-arp',
      '--ipvs-tcp-timeout=900s', '--ipvs-tcpfin-timeout=2m', '--ipvs-udp-timeout=300s', '--nodeport-addresses=192.168.122.0/24',
      '--healthz-bind-address=[::]:20256', '--metrics-bind-address=0.0.0.0:0', '-v', '4',
    );
    expect(f).to.deep.equal({
      kubeconfig: '/etc/kube/config',
      master: 'https://10.0.0.10:6443',
      hostname: 'node-7',
      clusterCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56'],
      masqueradeAll: true,
      scheduler: 'mh',
      syncPeriodMs: 60_000,
      minSyncPeriodMs: 500,
      excludeCIDRs: ['10.0.0.0/8', '192.168.1.0/24'],
      strictARP: true,
      tcpTimeoutMs: 900_000,
      tcpFinTimeoutMs: 120_000,
      udpTimeoutMs: 300_000,
      nodePortAddresses: ['192.168.122.0/24'],
      healthzBindAddress: { host: '::', port: 20256 },
      metricsBindAddress: { host: '0.0.0.0', port: 0 },
      cleanup: false,
      verbosity: 4,
    });
  });

  it('takes space-separated values, --bool=true|false and the -v forms', () => {
    expect(flags('--ipvs-scheduler', 'lc').scheduler).to.equal('lc');
    expect(flags('--masquerade-all=true').masqueradeAll).to.equal(true);
    expect(flags('--masquerade-all=false').masqueradeAll).to.equal(false);
    expect(flags('--cleanup').cleanup).to.equal(true);
    for (const form of [['-v', '2'], ['-v=2'], ['-v2'], ['--v=2'], ['--v', '2']]) expect(flags(...form).verbosity, form.join(' ')).to.equal(2);
  });

  it('accepts a leading "run" and "primary" for --nodeport-addresses; "" disables a server', () => {
    expect(flags('run', '--nodeport-addresses=primary').nodePortAddresses).to.deep.equal(['primary']);
    const f = flags('--healthz-bind-address=', '--metrics-bind-address=');
    expect(f.healthzBindAddress).to.equal(undefined);
    expect(f.metricsBindAddress).to.equal(undefined);
  });

  it('turns a bare --master host:port into a URL', () => {
    expect(flags('--master=10.0.0.10:6443').master).to.equal('https://10.0.0.10:6443');
    expect(flags('--master=http://127.0.0.1:8080/').master).to.equal('http://127.0.0.1:8080');
  });

  it('prints help', () => {
    const r = parseProxierFlags(['--help'], () => 'h');
    expect(r.kind).to.equal('help');
    if (r.kind === 'help') expect(r.text).to.include('--ipvs-sync-period').and.include('--nodeport-addresses').and.match(/^ {2}--config FILE +kube-proxy's KubeProxyConfiguration/m);
  });

  it('refuses the --no-flag form pflag does not have (--flag=false is the way)', () => {
    const err = refused(['--no-masquerade-all']);
    expect(err.flag).to.equal('--no-masquerade-all');
    expect(err.message).to.match(/Unknown option '--no-masquerade-all'/);
  });

  const bad: [string[], string, RegExp][] = [
    [['--ipvs-sync-period=30'], '--ipvs-sync-period', /Go syntax/],
    [['--ipvs-sync-period=0s'], '--ipvs-sync-period', /greater than 0/],
    [['--ipvs-sync-period=-5s'], '--ipvs-sync-period', /greater than 0/],
    [['--ipvs-min-sync-period=1m'], '--ipvs-min-sync-period', /must not exceed --ipvs-sync-period \(30s\)/],
    [['--ipvs-min-sync-period=5x'], '--ipvs-min-sync-period', /unknown unit "x"/],
    [['--ipvs-scheduler=fastest'], '--ipvs-scheduler', /not an IPVS scheduler.*rr, wrr/],
    [['--cluster-cidr=10.244.0.0'], '--cluster-cidr', /not a CIDR/],
    [['--cluster-cidr=10.244.0.0/16,10.245.0.0/16'], '--cluster-cidr', /one IPv4 and one IPv6/],
    [['--ipvs-exclude-cidrs=10.0.0.0/33'], '--ipvs-exclude-cidrs', /not a CIDR/],
    [['--nodeport-addresses=primary,10.0.0.0/8'], '--nodeport-addresses', /primary/],
    [['--nodeport-addresses=eth0'], '--nodeport-addresses', /not a CIDR/],
    [['--ipvs-tcp-timeout=-1s'], '--ipvs-tcp-timeout', /negative/],
    [['--ipvs-udp-timeout=soon'], '--ipvs-udp-timeout', /invalid duration/],
    [['--healthz-bind-address=10256'], '--healthz-bind-address', /HOST:PORT/],
    [['--metrics-bind-address=127.0.0.1:99999'], '--metrics-bind-address', /out of range/],
    [['--master=https://[bad'], '--master', /not a URL/],
    [['-v', 'high'], '-v', /non-negative integer/],
    [['--masquerade-all=maybe'], '--masquerade-all', /true or false/],
    [['--proxy-mode=ipvs'], '--proxy-mode', /Unknown option/],
    [['--kubeconfig'], '--kubeconfig', /argument missing/],
    [['--cleanup=yes'], '--cleanup', /true or false/],
    [['sync'], 'sync', /unexpected argument/],
  ];
  for (const [argv, flag, message] of bad) {
    it(`refuses ${argv.join(' ')}, naming ${flag}`, () => {
      const err = refused(argv);
      expect(err.flag).to.equal(flag);
      expect(err.message).to.match(message);
      if (flag.startsWith('-')) expect(err.message).to.include(flag);
    });
  }
});

describe('proxier flags with --config', () => {
  const FILE = '/etc/kube-proxy/config.conf';
  const HEAD = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n';
  const TUNED = `${HEAD}
hostnameOverride: file-node
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
clusterCIDR: 10.244.0.0/16
healthzBindAddress: 0.0.0.0:20256
metricsBindAddress: 0.0.0.0:10249
iptables:
  masqueradeAll: true
ipvs:
  scheduler: lc
  syncPeriod: 1m
  minSyncPeriod: 20s
  strictARP: true
  tcpTimeout: 15m
logging:
  verbosity: 2
conntrack:
  maxPerCore: 32768
`;

  /** Parses argv with --config's file served from memory; records the paths read. */
  function withFile(argv: string[], text: string) {
    const read: string[] = [];
    const r = parseProxierFlags(argv, () => 'Host-Name', (path) => {
      read.push(path);
      return text;
    });
    if (r.kind !== 'run') throw new Error('expected run');
    return { ...r, read };
  }

  it('takes the settings the file gives, the defaults for the rest, and reports its warnings', () => {
    const r = withFile([`--config=${FILE}`], TUNED);
    expect(r.read).to.deep.equal([FILE]);
    expect(r.flags).to.deep.equal({
      kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf',
      hostname: 'file-node',
      clusterCIDRs: ['10.244.0.0/16'],
      masqueradeAll: true,
      scheduler: 'lc',
      syncPeriodMs: 60_000,
      minSyncPeriodMs: 20_000,
      excludeCIDRs: [],
      strictARP: true,
      tcpTimeoutMs: 900_000,
      tcpFinTimeoutMs: 0,
      udpTimeoutMs: 0,
      nodePortAddresses: [],
      healthzBindAddress: { host: '0.0.0.0', port: 20256 },
      metricsBindAddress: { host: '0.0.0.0', port: 10249 },
      cleanup: false,
      verbosity: 2,
    });
    expect(r.config).to.deep.equal({
      file: FILE,
      warnings: ['conntrack.maxPerCore (32768) is not supported and is ignored: ipvs-proxier does not set nf_conntrack_max (set it on the node)'],
      overriddenBy: [],
    });
  });

  it('lets every flag given on the command line win over the file, an explicit false and "" included', () => {
    const r = withFile(
      [
        '--config', FILE, '--hostname-override=Flag-Node', '--kubeconfig=/etc/flag-kubeconfig', '--cluster-cidr=10.100.0.0/16',
        '--masquerade-all=false', '--ipvs-scheduler=wrr', '--ipvs-sync-period=2m', '--ipvs-min-sync-period=1s', '--ipvs-strict-arp=false',
        '--ipvs-tcp-timeout=0', '--healthz-bind-address=', '--metrics-bind-address=127.0.0.1:9999', '-v=5',
      ],
      TUNED,
    );
    expect(r.flags).to.deep.include({
      kubeconfig: '/etc/flag-kubeconfig',
      hostname: 'flag-node',
      clusterCIDRs: ['10.100.0.0/16'],
      masqueradeAll: false,
      scheduler: 'wrr',
      syncPeriodMs: 120_000,
      minSyncPeriodMs: 1_000,
      strictARP: false,
      tcpTimeoutMs: 0,
      metricsBindAddress: { host: '127.0.0.1', port: 9999 },
      verbosity: 5,
    });
    expect(r.flags).not.to.have.property('healthzBindAddress');
    expect(r.config?.overriddenBy).to.have.members([
      '--hostname-override', '--kubeconfig', '--cluster-cidr', '--masquerade-all', '--ipvs-scheduler', '--ipvs-sync-period',
      '--ipvs-min-sync-period', '--ipvs-strict-arp', '--ipvs-tcp-timeout', '--healthz-bind-address', '--metrics-bind-address', '-v',
    ]);
    // A flag the file does not set replaces nothing.
    expect(withFile([`--config=${FILE}`, '--ipvs-udp-timeout=30s'], TUNED).config?.overriddenBy).to.deep.equal([]);
  });

  it('keeps the host name as the last resort, and an empty --config means none', () => {
    expect(withFile([`--config=${FILE}`], HEAD).flags.hostname).to.equal('host-name');
    const r = withFile(['--config='], 'never read');
    expect(r.read).to.deep.equal([]);
    expect(r).not.to.have.property('config');
  });

  it('names both sources when a flag and the file together break minSyncPeriod <= syncPeriod', () => {
    let err = refusedWith(['--config', FILE, '--ipvs-sync-period=10s'], TUNED);
    expect(err.flag).to.equal('--ipvs-sync-period');
    expect(err.message).to.equal(`ipvs.minSyncPeriod of --config ${FILE} (20s) must not exceed --ipvs-sync-period (10s)`);
    err = refusedWith(['--config', FILE, '--ipvs-min-sync-period=2m'], TUNED);
    expect(err.flag).to.equal('--ipvs-min-sync-period');
    expect(err.message).to.equal(`--ipvs-min-sync-period (2m0s) must not exceed ipvs.syncPeriod of --config ${FILE} (1m0s)`);
  });

  it('refuses a bad file as --config, naming the file and the field', () => {
    const err = refusedWith(['--config', FILE, '--ipvs-scheduler=lc'], `${HEAD.replace('mode: ipvs', 'mode: iptables')}`);
    expect(err.flag).to.equal('--config');
    expect(err.field).to.equal('mode');
    expect(err.message).to.match(new RegExp(`^--config ${FILE}: mode: "iptables" is not supported`));
  });

  it('refuses a file it cannot read, saying why', () => {
    const err = refusedWith(['--config=/nowhere/config.conf'], undefined);
    expect(err.flag).to.equal('--config');
    expect(err.message).to.equal("--config /nowhere/config.conf: cannot read it: ENOENT: no such file or directory, open '/nowhere/config.conf'");
  });

  /** parseProxierFlags with the real file reader when text is undefined. */
  function refusedWith(argv: string[], text: string | undefined): FlagError {
    try {
      if (text === undefined) parseProxierFlags(argv, () => 'host');
      else parseProxierFlags(argv, () => 'host', () => text);
    } catch (err) {
      expect(err).to.be.instanceOf(FlagError);
      return err as FlagError;
    }
    throw new Error(`accepted ${argv.join(' ')}`);
  }
});
