// A winston logger that keeps every entry in memory, for tests that check what was logged (the same shape
// lib/log/logger.ts writes as JSON: level, message and the structured fields).
import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '../../../lib/log/logger.js';

export interface LogEntry {
  level: string;
  message: string;
  [field: string]: unknown;
}

export function captureLogger(level = 'debug'): { log: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const stream = new Writable({
    objectMode: true,
    write(info: LogEntry, _enc, done) {
      entries.push(info);
      done();
    },
  });
  return { log: winston.createLogger({ level, transports: [new winston.transports.Stream({ stream })] }), entries };
}
