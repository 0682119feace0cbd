// Captured iptables-save output (test/fixtures/captured/iptables/CAPTURED.md), read from the source tree:
// this file runs as dist/test/lib/iptables/fixtures.js, four levels below the repo root.
import { readFileSync } from 'node:fs';

export function capturedSave(name: string): string {
  return readFileSync(new URL(`../../../../test/fixtures/captured/iptables/${name}`, import.meta.url), 'utf8');
}
