// The demo's child handling (e2e/demo-src/child.ts): a child that dies fails the wait at once with its
// last lines, a child that never gets ready fails the wait when the bound passes, and stopChild ends even
// a child that ignores SIGTERM.
import { expect } from 'chai';
import { startNodeChild, stopChild, waitForChild } from '../../e2e/demo-src/child.js';

const never = async (): Promise<undefined> => undefined;

describe('demo children', function () {
  this.timeout(20_000);

  it('a child that exits early fails the wait at once, with how it ended and its last lines', async function () {
    const child = startNodeChild('fake server', '-e', ["console.log('starting'); console.error('boom: cannot bind'); process.exit(3)"]);
    const t0 = Date.now();
    const err = await waitForChild(child, 'the server to listen', 60_000, never).then(() => undefined, (e: Error) => e);
    expect(err, 'the wait must fail').to.be.instanceOf(Error);
    expect(err!.message).to.contain('fake server ended (exit code 3) while waiting for the server to listen');
    expect(err!.message).to.contain('boom: cannot bind');
    expect(err!.message).to.contain('starting');
    expect(Date.now() - t0, 'failed at once, not at the 60 s bound').to.be.below(10_000);
  });

  it('a child that never gets ready fails the wait at the bound, saying what did not happen', async function () {
    const child = startNodeChild('slow server', '-e', ["console.log('still warming up'); setInterval(() => {}, 1000)"]);
    try {
      const err = await waitForChild(child, 'the first sync', 1_000, never).then(() => undefined, (e: Error) => e);
      expect(err!.message).to.contain('the first sync did not happen within 1 s (slow server still running)');
      expect(err!.message).to.contain('still warming up');
    } finally {
      await stopChild(child);
    }
  });

  it('resolves with what ready() returned', async function () {
    const child = startNodeChild('server', '-e', ["console.log('listening on http://127.0.0.1:1'); setInterval(() => {}, 1000)"]);
    try {
      const line = await waitForChild(child, 'listening', 10_000, async () => child.tail().find((l) => l.startsWith('listening on ')));
      expect(line).to.equal('listening on http://127.0.0.1:1');
    } finally {
      await stopChild(child);
    }
  });

  it('stopChild kills a child that ignores SIGTERM once the grace period is over', async function () {
    const child = startNodeChild('stubborn', '-e', ["process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"]);
    await waitForChild(child, 'up', 10_000, async () => (child.tail().includes('up') ? true : undefined));
    await stopChild(child, 500);
    expect(await child.exited).to.equal('signal SIGKILL');
  });
});
