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
    if (r.kind === 'help') expect(r.text).to.include('--ipvs-sync-period').and.include('--nodeport-addresses');
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
