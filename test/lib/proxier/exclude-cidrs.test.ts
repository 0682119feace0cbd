import { expect } from 'chai';
import { neverDeleteIn } from '../../../lib/proxier/exclude-cidrs.js';
import type { VirtualServer } from '../../../lib/state/types.js';

const at = (address: string): VirtualServer => ({ protocol: 'tcp', address, port: 80, scheduler: 'rr', flags: [], realServers: [] });

describe('--ipvs-exclude-cidrs (neverDeleteIn)', () => {
  it('is true for virtual servers whose address lies in one of the CIDRs, of either family', () => {
    const keep = neverDeleteIn(['10.96.0.8/30', 'fd00:10:96::/112'])!;
    expect(['10.96.0.8', '10.96.0.11', '10.96.0.12', '10.96.0.7', 'fd00:10:96::a', 'fd00:10:97::a'].map((a) => keep(at(a))))
      .to.deep.equal([true, true, false, false, true, false]);
  });

  it('never covers a fwmark virtual server, and is absent without CIDRs', () => {
    const keep = neverDeleteIn(['0.0.0.0/0'])!;
    expect(keep({ fwmark: 5, family: 'inet', scheduler: 'rr', flags: [], realServers: [] })).to.equal(false);
    expect(keep(at('192.0.2.1'))).to.equal(true);
    expect(neverDeleteIn([])).to.equal(undefined);
    expect(neverDeleteIn(undefined)).to.equal(undefined);
  });
});
