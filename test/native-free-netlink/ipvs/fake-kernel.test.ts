// The codec end to end at the MESSAGE level: builders -> a fake kernel made of the codec's request decoder
// and reply encoders -> the reply decoders. No socket, no root.
import { expect } from 'chai';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import {
  decodeConfig,
  decodeDestinationList,
  decodeInfo,
  decodeIpvsAck,
  decodeService,
  decodeServiceList,
  delDestination,
  delService,
  flush,
  getConfig,
  getDestinations,
  getInfo,
  getService,
  getServices,
  IpvsError,
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_SERVICE,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED1,
  newDestination,
  newService,
  setConfig,
  setService,
  type IpvsDestination,
  type IpvsService,
} from '../../../native-free-netlink/ipvs/index.js';
import { FakeIpvsKernel } from './fake-ipvs-kernel.js';

const FAMILY = 0x26;
const web: IpvsService = { family: AF_INET, protocol: 6, address: '10.96.0.10', port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
const dns: IpvsService = { family: AF_INET6, protocol: 17, address: 'fd00:10:96::a', port: 53, fwmark: 0, scheduler: 'wlc', flags: IP_VS_SVC_F_PERSISTENT, timeout: 10800, netmask: 128 };
const pod: IpvsDestination = { family: AF_INET, address: '10.244.1.2', port: 8080, forward: 0, weight: 1, upperThreshold: 0, lowerThreshold: 0 };

describe('ipvs codec against a message-level fake kernel', () => {
  let k: FakeIpvsKernel;
  let seq: number;
  beforeEach(() => {
    k = new FakeIpvsKernel(FAMILY);
    seq = 1;
  });

  it('creates services and destinations, and lists them back equal', () => {
    decodeIpvsAck(k.handle(newService(FAMILY, seq++, web)), IPVS_CMD_NEW_SERVICE);
    decodeIpvsAck(k.handle(newService(FAMILY, seq++, dns)), IPVS_CMD_NEW_SERVICE);
    decodeIpvsAck(k.handle(newDestination(FAMILY, seq++, web, pod)), IPVS_CMD_NEW_DEST);
    const list = decodeServiceList(k.handle(getServices(FAMILY, seq++)), { familyId: FAMILY });
    expect(list.entries.map((e) => e.service)).to.deep.equal([web, dns]);
    expect(list.done).to.equal(true);
    const dests = decodeDestinationList(k.handle(getDestinations(FAMILY, seq++, web)), { familyId: FAMILY, service: web });
    expect(dests.entries.map((e) => e.destination)).to.deep.equal([pod]);
    expect(decodeService(k.handle(getService(FAMILY, seq++, dns))).service).to.deep.equal(dns);
  });

  it('errors come back as IpvsError with the kernel errno and readable text', () => {
    decodeIpvsAck(k.handle(newService(FAMILY, seq++, web)), IPVS_CMD_NEW_SERVICE);
    expect(() => decodeIpvsAck(k.handle(newService(FAMILY, seq++, web)), IPVS_CMD_NEW_SERVICE, { service: web })).to.throw(
      IpvsError,
      'NEW_SERVICE tcp 10.96.0.10:80: EEXIST (service already exists)',
    );
    const foo = { ...web, port: 81, scheduler: 'foo' };
    expect(() => decodeIpvsAck(k.handle(newService(FAMILY, seq++, foo)), IPVS_CMD_NEW_SERVICE, { service: foo })).to.throw(
      'NEW_SERVICE tcp 10.96.0.10:81: ENOENT (scheduler module "foo" not found?)',
    );
    expect(() => decodeIpvsAck(k.handle(delService(FAMILY, seq++, dns)), IPVS_CMD_DEL_SERVICE, { service: dns })).to.throw(
      'DEL_SERVICE udp [fd00:10:96::a]:53: ESRCH (no such service)',
    );
    expect(() => decodeIpvsAck(k.handle(delDestination(FAMILY, seq++, web, pod)), IPVS_CMD_DEL_DEST, { service: web, destination: pod })).to.throw(
      'DEL_DEST tcp 10.96.0.10:80 -> 10.244.1.2:8080: ENOENT (no such destination)',
    );
    expect(() => decodeService(k.handle(getService(FAMILY, seq++, dns)), { object: { service: dns } })).to.throw(/ESRCH/);
  });

  it('GET_DEST of a missing service is an empty dump, as in the kernel', () => {
    const d = decodeDestinationList(k.handle(getDestinations(FAMILY, seq++, dns)));
    expect(d).to.deep.equal({ entries: [], interrupted: false, done: true });
  });

  it('SET_SERVICE with a mask changes only the masked flags', () => {
    decodeIpvsAck(k.handle(newService(FAMILY, seq++, { ...web, flags: IP_VS_SVC_F_PERSISTENT })), IPVS_CMD_NEW_SERVICE);
    decodeIpvsAck(k.handle(setService(FAMILY, seq++, { ...web, flags: IP_VS_SVC_F_SCHED1 }, { flagsMask: IP_VS_SVC_F_SCHED1 })), IPVS_CMD_SET_SERVICE);
    expect(decodeService(k.handle(getService(FAMILY, seq++, web))).service.flags).to.equal(IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_SCHED1);
  });

  it('info, config, set config with 0 keeping a value, flush', () => {
    expect(decodeInfo(k.handle(getInfo(FAMILY, seq++)))).to.deep.equal({ version: '1.2.1', connTableSize: 4096 });
    decodeIpvsAck(k.handle(setConfig(FAMILY, seq++, { tcp: 0, tcpFin: 60, udp: 30 })), IPVS_CMD_SET_CONFIG);
    expect(decodeConfig(k.handle(getConfig(FAMILY, seq++)))).to.deep.equal({ tcp: 900, tcpFin: 60, udp: 30 });
    decodeIpvsAck(k.handle(newService(FAMILY, seq++, web)), IPVS_CMD_NEW_SERVICE);
    decodeIpvsAck(k.handle(flush(FAMILY, seq++)), 17);
    expect(decodeServiceList(k.handle(getServices(FAMILY, seq++))).entries).to.deep.equal([]);
  });
});
