// A keepalived-like neighbour that keeps changing its own objects while the proxier runs: every round it
// adds a virtual server with a real server, an entry in its own ipset and a rule in its own chain, reads
// them back with the real tools, then removes them. Any round that does not read back exactly what it
// wrote is a MISMATCH line: the proxier touched (or hid) something that is not its own. A bash loop in
// its own process, so it runs whatever the test's event loop does.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tryRun } from '../netlink/kernel-tools.js';

export const CHURN_VS = '192.168.122.101:80';
export const CHURN_SET = 'KEEPALIVED-CHURN';
export const CHURN_CHAIN = 'KEEPALIVED-CHURN';
const PAUSE_FILE = '/run/ipvs-e2e-foreign-churn.pause';
/** Bounds the loop: a test that dies cannot leave it running for long. */
const MAX_ROUNDS = 3000;

const SCRIPT = `
set -u
vs=${CHURN_VS}
ipset create ${CHURN_SET} hash:ip -exist
iptables -N ${CHURN_CHAIN} 2>/dev/null || true
want="-A -t $vs -s wrr
-a -t $vs -r 192.168.122.22:80 -g -w 2"
for i in $(seq 1 ${MAX_ROUNDS}); do
  while [ -e ${PAUSE_FILE} ]; do echo paused; sleep 0.1; done
  ip=198.51.100.$((i % 200 + 1))
  ipvsadm -A -t $vs -s wrr && ipvsadm -a -t $vs -r 192.168.122.22:80 -g -w 2
  ipset add ${CHURN_SET} $ip
  iptables -A ${CHURN_CHAIN} -s $ip/32 -j ACCEPT
  sleep 0.2
  got=$(ipvsadm -Sn | grep -F -- "-t $vs ")
  [ "$got" = "$want" ] || echo "MISMATCH round $i ipvs: $(echo "$got" | tr '\\n' ';')"
  members=$(ipset list ${CHURN_SET} | grep -c '^198\\.51\\.100\\.')
  [ "$members" = 1 ] || echo "MISMATCH round $i ipset: $members members"
  rules=$(iptables -S ${CHURN_CHAIN} | grep -c -- "-s $ip/32 -j ACCEPT")
  [ "$rules" = 1 ] || echo "MISMATCH round $i chain: $rules rules"
  ipvsadm -D -t $vs; ipset del ${CHURN_SET} $ip; iptables -D ${CHURN_CHAIN} -s $ip/32 -j ACCEPT
  echo "round $i"
  sleep 0.1
done
`;

export class ForeignChurn {
  private readonly child: ChildProcess;
  rounds = 0;
  readonly mismatches: string[] = [];
  private paused = false;

  constructor() {
    rmSync(PAUSE_FILE, { force: true });
    this.child = spawn('bash', ['-c', SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    const onLine = (line: string) => {
      if (line.startsWith('round ')) this.rounds++;
      else if (line === 'paused') this.paused = true;
      else if (line.trim() !== '') this.mismatches.push(line);
    };
    createInterface({ input: this.child.stdout! }).on('line', onLine);
    createInterface({ input: this.child.stderr! }).on('line', (l) => onLine(`stderr: ${l}`));
  }

  /** Waits until the loop sits between rounds (its objects all removed), for a tamper that would hit them too. */
  async pause(): Promise<void> {
    writeFileSync(PAUSE_FILE, '');
    this.paused = false;
    const deadline = Date.now() + 20_000;
    while (!this.paused) {
      if (Date.now() > deadline) throw new Error('the foreign churn loop did not pause within 20 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  resume(): void {
    rmSync(PAUSE_FILE, { force: true });
  }

  /** Ends the loop and removes its set and chain. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    if (existsSync(PAUSE_FILE)) rmSync(PAUSE_FILE, { force: true });
    tryRun('ipvsadm', ['-D', '-t', CHURN_VS]);
    tryRun('iptables', ['-F', CHURN_CHAIN]);
    tryRun('iptables', ['-X', CHURN_CHAIN]);
    tryRun('ipset', ['destroy', CHURN_SET]);
  }
}

/** A kernel snapshot's lines without the churn loop's objects (they change all the time, by design). */
export function withoutChurn(lines: readonly string[]): string[] {
  return lines.filter((l) => !l.includes(CHURN_VS) && !l.includes(CHURN_SET) && !l.includes(CHURN_CHAIN));
}
