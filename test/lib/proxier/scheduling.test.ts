import { expect } from 'chai';
import { chooseScheduling } from '../../../lib/proxier/scheduling.js';

const S = 'ipvs-proxier.io/scheduler';
const F = 'ipvs-proxier.io/flags';

describe('chooseScheduling', () => {
  const cases: { title: string; annotations?: Record<string, string>; node: string; want: ReturnType<typeof chooseScheduling> }[] = [
    { title: 'node scheduler by default', node: 'wlc', want: { ok: true, scheduler: 'wlc', flags: [] } },
    { title: 'empty node scheduler means rr', node: '', want: { ok: true, scheduler: 'rr', flags: [] } },
    { title: 'mh gets mh-port, as kube-proxy sets it', node: 'mh', want: { ok: true, scheduler: 'mh', flags: ['mh-port'] } },
    { title: 'an explicit empty flags list turns that off', annotations: { [F]: '' }, node: 'mh', want: { ok: true, scheduler: 'mh', flags: [] } },
    { title: 'annotation overrides', annotations: { [S]: ' sh ' }, node: 'rr', want: { ok: true, scheduler: 'sh', flags: [] } },
    {
      title: 'generic flag names become scheduler names for sh',
      annotations: { [S]: 'sh', [F]: 'flag-1,flag-2,flag-3' }, node: 'rr',
      want: { ok: true, scheduler: 'sh', flags: ['sh-fallback', 'sh-port', 'flag-3'] },
    },
    {
      title: 'generic flag names stay generic for other schedulers; duplicates dropped',
      annotations: { [F]: 'flag-2, flag-2,one-packet' }, node: 'rr',
      want: { ok: true, scheduler: 'rr', flags: ['flag-2', 'one-packet'] },
    },
    {
      title: 'sh- flags need sh',
      annotations: { [F]: 'sh-port' }, node: 'rr',
      want: { ok: false, field: `metadata.annotations[${F}]`, reason: 'flag "sh-port" needs scheduler sh, not rr' },
    },
    {
      title: 'persistent is not an annotation flag',
      annotations: { [F]: 'persistent' }, node: 'rr',
      want: { ok: false, field: `metadata.annotations[${F}]`, reason: 'unknown IPVS flag "persistent" (known: one-packet, flag-1, flag-2, flag-3, sh-fallback, sh-port, mh-fallback, mh-port)' },
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      expect(chooseScheduling(c.annotations, c.node)).to.deep.equal(c.want);
    });
  }

  it('refuses an unknown scheduler', () => {
    const r = chooseScheduling({ [S]: 'random' }, 'rr');
    expect(r).to.deep.include({ ok: false, field: `metadata.annotations[${S}]` });
  });
});
