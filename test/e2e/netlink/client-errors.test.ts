// Kernel refusals through our clients: each comes back as a typed error that carries the errno, the
// operation and the object (and a hint where the errno has a usual cause), per request of a batch, and
// the kernel is left as it was. Runs in the e2e VM (npm run e2e); starts from a clean kernel and removes
// exactly what it made.
import { expect } from 'chai';
import { AF_INET } from '../../../native-free-netlink/core/ip.js';
import {
  IPVS_CMD_DEL_DEST, IPVS_CMD_DEL_SERVICE, IPVS_CMD_NEW_DEST, IPVS_CMD_NEW_SERVICE, IpvsError, delDestination, delService, newDestination,
  newService, type IpvsDestination, type IpvsService,
} from '../../../native-free-netlink/ipvs/index.js';
import { IPSET_CMD_CREATE, IpsetError } from '../../../native-free-netlink/ipset/index.js';
import { addAddress, createLink } from '../../../native-free-netlink/rtnetlink/index.js';
import { openKernelEngine, type KernelEngine } from '../../../lib/engine/engine.js';
import { IPSET_CMD_ADD } from '../../../lib/kernel/ipset-client.js';
import { KernelError } from '../../../lib/kernel/kernel-error.js';
import {
  cleanKernelOrSkip, deleteLink, deleteServices, destroySets, ipsetSave, ipvsadmSave, linkAddresses, run, snapshot, type KernelSnapshot,
} from './kernel-tools.js';

const EEXIST = 17;
const ENOENT = 2;
const ESRCH = 3;

const EXISTING: IpvsService = { family: AF_INET, protocol: 6, address: '10.96.3.10', port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
const MISSING: IpvsService = { ...EXISTING, address: '10.96.3.99' };
const REAL: IpvsDestination = { family: AF_INET, address: '10.244.7.2', port: 8080, forward: 0, weight: 1, upperThreshold: 0, lowerThreshold: 0 };
const ABSENT_REAL: IpvsDestination = { ...REAL, address: '10.244.7.99' };

describe('netlink e2e: kernel errors through our clients are typed (errno, operation, object)', function () {
  this.timeout(120_000);
  let baseline: KernelSnapshot | undefined;
  let engine: KernelEngine | undefined;
  let ipvsBefore: string[];

  before(async function () {
    baseline = await cleanKernelOrSkip(this);
    run('ipvsadm', ['-A', '-t', '10.96.3.10:80', '-s', 'rr']);
    run('ipvsadm', ['-a', '-t', '10.96.3.10:80', '-r', '10.244.7.2:8080', '-m', '-w', '1']);
    run('ipset', ['create', 'E2E-PRESENT', 'hash:ip']);
    ipvsBefore = ipvsadmSave();
    engine = await openKernelEngine();
  });

  after(async function () {
    engine?.close();
    if (!baseline) return;
    deleteServices([['-t', '10.96.3.10:80'], ['-t', '10.96.3.11:80'], ['-t', '10.96.3.99:80']]);
    destroySets(['E2E-PRESENT']);
    deleteLink('e2e-err0');
    expect(await snapshot(), 'the kernel after cleanup').to.deep.equal(baseline);
  });

  async function ipvsOne(message: Parameters<KernelEngine['backends']['ipvs']['send']>[0][number]): Promise<Error | undefined> {
    const [e] = await engine!.backends.ipvs.send([message]);
    return e;
  }

  it('NEW_SERVICE of an existing service: EEXIST', async () => {
    const e = await ipvsOne({ message: newService(engine!.backends.ipvs.familyId, 0, EXISTING), cmd: IPVS_CMD_NEW_SERVICE, object: { service: EXISTING } });
    expect(e).to.be.instanceOf(IpvsError);
    const err = e as IpvsError;
    expect(err.errno).to.equal(EEXIST);
    expect(err.cmd).to.equal(IPVS_CMD_NEW_SERVICE);
    expect(err.object.service).to.include({ address: '10.96.3.10', port: 80 });
    expect(err.message).to.equal('NEW_SERVICE tcp 10.96.3.10:80: EEXIST (service already exists)');
    expect(ipvsadmSave()).to.deep.equal(ipvsBefore);
  });

  it('NEW_SERVICE with an unknown scheduler "foo": ENOENT with the scheduler hint, nothing created', async () => {
    const foo: IpvsService = { ...EXISTING, address: '10.96.3.11', scheduler: 'foo' };
    const e = await ipvsOne({ message: newService(engine!.backends.ipvs.familyId, 0, foo), cmd: IPVS_CMD_NEW_SERVICE, object: { service: foo } });
    expect(e).to.be.instanceOf(IpvsError);
    expect((e as IpvsError).errno).to.equal(ENOENT);
    expect(e!.message).to.equal('NEW_SERVICE tcp 10.96.3.11:80: ENOENT (scheduler module "foo" not found?)');
    expect(ipvsadmSave()).to.deep.equal(ipvsBefore);
  });

  it('DEL_DEST of a missing real server: ENOENT; DEL_SERVICE of a missing service: ESRCH', async () => {
    const id = engine!.backends.ipvs.familyId;
    const dd = await ipvsOne({ message: delDestination(id, 0, EXISTING, ABSENT_REAL), cmd: IPVS_CMD_DEL_DEST, object: { service: EXISTING, destination: ABSENT_REAL } });
    expect(dd).to.be.instanceOf(IpvsError);
    expect((dd as IpvsError).errno).to.equal(ENOENT);
    expect((dd as IpvsError).cmd).to.equal(IPVS_CMD_DEL_DEST);
    expect(dd!.message).to.equal('DEL_DEST tcp 10.96.3.10:80 -> 10.244.7.99:8080: ENOENT (no such destination)');
    const ds = await ipvsOne({ message: delService(id, 0, MISSING), cmd: IPVS_CMD_DEL_SERVICE, object: { service: MISSING } });
    expect(ds).to.be.instanceOf(IpvsError);
    expect((ds as IpvsError).errno).to.equal(ESRCH);
    expect(ds!.message).to.equal('DEL_SERVICE tcp 10.96.3.99:80: ESRCH (no such service)');
    expect(ipvsadmSave()).to.deep.equal(ipvsBefore);
  });

  it('in one batched exchange, each request gets its own result: only the failing ones fail, the others take effect', async () => {
    const id = engine!.backends.ipvs.familyId;
    const added: IpvsDestination = { ...REAL, address: '10.244.7.3' };
    const errors = await engine!.backends.ipvs.send([
      { message: newDestination(id, 0, EXISTING, added), cmd: IPVS_CMD_NEW_DEST, object: { service: EXISTING, destination: added } },
      { message: newDestination(id, 0, EXISTING, REAL), cmd: IPVS_CMD_NEW_DEST, object: { service: EXISTING, destination: REAL } },
      { message: newDestination(id, 0, MISSING, REAL), cmd: IPVS_CMD_NEW_DEST, object: { service: MISSING, destination: REAL } },
      { message: delDestination(id, 0, EXISTING, added), cmd: IPVS_CMD_DEL_DEST, object: { service: EXISTING, destination: added } },
    ]);
    expect(errors.map((e) => e?.message)).to.deep.equal([
      undefined,
      'NEW_DEST tcp 10.96.3.10:80 -> 10.244.7.2:8080: EEXIST (destination already exists)',
      'NEW_DEST tcp 10.96.3.99:80 -> 10.244.7.2:8080: ESRCH (no such service)',
      undefined,
    ]);
    expect(errors.map((e) => (e as IpvsError | undefined)?.errno)).to.deep.equal([undefined, EEXIST, ESRCH, undefined]);
    // Added then deleted in the same datagram: back to where it was.
    expect(ipvsadmSave()).to.deep.equal(ipvsBefore);
  });

  it('ipset add to a missing set: IpsetError ENOENT naming the set and member; create of an existing set: EEXIST', async () => {
    const { ipset } = engine!.backends;
    const setsBefore = ipsetSave();
    const [add] = await ipset.send(ipset.members(IPSET_CMD_ADD, 'E2E-MISSING', 'hash:ip', 'inet', ['10.1.1.1']));
    expect(add).to.be.instanceOf(IpsetError);
    const err = add as IpsetError;
    expect(err.errno).to.equal(ENOENT);
    expect(err.cmd).to.equal(IPSET_CMD_ADD);
    expect(err.setName).to.equal('E2E-MISSING');
    expect(err.message).to.equal('ipset add E2E-MISSING 10.1.1.1: The set with the given name does not exist (ENOENT, errno 2)');
    const [create] = await ipset.send([await ipset.create('E2E-PRESENT', 'hash:ip,port', 'inet', {})]);
    expect(create).to.be.instanceOf(IpsetError);
    expect((create as IpsetError).errno).to.equal(EEXIST);
    expect((create as IpsetError).cmd).to.equal(IPSET_CMD_CREATE);
    expect(create!.message).to.equal('ipset create E2E-PRESENT: Set cannot be created: set with the same name already exists (EEXIST, errno 17)');
    expect(ipsetSave()).to.deep.equal(setsBefore);
  });

  it('an address added twice: KernelError RTM_NEWADDR EEXIST naming the address; the link keeps one copy', async () => {
    const { links } = engine!.backends;
    const [created] = await links.send([createLink({ name: 'e2e-err0', kind: 'dummy' }, 0)], () => ({ operation: 'RTM_NEWLINK', object: 'e2e-err0' }));
    expect(created).to.equal(undefined);
    const link = await links.find('e2e-err0');
    const add = () => addAddress({ index: link!.index, cidr: '10.96.3.10/32' }, 0);
    const errors = await links.send([add(), add()], () => ({ operation: 'RTM_NEWADDR', object: '10.96.3.10/32 on e2e-err0' }));
    expect(errors[0]).to.equal(undefined);
    expect(errors[1]).to.be.instanceOf(KernelError);
    const err = errors[1] as KernelError;
    expect({ operation: err.operation, object: err.object, errno: err.errno, code: err.code }).to.deep.equal({
      operation: 'RTM_NEWADDR', object: '10.96.3.10/32 on e2e-err0', errno: EEXIST, code: 'EEXIST',
    });
    expect(err.message).to.match(/^RTM_NEWADDR 10\.96\.3\.10\/32 on e2e-err0: EEXIST/);
    expect(linkAddresses('e2e-err0')).to.deep.equal(['10.96.3.10/32']);
    // Creating the link again: EEXIST too (NLM_F_EXCL), not a silent success.
    const [again] = await links.send([createLink({ name: 'e2e-err0', kind: 'dummy' }, 0)], () => ({ operation: 'RTM_NEWLINK', object: 'e2e-err0' }));
    expect((again as KernelError | undefined)?.errno).to.equal(EEXIST);
  });
});
