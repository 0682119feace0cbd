// Sends N UDP datagrams to HOST:PORT (each from a new socket, so a new source port) and prints one JSON
// SpreadResult of the answering pod names, as http-get does for HTTP:
//
//   ip netns exec NS node dist/e2e/traffic/udp-get.js HOST PORT N [--timeout-ms 5000] [--concurrency 4]
import { parseClientArgs, runCli } from './cli-args.js';
import { spread, udpAskOnce } from './requests.js';

const USAGE = 'usage: udp-get HOST PORT N [--timeout-ms MS] [--concurrency C]';

runCli(async () => {
  const { positionals, options } = parseClientArgs(process.argv.slice(2), USAGE, 3, { 'timeout-ms': 5000, concurrency: 4 });
  const [host, port, n] = positionals as [string, string, string];
  const result = await spread(Number(n), options.concurrency, () => udpAskOnce(host, Number(port), options['timeout-ms']));
  process.stdout.write(JSON.stringify(result) + '\n');
}, 'udp-get');
