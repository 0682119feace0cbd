// Sends N HTTP GETs (each on a new connection) and prints one JSON SpreadResult: answers per pod, the
// client addresses each pod saw, every failure with its time. Meant to run inside a network namespace:
//
//   ip netns exec NS node dist/e2e/traffic/http-get.js URL N [--timeout-ms 5000] [--concurrency 4]
//
// Exits 0 when it ran (failures are in the JSON), 2 on bad arguments.
import { parseClientArgs, runCli } from './cli-args.js';
import { httpGetOnce, spread } from './requests.js';

const USAGE = 'usage: http-get URL N [--timeout-ms MS] [--concurrency C]';

runCli(async () => {
  const { positionals, options } = parseClientArgs(process.argv.slice(2), USAGE, 2, { 'timeout-ms': 5000, concurrency: 4 });
  const [url, n] = positionals as [string, string];
  const result = await spread(Number(n), options.concurrency, () => httpGetOnce(url, options['timeout-ms']));
  process.stdout.write(JSON.stringify(result) + '\n');
}, 'http-get');
