// Structured logs with kube-proxy's -v levels: -v 0 (default) info and above; -v 2 adds per-sync summaries
// ("verbose"); -v 4 adds every kernel operation ("debug"); -v 6 adds netlink traffic counts ("silly").
// Output is one JSON object per line on stderr (what log shippers want); IPVS_PROXIER_LOG_FORMAT=text gives
// a human form for terminals.
import winston from 'winston';

export type Logger = winston.Logger;

export function levelForVerbosity(v: number): string {
  if (v >= 6) return 'silly';
  if (v >= 4) return 'debug';
  if (v >= 2) return 'verbose';
  return 'info';
}

export function createLogger(verbosity: number, format = process.env['IPVS_PROXIER_LOG_FORMAT'] ?? 'json'): Logger {
  const fmt =
    format === 'text'
      ? winston.format.combine(
          winston.format.timestamp(),
          winston.format.printf(({ level, message, timestamp, ...rest }) => {
            const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
            return `${timestamp as string} ${level} ${message as string}${extra}`;
          }),
        )
      : winston.format.combine(winston.format.timestamp(), winston.format.json());
  return winston.createLogger({
    level: levelForVerbosity(verbosity),
    format: fmt,
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'verbose', 'debug', 'silly'] })],
  });
}

/** A logger that drops everything, for tests and library callers. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
