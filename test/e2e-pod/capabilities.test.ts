// e2e/pod/capabilities.ts: reading the capability sets of /proc/PID/status as the pod suite does.
import { expect } from 'chai';
import { capabilityNames, statusField } from '../../e2e/pod/capabilities.js';

// The lines of a process with NET_ADMIN and NET_RAW only, as a container with `drop: [ALL], add: [NET_ADMIN,
// NET_RAW]` shows them (bits 12 and 13 of linux/capability.h).
const STATUS = `Name:\tnode
Uid:\t0\t0\t0\t0
CapInh:\t0000000000000000
CapPrm:\t0000000000003000
CapEff:\t0000000000003000
CapBnd:\t0000000000003000
CapAmb:\t0000000000000000
NoNewPrivs:\t1
Seccomp:\t2
`;

describe('capability sets in /proc/PID/status (e2e/pod/capabilities)', function () {
  it('names the bits of a mask, sorted', function () {
    expect(capabilityNames(statusField(STATUS, 'CapEff'))).to.deep.equal(['NET_ADMIN', 'NET_RAW']);
    expect(capabilityNames(statusField(STATUS, 'CapInh'))).to.deep.equal([]);
    expect(capabilityNames('0000000000211000')).to.deep.equal(['NET_ADMIN', 'SYS_ADMIN', 'SYS_MODULE']);
    // What a privileged container has on a 6.1 kernel: all 41 (CAP_CHECKPOINT_RESTORE is bit 40).
    const all = capabilityNames('000001ffffffffff');
    expect(all).to.have.length(41);
    expect(all).to.include.members(['CHOWN', 'CHECKPOINT_RESTORE']);
    expect(capabilityNames('0000020000000000')).to.deep.equal(['bit 41']);
  });

  it('reads one field and refuses what is not there or not a mask', function () {
    expect(statusField(STATUS, 'NoNewPrivs')).to.equal('1');
    expect(() => statusField(STATUS, 'CapFoo')).to.throw('/proc/PID/status has no CapFoo line');
    expect(() => capabilityNames('xyz')).to.throw('not a capability mask');
  });
});
