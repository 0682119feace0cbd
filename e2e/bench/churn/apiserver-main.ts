// The stand-in API server of one churn run, in its own process as a real API server is apart from the
// node: `node apiserver-main.js SERVICES KUBECONFIG`. Creates the bench's cluster in memory through the
// registry (the path POST takes, so it is validated as a write would be) instead of parsing a YAML file of
// 20,000 objects, which took minutes in the emulated guest; then listens, writes the kubeconfig and prints
// "listening on URL" (e2e/apiserver's protocol: printed last, once everything is loaded).
import { ApiServer } from '../../apiserver-src/api-server.js';
import { writeKubeconfig } from '../../apiserver-src/kubeconfig.js';
import { createLogger } from '../../apiserver-src/logger.js';
import { loadObjects } from '../../apiserver-src/object-loader.js';
import { clusterObjects } from './cluster-objects.js';

async function main(argv: string[]): Promise<void> {
  const services = Number(argv[0]);
  const kubeconfig = argv[1];
  if (!Number.isInteger(services) || services <= 0 || !kubeconfig) throw new Error('usage: apiserver-main.js SERVICES KUBECONFIG');
  const logger = createLogger('warn');
  // The default history (1000 changes) covers minutes of 50 changes/s; a watch that falls further behind
  // gets 410 and relists, as from a real API server.
  const server = new ApiServer({ port: 0, logger });
  const loaded = loadObjects(server.registry, [...clusterObjects(services)], 'churn bench');
  const url = await server.listen();
  await writeKubeconfig(kubeconfig, url);
  process.stderr.write(`churn apiserver: ${loaded.length} objects loaded\n`);
  process.stdout.write(`listening on ${url}\n`);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`churn apiserver: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
