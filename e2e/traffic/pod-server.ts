// The workload of one "pod": answers every HTTP request, and every UDP datagram, with the pod's name, so
// a client can tell which endpoint IPVS picked. Run it inside the pod's network namespace:
//
//   ip netns exec POD node dist/e2e/traffic/pod-server.js --name POD --port 80 [--port 5003] [--udp-port 53] [--ipv6]
//
// HTTP (TCP): status 200, body `POD\n`, `Connection: close` (one connection per request, so IPVS schedules
// every request anew), and the header `x-remote-address` with the source address the pod saw (to check
// masquerading). UDP: each datagram is answered with `POD\n` from the same port. With --ipv6 the TCP ports are
// also served on [::] (IPv6 only, so IPv4 clients are still seen as plain dotted quads, not ::ffff:...).
//
// Prints one JSON line on stdout once every socket is bound: {"ready":true,"name":...,"pid":...,"tcp":[...],
// "udp":[...]}. Exits on SIGTERM or SIGINT, and with --exit-with-stdin when its stdin reaches EOF (what
// startPodServers uses, so servers die with the test process that started them even if it crashes).
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { REMOTE_ADDRESS_HEADER } from './requests.js';

/** The parsed command line. */
interface PodServerArgs {
  readonly name: string;
  readonly tcpPorts: readonly number[];
  readonly udpPorts: readonly number[];
  readonly exitWithStdin: boolean;
  readonly ipv6: boolean;
}

/** Parses pod-server's arguments; throws with a usage message on bad ones. Default: TCP port 80. */
function parsePodServerArgs(argv: readonly string[]): PodServerArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      name: { type: 'string' },
      port: { type: 'string', multiple: true },
      'udp-port': { type: 'string', multiple: true },
      'exit-with-stdin': { type: 'boolean', default: false },
      ipv6: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const usage = 'usage: pod-server --name NAME [--port TCP_PORT]... [--udp-port UDP_PORT]... [--ipv6] [--exit-with-stdin]';
  if (!values.name) throw new Error(`--name is required\n${usage}`);
  const ports = (list: string[] | undefined): number[] =>
    (list ?? []).map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`bad port ${p}\n${usage}`);
      return n;
    });
  const tcpPorts = ports(values.port);
  const udpPorts = ports(values['udp-port']);
  return { name: values.name, tcpPorts: tcpPorts.length + udpPorts.length === 0 ? [80] : tcpPorts, udpPorts, exitWithStdin: values['exit-with-stdin'] ?? false, ipv6: values.ipv6 ?? false };
}

async function main(): Promise<void> {
  const args = parsePodServerArgs(process.argv.slice(2));
  const body = `${args.name}\n`;
  const closers: (() => void)[] = [];

  const listenTcp = (port: number, host = '0.0.0.0'): Promise<Server> =>
    new Promise((resolve, reject) => {
      const server = createServer((req, res) => {
        req.resume();
        res.writeHead(200, {
          'content-type': 'text/plain',
          'content-length': Buffer.byteLength(body),
          connection: 'close',
          [REMOTE_ADDRESS_HEADER]: req.socket.remoteAddress ?? '',
        });
        res.end(body);
      });
      server.once('error', reject);
      server.listen({ port, host, ipv6Only: host === '::' }, () => resolve(server));
    });
  const listenUdp = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.on('message', (_msg, rinfo) => socket.send(body, rinfo.port, rinfo.address));
      socket.once('error', reject);
      socket.bind(port, '0.0.0.0', () => {
        closers.push(() => socket.close());
        resolve();
      });
    });

  for (const port of args.tcpPorts) {
    for (const host of args.ipv6 ? ['0.0.0.0', '::'] : ['0.0.0.0']) {
      const server = await listenTcp(port, host);
      closers.push(() => {
        server.closeAllConnections();
        server.close();
      });
    }
  }
  for (const port of args.udpPorts) await listenUdp(port);

  const exit = (): void => {
    for (const close of closers) close();
    process.exit(0);
  };
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  if (args.exitWithStdin) {
    process.stdin.on('end', exit);
    process.stdin.on('error', exit);
    process.stdin.resume();
  }
  process.stdout.write(JSON.stringify({ ready: true, name: args.name, pid: process.pid, tcp: args.tcpPorts, udp: args.udpPorts }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`pod-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
