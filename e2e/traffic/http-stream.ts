// A steady stream of HTTP GETs: one every --interval-ms for --duration-ms (each on a new connection, not
// waiting for earlier ones), for checks like "restarting the proxier drops nothing". Prints JSON lines:
//
//   {"event":"started","at":MS}          once the first request is out
//   {"event":"failure",...Failure}       at once, for every failed request
//   {"event":"report",...StreamReport}   at the end (also after SIGTERM/SIGINT: stops sending, waits for
//                                        the requests in flight, then reports)
//
//   ip netns exec NS node dist/e2e/traffic/http-stream.js URL [--interval-ms 50] [--duration-ms 10000] [--timeout-ms 5000]
import { parseClientArgs, runCli } from './cli-args.js';
import { httpGetOnce, stream } from './requests.js';

const USAGE = 'usage: http-stream URL [--interval-ms MS] [--duration-ms MS] [--timeout-ms MS]';

runCli(async () => {
  const { positionals, options } = parseClientArgs(process.argv.slice(2), USAGE, 1, { 'interval-ms': 50, 'duration-ms': 10_000, 'timeout-ms': 5000 });
  const [url] = positionals as [string];
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  process.on('SIGINT', () => stop.abort());
  const print = (event: string, value: object): void => {
    process.stdout.write(JSON.stringify({ event, ...value }) + '\n');
  };
  const report = await stream(
    {
      intervalMs: options['interval-ms'],
      durationMs: options['duration-ms'],
      signal: stop.signal,
      onStarted: (at) => print('started', { at }),
      onFailure: (failure) => print('failure', failure),
    },
    () => httpGetOnce(url, options['timeout-ms']),
  );
  print('report', report);
}, 'http-stream');
