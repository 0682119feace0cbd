// Command-line flags of e2e/apiserver, named after kube-apiserver's where
// one exists (--service-cluster-ip-range, --service-node-port-range).

import { parseArgs } from 'node:util';
import { DEFAULTS } from './api-server.js';

export interface Flags {
  objects: string[];
  address: string;
  port: number;
  kubeconfigOut: string | undefined;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  historySize: number;
  bookmarkIntervalMs: number;
  watchTimeoutMs: number | undefined;
  serverVersion: string;
  logLevel: string;
  help: boolean;
}

export const USAGE = `usage: e2e/apiserver [flags]

A stand-in Kubernetes API server (Services, EndpointSlices, Nodes, Namespaces)
for tests and demos. Prints "listening on URL" as the first line of stdout.

  --objects FILE.yaml               objects to create at start (repeatable; multi-document, kind: List ok)
  --port PORT                       listen port, 0 = pick a free one (default 0)
  --address ADDR                    listen address (default ${DEFAULTS.address})
  --kubeconfig-out PATH             write a kubeconfig for this server to PATH
  --service-cluster-ip-range CIDRS  CIDR or IPv4,IPv6 pair (default ${DEFAULTS.serviceClusterIpRange})
  --service-node-port-range RANGE   FROM-TO (default ${DEFAULTS.serviceNodePortRange})
  --history N                       changes kept for watch replay; older watches get 410 (default ${DEFAULTS.historySize})
  --bookmark-interval DURATION      BOOKMARK period for watches that allow them (default 5s)
  --watch-timeout DURATION          end watches without timeoutSeconds after this long (default: never)
  --server-version VERSION          what /version reports (default ${DEFAULTS.serverVersion})
  --log-level LEVEL                 error, warn, info, debug (default info; logs go to stderr)
  --help                            show this text
`;

/** "5s", "500ms", "2m", "1h", or a bare number of seconds. */
export function parseDurationMs(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) throw new Error(`${flag}: invalid duration "${text}" (examples: 5s, 500ms, 2m)`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] ?? 1000;
  return Math.round(value * factor);
}

function parseInteger(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new Error(`${flag}: "${text}" is not a number`);
  const value = Number(text);
  if (value < min || value > max) throw new Error(`${flag}: ${value} is out of range ${min}-${max}`);
  return value;
}

export function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      objects: { type: 'string', multiple: true },
      address: { type: 'string' },
      port: { type: 'string' },
      'kubeconfig-out': { type: 'string' },
      'service-cluster-ip-range': { type: 'string' },
      'service-node-port-range': { type: 'string' },
      history: { type: 'string' },
      'bookmark-interval': { type: 'string' },
      'watch-timeout': { type: 'string' },
      'server-version': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const watchTimeoutMs = values['watch-timeout'] === undefined ? undefined : parseDurationMs(values['watch-timeout'], '--watch-timeout');
  return {
    objects: values.objects ?? [],
    address: values.address ?? DEFAULTS.address,
    port: values.port === undefined ? 0 : parseInteger(values.port, '--port', 0, 65535),
    kubeconfigOut: values['kubeconfig-out'],
    serviceClusterIpRange: values['service-cluster-ip-range'] ?? DEFAULTS.serviceClusterIpRange,
    serviceNodePortRange: values['service-node-port-range'] ?? DEFAULTS.serviceNodePortRange,
    historySize: values.history === undefined ? DEFAULTS.historySize : parseInteger(values.history, '--history', 1, 10_000_000),
    bookmarkIntervalMs: values['bookmark-interval'] === undefined ? DEFAULTS.bookmarkIntervalMs : parseDurationMs(values['bookmark-interval'], '--bookmark-interval'),
    watchTimeoutMs: watchTimeoutMs === 0 ? undefined : watchTimeoutMs,
    serverVersion: values['server-version'] ?? DEFAULTS.serverVersion,
    logLevel: values['log-level'] ?? 'info',
    help: values.help ?? false,
  };
}
