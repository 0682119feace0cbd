// A UDP client that keeps ONE source port, like a resolver library that reuses its socket: every
// --interval-ms it sends a datagram to HOST:PORT from the same socket, for --duration-ms, and prints one
// JSON line per event ({"at": epoch ms, "event": "sent"} / {"at", "event": "answer", "name"}), then
// {"event": "end"}. Because the 5-tuple never changes, the kernel keeps matching the same conntrack and
// IPVS connection entries: the client that stale-UDP-flow bugs hurt (udp-get uses a new port per datagram).
//
//   ip netns exec NS node dist/e2e/traffic/udp-fixed-port-stream.js HOST PORT --source-port P \
//       [--interval-ms 100] [--duration-ms 20000]
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const USAGE = 'usage: udp-fixed-port-stream HOST PORT --source-port P [--interval-ms MS] [--duration-ms MS]';

function positiveInt(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${text}"\n${USAGE}`);
  return n;
}

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { 'source-port': { type: 'string' }, 'interval-ms': { type: 'string' }, 'duration-ms': { type: 'string' } },
});
if (positionals.length !== 2) throw new Error(USAGE);
const [host, portText] = positionals as [string, string];
const port = positiveInt(portText, 'port', 0);
const sourcePort = positiveInt(values['source-port'], 'source-port', 0);
if (sourcePort === 0) throw new Error(`--source-port is required\n${USAGE}`);
const intervalMs = positiveInt(values['interval-ms'], 'interval-ms', 100);
const durationMs = positiveInt(values['duration-ms'], 'duration-ms', 20_000);

const emit = (o: object): void => void process.stdout.write(JSON.stringify({ at: Date.now(), ...o }) + '\n');
const socket = createSocket('udp4');
socket.on('message', (msg) => emit({ event: 'answer', name: msg.toString('utf8').trim() }));
// An ICMP port unreachable for an earlier datagram surfaces as ECONNREFUSED on some sends: record it,
// keep the same socket (a new one would change the source port and hide what is measured).
socket.on('error', (err) => emit({ event: 'error', error: (err as NodeJS.ErrnoException).code ?? err.message }));
socket.bind(sourcePort, () => {
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    socket.send(`ping ${seq}\n`, port, host, (err) => {
      if (err) emit({ event: 'error', error: (err as NodeJS.ErrnoException).code ?? err.message, seq });
    });
    emit({ event: 'sent', seq });
  }, intervalMs);
  setTimeout(() => {
    clearInterval(timer);
    // Answers to the last datagrams may still be on their way.
    setTimeout(() => {
      emit({ event: 'end' });
      socket.close();
    }, 500);
  }, durationMs);
});
