import { expect } from 'chai';
import { formatDuration, parseDuration } from '../../../lib/cli/duration.js';

describe('Go durations', () => {
  const good: [string, number][] = [
    ['30s', 30_000], ['1m', 60_000], ['500ms', 500], ['0', 0], ['0s', 0], ['-0', 0], ['+5s', 5000], ['-1.5h', -5_400_000],
    ['1h30m', 5_400_000], ['1m30.5s', 90_500], ['.5s', 500], ['1.s', 1000], ['1500us', 1.5], ['1500µs', 1.5],
    ['1000000ns', 1], ['2h45m10s', 9_910_000],
  ];
  for (const [text, ms] of good) it(`parses "${text}" as ${ms} ms`, () => expect(parseDuration(text)).to.equal(ms));

  const bad = ['', '30', '1.5', 's', '1d', '1 s', '.s', '-', '1h-5m', 'thirty seconds', '5S'];
  for (const text of bad) it(`refuses "${text}"`, () => expect(() => parseDuration(text)).to.throw(/duration/));

  it('formats as Go does', () => {
    expect([0, 500, 1000, 30_000, 90_000, 3_600_000, 5_400_500].map(formatDuration)).to.deep.equal(['0s', '500ms', '1s', '30s', '1m30s', '1h0m0s', '1h30m0.5s']);
  });

  it('round-trips what it formats', () => {
    for (const ms of [1, 999, 1000, 61_000, 3_599_999, 86_400_000]) expect(parseDuration(formatDuration(ms))).to.equal(ms);
  });
});
