// ResourceWatcher against an API server that has gone away (the stand-in, closed: connections refused):
// restarts back off 1 s doubling to 30 s, and start again from 1 s only after 2 minutes without an error.
// The ListWatch's 'connect' event fires before every attempt, failed ones too, and used to reset the
// backoff: every watcher retried every second for as long as the API server was down.
import { expect } from 'chai';
import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { kubeConfigFor } from '../../../lib/cli/run-command.js';
import { silentLogger } from '../../../lib/log/logger.js';
import { ResourceWatcher } from '../../../lib/kube/watcher.js';

describe('ResourceWatcher backoff while the API server is unreachable', () => {
  it('waits 1, 2, 4, 8, 16, 30, 30 s between attempts, and 1 s again after 2 minutes without an error', async function () {
    const api = new ApiServer({ port: 0 });
    const master = await api.listen();
    await api.close();
    const kubeConfig = kubeConfigFor({ master, kubeconfig: '' }, {});
    const core = kubeConfig.makeApiClient(CoreV1Api);
    let clock = 0;
    const waits: { ms: number; go: () => void }[] = [];
    const watcher = new ResourceWatcher<V1Service>(
      {
        kubeConfig, path: '/api/v1/services', list: () => core.listServiceForAllNamespaces(), what: 'services', log: silentLogger(),
        key: (s) => `${s.metadata?.namespace}/${s.metadata?.name}`,
        delay: (ms) => new Promise<void>((go) => waits.push({ ms, go })),
        now: () => clock,
      },
      { onChange: () => {} },
    );
    /** Lets the next failed attempt happen and returns the wait it asks for. */
    const nextWait = async (): Promise<number> => {
      const n = waits.length;
      const deadline = Date.now() + 10_000;
      while (waits.length === n) {
        if (Date.now() > deadline) throw new Error('no retry was scheduled within 10 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      return waits[n]!.ms;
    };
    try {
      watcher.start();
      const seen: number[] = [];
      for (let i = 0; i < 7; i++) {
        seen.push(await nextWait());
        clock += seen.at(-1)!;
        waits.at(-1)!.go();
      }
      expect(seen).to.deep.equal([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
      clock += 121_000;
      waits.at(-1)!.go();
      expect(await nextWait()).to.equal(1000);
    } finally {
      watcher.stop();
      for (const w of waits) w.go();
    }
  });
});
