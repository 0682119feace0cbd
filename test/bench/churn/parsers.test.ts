// The churn bench's readers of what the proxier shows: /proc/<pid>/stat and status, its "sync done" log
// lines, and whether one virtual server's destinations show a change.
import { expect } from 'chai';
import { AF_INET } from '../../../native-free-netlink/core/ip.js';
import type { IpvsDestinationEntry } from '../../../native-free-netlink/ipvs/types.js';
import { serviceKey, showsChange } from '../../../e2e/bench/churn/observer.js';
import { cpuSecondsFromStat, rssMiBFromStatus } from '../../../e2e/bench/churn/process-sample.js';
import { parseSyncDone } from '../../../e2e/bench/churn/sync-log.js';

function dest(address: string, weight: number): IpvsDestinationEntry {
  return { destination: { family: AF_INET, address, port: 8080, forward: 0, weight, upperThreshold: 0, lowerThreshold: 0 }, stats: { activeConns: 0, inactiveConns: 0, persistConns: 0 } };
}

describe('churn bench: readers', () => {
  it('reads utime + stime from /proc/PID/stat, whatever the command name holds', () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 11 0 500 1000000 25000';
    expect(cpuSecondsFromStat(stat)).to.equal(3.25);
    expect(() => cpuSecondsFromStat('1 (x) S 1')).to.throw(/no utime\/stime/);
  });

  it('reads VmRSS from /proc/PID/status in MiB', () => {
    expect(rssMiBFromStatus('Name:\tnode\nVmHWM:\t  300000 kB\nVmRSS:\t  204800 kB\nRssAnon:\t 1 kB\n')).to.equal(200);
    expect(() => rssMiBFromStatus('Name:\tnode\n')).to.throw(/no VmRSS/);
  });

  it('takes "sync done" lines and nothing else', () => {
    const line = JSON.stringify({ level: 'verbose', message: 'sync done', sync: 7, reason: 'requested', readKernel: false, durationMs: 42, operations: 4, messagesSent: 4, plan: 'scoped', desiredMs: 5, connectionsMs: 7, applyMs: 30, timestamp: 'x' });
    expect(parseSyncDone(line)).to.deep.equal({
      sync: 7, reason: 'requested', readKernel: false, durationMs: 42, operations: 4, messagesSent: 4, plan: 'scoped', phases: { desiredMs: 5, connectionsMs: 7, applyMs: 30 },
    });
    expect(parseSyncDone(JSON.stringify({ message: 'sync queued', note: '"sync done"' }))).to.equal(undefined);
    expect(parseSyncDone('TypeError: "sync done" is not JSON')).to.equal(undefined);
  });

  it('sees a change once the new pod has weight and the old one is gone or drained', () => {
    const change = { oldIp: '10.128.0.3', newIp: '10.128.9.1' };
    expect(showsChange([dest('10.128.0.1', 1), dest('10.128.0.3', 1)], change)).to.equal(false);
    expect(showsChange([dest('10.128.0.1', 1), dest('10.128.0.3', 1), dest('10.128.9.1', 1)], change)).to.equal(false);
    expect(showsChange([dest('10.128.0.1', 1), dest('10.128.0.3', 0), dest('10.128.9.1', 1)], change)).to.equal(true);
    expect(showsChange([dest('10.128.0.1', 1), dest('10.128.9.1', 1)], change)).to.equal(true);
    expect(showsChange([dest('10.128.0.1', 1), dest('10.128.9.1', 0)], change)).to.equal(false);
  });

  it('asks for the virtual server of the Service\'s cluster IP, tcp port 80', () => {
    expect(serviceKey(0)).to.deep.equal({ family: AF_INET, protocol: 6, address: '10.96.0.2', port: 80, fwmark: 0 });
    expect(serviceKey(9999)).to.include({ address: '10.96.39.17' });
  });
});
