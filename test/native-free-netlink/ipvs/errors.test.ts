import { expect } from 'chai';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import { EEXIST, EINVAL, ENOENT, ESRCH } from '../../../native-free-netlink/core/errno.js';
import {
  describeIpvsError,
  IpvsError,
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_FLUSH,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_DEST,
  IPVS_CMD_SET_SERVICE,
  type IpvsService,
} from '../../../native-free-netlink/ipvs/index.js';

const svc: IpvsService = { family: AF_INET, protocol: 6, address: '10.96.0.10', port: 80, fwmark: 0, scheduler: 'foo', flags: 0, timeout: 0, netmask: 0xffffffff };
const dest = { family: AF_INET, address: '10.244.1.2', port: 8080 } as const;

describe('describeIpvsError', () => {
  it('names the scheduler module for ENOENT on NEW_SERVICE', () => {
    expect(describeIpvsError(IPVS_CMD_NEW_SERVICE, { service: svc }, ENOENT)).to.equal('NEW_SERVICE tcp 10.96.0.10:80: ENOENT (scheduler module "foo" not found?)');
    expect(describeIpvsError(IPVS_CMD_SET_SERVICE, { service: { ...svc, peName: 'sip' } }, ENOENT)).to.equal(
      'SET_SERVICE tcp 10.96.0.10:80: ENOENT (scheduler module "foo" or persistence engine "sip" not found?)',
    );
  });

  it('EEXIST for an existing destination, with service -> destination', () => {
    expect(describeIpvsError(IPVS_CMD_NEW_DEST, { service: svc, destination: dest }, EEXIST)).to.equal(
      'NEW_DEST tcp 10.96.0.10:80 -> 10.244.1.2:8080: EEXIST (destination already exists)',
    );
  });

  it('ESRCH is a missing service; ENOENT on SET/DEL_DEST a missing destination', () => {
    expect(describeIpvsError(IPVS_CMD_DEL_SERVICE, { service: svc }, ESRCH)).to.equal('DEL_SERVICE tcp 10.96.0.10:80: ESRCH (no such service)');
    expect(describeIpvsError(IPVS_CMD_NEW_DEST, { service: svc, destination: dest }, ESRCH)).to.match(/ESRCH \(no such service\)$/);
    expect(describeIpvsError(IPVS_CMD_DEL_DEST, { service: svc, destination: dest }, ENOENT)).to.match(/ENOENT \(no such destination\)$/);
    expect(describeIpvsError(IPVS_CMD_SET_DEST, { service: svc, destination: dest }, ENOENT)).to.match(/ENOENT \(no such destination\)$/);
  });

  it('EEXIST on NEW_SERVICE; EINVAL hints; IPv6 and fwmark objects', () => {
    expect(describeIpvsError(IPVS_CMD_NEW_SERVICE, { service: svc }, EEXIST)).to.match(/EEXIST \(service already exists\)$/);
    expect(describeIpvsError(IPVS_CMD_NEW_DEST, { service: svc, destination: dest }, EINVAL)).to.match(/address not unicast/);
    const v6 = { family: AF_INET6, protocol: 17, address: 'fd00::a', port: 53, fwmark: 0 } as const;
    expect(describeIpvsError(IPVS_CMD_DEL_SERVICE, { service: v6 }, ESRCH)).to.equal('DEL_SERVICE udp [fd00::a]:53: ESRCH (no such service)');
    const fw = { family: AF_INET, protocol: 0, address: '', port: 0, fwmark: 5 } as const;
    expect(describeIpvsError(IPVS_CMD_DEL_SERVICE, { service: fw }, ESRCH)).to.equal('DEL_SERVICE fwmark 5: ESRCH (no such service)');
  });

  it('no hint where none is known; no object for FLUSH', () => {
    expect(describeIpvsError(IPVS_CMD_FLUSH, {}, 5)).to.equal('FLUSH: EIO');
    expect(describeIpvsError(99, {}, 1234)).to.equal('IPVS_CMD_99: errno 1234');
  });

  it('IpvsError carries errno, command and object', () => {
    const e = new IpvsError(IPVS_CMD_NEW_SERVICE, { service: svc }, ENOENT);
    expect(e).to.be.instanceOf(Error);
    expect([e.name, e.errno, e.cmd, e.object.service]).to.deep.equal(['IpvsError', ENOENT, IPVS_CMD_NEW_SERVICE, svc]);
  });
});
