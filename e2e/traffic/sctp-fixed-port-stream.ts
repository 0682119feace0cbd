// An SCTP client that keeps ONE source port, like an SCTP client library that re-establishes its
// association from the same bound port when it dies: every --interval-ms it sends a message on the
// association to HOST:PORT, for --duration-ms, and prints the same JSON lines as udp-fixed-port-stream
// ({"at", "event": "sent"} / {"at", "event": "answer", "name"} / {"at", "event": "error", "error"}, then
// {"event": "end"}). When the association ends (an ABORT, e.g. from a real server that never had it) it
// reconnects at once from the same port, so the 5-tuple never changes and the kernel keeps matching the
// same conntrack and IPVS connection entries.
//
// Node has no SCTP sockets: the association is the real `socat` (STDIO <-> SCTP4-CONNECT), one process
// per association. The server side is `socat SCTP4-LISTEN:PORT,fork ...` answering each line with its
// name (e2e/traffic/conntrack-cases.sh).
//
//   ip netns exec NS node dist/e2e/traffic/sctp-fixed-port-stream.js HOST PORT --source-port P \
//       [--interval-ms 100] [--duration-ms 20000]
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { parseClientArgs, runCli } from './cli-args.js';

const USAGE = 'usage: sctp-fixed-port-stream HOST PORT --source-port P [--interval-ms MS] [--duration-ms MS]';

async function main(): Promise<void> {
  const { positionals, options } = parseClientArgs(process.argv.slice(2), USAGE, 2, {
    'source-port': 0,
    'interval-ms': 100,
    'duration-ms': 20_000,
  });
  const [host, port] = positionals as [string, string];
  const sourcePort = options['source-port'];
  if (sourcePort <= 0) throw new Error(`--source-port is required\n${USAGE}`);
  const emit = (o: object): void => void process.stdout.write(JSON.stringify({ at: Date.now(), ...o }) + '\n');

  let association: ChildProcessWithoutNullStreams | undefined;
  let stopping = false;
  const connect = (): void => {
    // reuseaddr: the port of the association that just died is bound again at once.
    const child = spawn('socat', ['-T', '3600', 'STDIO', `SCTP4-CONNECT:${host}:${port},sourceport=${sourcePort},reuseaddr`]);
    association = child;
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) emit({ event: 'answer', name: line.trim() });
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => void (stderr += chunk));
    // Writes into a dying association fail with EPIPE: the 'close' below reports it.
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      if (association === child) association = undefined;
      if (stopping) return;
      emit({ event: 'error', error: `association ended (socat exit ${code}): ${stderr.trim().split('\n').slice(-1)[0] ?? ''}` });
      connect();
    });
  };
  connect();
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    association?.stdin.write(`ping ${seq}\n`);
    emit({ event: 'sent', seq });
  }, options['interval-ms']);
  await new Promise((resolve) => setTimeout(resolve, options['duration-ms']));
  clearInterval(timer);
  // Answers to the last messages may still be on their way.
  await new Promise((resolve) => setTimeout(resolve, 500));
  stopping = true;
  association?.kill();
  emit({ event: 'end' });
}

runCli(main, 'sctp-fixed-port-stream');
