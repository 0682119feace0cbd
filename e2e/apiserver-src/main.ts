// Entry point of e2e/apiserver: flags, objects, listen, kubeconfig, then the
// "listening on URL" line (printed last, so that once a script sees it the
// objects are loaded and the kubeconfig exists).

import { ApiServer } from './api-server.js';
import { parseFlags, USAGE, type Flags } from './flags.js';
import { writeKubeconfig } from './kubeconfig.js';
import { createLogger } from './logger.js';
import { loadObjectsFile } from './object-loader.js';

async function run(flags: Flags): Promise<void> {
  const logger = createLogger(flags.logLevel);
  const server = new ApiServer({
    address: flags.address,
    port: flags.port,
    serviceClusterIpRange: flags.serviceClusterIpRange,
    serviceNodePortRange: flags.serviceNodePortRange,
    historySize: flags.historySize,
    bookmarkIntervalMs: flags.bookmarkIntervalMs,
    watchTimeoutMs: flags.watchTimeoutMs,
    serverVersion: flags.serverVersion,
    logger,
  });
  for (const file of flags.objects) {
    const loaded = await loadObjectsFile(server.registry, file);
    logger.info('loaded objects', { file, count: loaded.length });
  }
  const url = await server.listen();
  if (flags.kubeconfigOut !== undefined) {
    await writeKubeconfig(flags.kubeconfigOut, url);
    logger.info('wrote kubeconfig', { path: flags.kubeconfigOut });
  }
  process.stdout.write(`listening on ${url}\n`);

  const shutdown = (signal: string) => {
    logger.info('shutting down', { signal });
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

let flags: Flags;
try {
  flags = parseFlags(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`e2e/apiserver: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (flags.help) {
  process.stdout.write(USAGE);
} else {
  run(flags).catch((error: unknown) => {
    process.stderr.write(`e2e/apiserver: ${(error as Error).message ?? String(error)}\n`);
    process.exit(1);
  });
}
