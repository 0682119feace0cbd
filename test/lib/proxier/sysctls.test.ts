import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { applySysctls, kernelVersion, procSysIo, procSysRoot, proxierSysctls, SysctlError, type SysctlIo } from '../../../lib/proxier/sysctls.js';

function memoryIo(values: Record<string, string>): SysctlIo & { writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    async read(path) {
      if (!(path in values)) throw new SysctlError(path, 'read', 'ENOENT', 'ENOENT');
      return `${values[path]}\n`;
    },
    async write(path, value) {
      writes.push(`${path}=${value}`);
      values[path] = value;
    },
  };
}

describe('sysctls', () => {
  it("kube-proxy's IPVS settings; strict ARP only when asked", () => {
    expect(proxierSysctls({ strictARP: false, kernelRelease: '6.1.0-28-amd64' }).map((s) => `${s.path}=${s.value}`)).to.deep.equal([
      'net/ipv4/vs/conntrack=1', 'net/ipv4/vs/expire_nodest_conn=1', 'net/ipv4/vs/expire_quiescent_template=1', 'net/ipv4/ip_forward=1',
    ]);
    expect(proxierSysctls({ strictARP: true, kernelRelease: '6.1.0' }).map((s) => `${s.path}=${s.value}`).slice(4)).to.deep.equal([
      'net/ipv4/conf/all/arp_ignore=1', 'net/ipv4/conf/all/arp_announce=2',
    ]);
  });

  it('conn_reuse_mode=0 only on kernels 4.1 to 5.8', () => {
    const has = (release: string) => proxierSysctls({ strictARP: false, kernelRelease: release }).some((s) => s.path === 'net/ipv4/vs/conn_reuse_mode');
    expect(['4.1.0', '4.19.0-20-amd64', '5.8.18'].map(has)).to.deep.equal([true, true, true]);
    expect(['4.0.9', '5.9.0', '6.1.0', '3.10.0-1160.el7', 'weird'].map(has)).to.deep.equal([false, false, false, false, false]);
    expect(kernelVersion('5.10.0-21-cloud-amd64')).to.deep.equal([5, 10]);
  });

  it('writes only what differs and reports each change', async () => {
    const io = memoryIo({ 'net/ipv4/vs/conntrack': '0', 'net/ipv4/vs/expire_nodest_conn': '1', 'net/ipv4/vs/expire_quiescent_template': '0', 'net/ipv4/ip_forward': '1' });
    const changes = await applySysctls(proxierSysctls({ strictARP: false, kernelRelease: '6.1.0' }), io);
    expect(changes).to.deep.equal([
      { path: 'net/ipv4/vs/conntrack', from: '0', to: '1' },
      { path: 'net/ipv4/vs/expire_quiescent_template', from: '0', to: '1' },
    ]);
    expect(io.writes).to.deep.equal(['net/ipv4/vs/conntrack=1', 'net/ipv4/vs/expire_quiescent_template=1']);
  });

  it('reads and writes files under a /proc/sys root; a missing vs directory says ip_vs is not loaded', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sysctl-'));
    try {
      const file = join(root, 'net/ipv4/ip_forward');
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, '0\n');
      const io = procSysIo(root);
      expect(await applySysctls([{ path: 'net/ipv4/ip_forward', value: '1', why: '' }], io)).to.deep.equal([{ path: 'net/ipv4/ip_forward', from: '0', to: '1' }]);
      expect(await readFile(file, 'utf8')).to.equal('1\n');
      const err = await applySysctls([{ path: 'net/ipv4/vs/conntrack', value: '1', why: '' }], io).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(SysctlError);
      expect((err as SysctlError).message).to.equal(`sysctl read ${root}/net/ipv4/vs/conntrack: ENOENT (the ip_vs module is not loaded)`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("finds the node's /proc/sys where IPVS_PROXIER_PROC_SYS says (the chart's mount), else at /proc/sys", () => {
    expect(procSysRoot({ IPVS_PROXIER_PROC_SYS: '/host/proc/sys' })).to.equal('/host/proc/sys');
    expect(procSysRoot({ IPVS_PROXIER_PROC_SYS: '' })).to.equal('/proc/sys');
    expect(procSysRoot({})).to.equal('/proc/sys');
  });
});
