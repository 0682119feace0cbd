import { expect } from 'chai';
import {
  backendFromEnv, CommandIptablesRunner, failedRestoreLine, IptablesCommandError, iptablesCommand,
} from '../../../lib/iptables/runner.js';

// The real runner is exercised against the kernel in test/e2e/iptables. Here its process handling is
// checked without root: the `prefix` option puts a small shell script in front of the iptables command
// line, which then arrives as the script's arguments.
const script = (body: string) => ['sh', '-c', body, 'fake'];

async function rejection(p: Promise<unknown>): Promise<IptablesCommandError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(IptablesCommandError);
    return e as IptablesCommandError;
  }
  throw new Error('expected a rejection');
}

describe('CommandIptablesRunner', () => {
  it('picks the binaries from IPVS_PROXIER_IPTABLES', () => {
    expect(backendFromEnv({})).to.equal('default');
    expect(backendFromEnv({ IPVS_PROXIER_IPTABLES: '' })).to.equal('default');
    expect(backendFromEnv({ IPVS_PROXIER_IPTABLES: 'nft' })).to.equal('nft');
    expect(backendFromEnv({ IPVS_PROXIER_IPTABLES: 'legacy' })).to.equal('legacy');
    expect(() => backendFromEnv({ IPVS_PROXIER_IPTABLES: 'nftables' })).to.throw(/expected "nft" or "legacy"/);
    expect(iptablesCommand('default', 'ip4', 'restore')).to.equal('iptables-restore');
    expect(iptablesCommand('default', 'ip6', 'save')).to.equal('ip6tables-save');
    expect(iptablesCommand('nft', 'ip4', 'restore')).to.equal('iptables-nft-restore');
    expect(iptablesCommand('legacy', 'ip6', 'restore')).to.equal('ip6tables-legacy-restore');
  });

  it('runs save with no shell and returns stdout only', async () => {
    const runner = new CommandIptablesRunner({ backend: 'nft', prefix: script('echo "args: $*"; echo "# warning" >&2') });
    expect(await runner.save('ip6')).to.equal('args: ip6tables-nft-save\n');
  });

  it('runs restore --noflush --wait=N with the input on stdin', async () => {
    const runner = new CommandIptablesRunner({ backend: 'legacy', waitSeconds: 3, prefix: script('echo "$*" > /dev/stderr; cat > /dev/null; [ "$*" = "iptables-legacy-restore --noflush --wait=3" ]') });
    await runner.restore('ip4', '*nat\nCOMMIT\n');
    const echo = new CommandIptablesRunner({ backend: 'default', prefix: script('cat >&2; exit 1') });
    const error = await rejection(echo.restore('ip4', '*nat\n-A X -j RETURN\nCOMMIT\n'));
    expect(error.stderr).to.equal('*nat\n-A X -j RETURN\nCOMMIT\n');
  });

  it('names the failing input line in the error (stderr as iptables-legacy-restore prints it)', async () => {
    const runner = new CommandIptablesRunner({ backend: 'default', prefix: script('cat > /dev/null; echo "iptables-restore: line 3 failed" >&2; exit 1') });
    const error = await rejection(runner.restore('ip4', '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j NOPE\nCOMMIT\n'));
    expect(error).to.deep.include({ operation: 'restore', family: 'ip4', exitCode: 1, failedLine: 3, failedInput: '-A KUBE-SERVICES -j NOPE' });
    expect(error.command).to.deep.equal(['sh', '-c', error.command[2], 'fake', 'iptables-restore', '--noflush', '--wait=5']);
    expect(error.message).to.contain('exited 1: iptables-restore: line 3 failed; input line 3: -A KUBE-SERVICES -j NOPE');
  });

  it('reports a command that exits before reading its input, without an EPIPE crash', async () => {
    const runner = new CommandIptablesRunner({ prefix: script('exit 2') });
    const error = await rejection(runner.restore('ip6', 'x\n'.repeat(200_000)));
    expect(error.exitCode).to.equal(2);
    expect(error.failedLine).to.equal(undefined);
  });

  it('reports a missing binary with its errno name', async () => {
    const runner = new CommandIptablesRunner({ prefix: ['/nonexistent/ip', 'netns', 'exec', 'x'] });
    const error = await rejection(runner.save('ip4'));
    expect(error.code).to.equal('ENOENT');
    expect(error.message).to.contain('could not start (ENOENT)');
  });

  it('kills a command that takes too long', async () => {
    const runner = new CommandIptablesRunner({ timeoutMs: 200, prefix: script('sleep 5') });
    const error = await rejection(runner.save('ip4'));
    expect(error.code).to.equal('ETIMEDOUT');
    expect(error.message).to.contain('timed out');
  });

  it('finds the failing line in every error form iptables 1.8.9 prints', () => {
    expect(failedRestoreLine('iptables-restore: line 4 failed\n')).to.equal(4);
    expect(failedRestoreLine('iptables-nft-restore: line 4 failed: No chain/target/match by that name.\n')).to.equal(4);
    expect(failedRestoreLine('iptables-nft-restore v1.8.9 (nf_tables): \nline 4: CHAIN_DEL failed (Device or resource busy): chain A\n')).to.equal(4);
    expect(failedRestoreLine("iptables-restore v1.8.9 (legacy): Couldn't load target `NOPE':No such file or directory\n\nError occurred at line: 2\n")).to.equal(2);
    expect(failedRestoreLine('Another app is currently holding the xtables lock. Stopped waiting after 5s.\n')).to.equal(undefined);
  });
});
