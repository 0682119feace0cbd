// e2e/monitoring/prometheus-server.ts with Debian's real prometheus and promtool, on this machine (no VM,
// no proxier): the rule check, an early exit, and alerts seen firing and not firing through the HTTP API.
import { expect } from 'chai';
import { PrometheusServer } from '../../e2e/monitoring/prometheus-server.js';
import { requireOnPath } from '../charts/helpers.js';

// `up == 0` fires for a target nothing listens on (port 1); `vector(1) == 0` never does.
const RULES = `groups:
  - name: g
    rules:
      - alert: Unreachable
        expr: up{job="probe"} == 0
        for: 1s
      - alert: Never
        expr: vector(1) == 0
`;
const OPTIONS = { job: 'probe', targets: ['127.0.0.1:1'], targetLabels: { node: 'node-1' } };

describe('e2e/monitoring: PrometheusServer (real prometheus 2.42)', function () {
  this.timeout(60_000);

  before(function () {
    requireOnPath('prometheus', 'prometheus');
    requireOnPath('promtool', 'prometheus');
  });

  it('refuses a rule file promtool rejects, with promtool\'s message', async function () {
    const err = await PrometheusServer.start({ ...OPTIONS, ruleFile: 'groups:\n  - name: g\n    rules:\n      - alert: Bad\n        expr: up ==\n' }).catch((e: Error) => e);
    expect(err).to.be.an('error');
    expect((err as Error).message).to.match(/promtool check rules .* failed: .*Bad/s);
  });

  it('fails with the exit code and log lines when prometheus exits before it is ready', async function () {
    const err = await PrometheusServer.start({ ...OPTIONS, ruleFile: RULES, prometheusBinary: 'false' }).catch((e: Error) => e);
    expect((err as Error).message).to.match(/prometheus exited before it was ready \(exit code 1\); its last log lines:/);
  });

  it('serves alerts: a firing one is waited for, labelled with job and node; one that never fires times out saying so', async function () {
    const p = await PrometheusServer.start({ ...OPTIONS, ruleFile: RULES });
    try {
      const fired = await p.waitForAlert('Unreachable', 'firing', 20_000);
      expect(fired.alerts[0]!.labels).to.include({ alertname: 'Unreachable', job: 'probe', node: 'node-1', instance: '127.0.0.1:1' });
      await p.waitForAlert('Never', 'inactive', 5_000);
      const err = await p.waitForAlert('Never', 'firing', 1_500, 'a hint').catch((e: Error) => e);
      expect((err as Error).message).to.match(/alert Never did not become firing within 1500 ms \(a hint\); alerts last seen:\n {2}Unreachable firing/);
      const unknown = await p.waitForAlert('Nope', 'inactive', 1_000).catch((e: Error) => e);
      expect((unknown as Error).message).to.match(/no rule named Nope is loaded/);
    } finally {
      await p.stop();
    }
  });
});
