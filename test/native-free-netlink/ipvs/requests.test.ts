import { expect } from 'chai';
import { encodeMessage, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from '../../../native-free-netlink/core/message.js';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import { decodeGenl } from '../../../native-free-netlink/genetlink/genl.js';
import {
  decodeIpvsRequest,
  delDestination,
  delService,
  flush,
  getConfig,
  getDestinations,
  getInfo,
  getService,
  getServices,
  IP_VS_SVC_F_PERSISTENT,
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_FLUSH,
  IPVS_CMD_GET_CONFIG,
  IPVS_CMD_GET_DEST,
  IPVS_CMD_GET_INFO,
  IPVS_CMD_GET_SERVICE,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_DEST,
  IPVS_CMD_SET_SERVICE,
  IPVS_CMD_ZERO,
  newDestination,
  newService,
  setConfig,
  setDestination,
  setService,
  zero,
  type IpvsDestination,
  type IpvsService,
} from '../../../native-free-netlink/ipvs/index.js';
import { hex } from './helpers.js';

const FAMILY = 0x24;
const web: IpvsService = {
  family: AF_INET,
  protocol: 6,
  address: '10.96.0.10',
  port: 80,
  fwmark: 0,
  scheduler: 'rr',
  flags: 0,
  timeout: 0,
  netmask: 0xffffffff,
};
const key = { family: AF_INET, protocol: 6, address: '10.96.0.10', port: 80, fwmark: 0 } as const;
const pod: IpvsDestination = { family: AF_INET, address: '10.244.1.2', port: 8080, forward: 0, weight: 1, upperThreshold: 0, lowerThreshold: 0 };
const podKey = { family: AF_INET, address: '10.244.1.2', port: 8080 } as const;

describe('ipvs request builders', () => {
  it('NEW_SERVICE: exact bytes, header REQUEST|ACK, genl cmd 1 version 1, nest flagged NLA_F_NESTED', () => {
    const m = newService(FAMILY, 7, web, { pid: 99 });
    expect(encodeMessage(m)).to.deep.equal(
      hex(`
        68000000 2400 0500 07000000 63000000
        01010000
        54000180
          06000100 02000000
          06000200 06000000
          14000300 0a60000a 00000000 00000000 00000000
          06000400 00500000
          07000600 72720000
          0c000700 00000000 ffffffff
          08000800 00000000
          08000900 ffffffff`),
    );
  });

  it('nestedFlag: false clears NLA_F_NESTED (as ipvsadm/libnl send it)', () => {
    const bytes = encodeMessage(newService(FAMILY, 7, web, { nestedFlag: false }));
    expect(bytes.subarray(20, 24)).to.deep.equal(hex('54000100'));
  });

  it('every command carries its number; dumps ask NLM_F_DUMP and no ack, the rest ack', () => {
    const cases: [ReturnType<typeof getInfo>, number, number][] = [
      [newService(FAMILY, 1, web), IPVS_CMD_NEW_SERVICE, NLM_F_REQUEST | NLM_F_ACK],
      [setService(FAMILY, 1, web), IPVS_CMD_SET_SERVICE, NLM_F_REQUEST | NLM_F_ACK],
      [delService(FAMILY, 1, key), IPVS_CMD_DEL_SERVICE, NLM_F_REQUEST | NLM_F_ACK],
      [getService(FAMILY, 1, key), IPVS_CMD_GET_SERVICE, NLM_F_REQUEST | NLM_F_ACK],
      [getServices(FAMILY, 1), IPVS_CMD_GET_SERVICE, NLM_F_REQUEST | NLM_F_DUMP],
      [newDestination(FAMILY, 1, key, pod), IPVS_CMD_NEW_DEST, NLM_F_REQUEST | NLM_F_ACK],
      [setDestination(FAMILY, 1, key, pod), IPVS_CMD_SET_DEST, NLM_F_REQUEST | NLM_F_ACK],
      [delDestination(FAMILY, 1, key, podKey), IPVS_CMD_DEL_DEST, NLM_F_REQUEST | NLM_F_ACK],
      [getDestinations(FAMILY, 1, key), IPVS_CMD_GET_DEST, NLM_F_REQUEST | NLM_F_DUMP],
      [getInfo(FAMILY, 1), IPVS_CMD_GET_INFO, NLM_F_REQUEST | NLM_F_ACK],
      [getConfig(FAMILY, 1), IPVS_CMD_GET_CONFIG, NLM_F_REQUEST | NLM_F_ACK],
      [setConfig(FAMILY, 1, { tcp: 900 }), IPVS_CMD_SET_CONFIG, NLM_F_REQUEST | NLM_F_ACK],
      [flush(FAMILY, 1), IPVS_CMD_FLUSH, NLM_F_REQUEST | NLM_F_ACK],
      [zero(FAMILY, 1, undefined), IPVS_CMD_ZERO, NLM_F_REQUEST | NLM_F_ACK],
    ];
    for (const [m, cmd, flags] of cases) {
      expect(m.type, `type of cmd ${cmd}`).to.equal(FAMILY);
      expect(m.flags, `flags of cmd ${cmd}`).to.equal(flags);
      const g = decodeGenl(m.payload);
      expect([g.cmd, g.version]).to.deep.equal([cmd, 1]);
    }
    expect(getServices(FAMILY, 1, { ack: true }).flags).to.equal(NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
    expect(flush(FAMILY, 1, { ack: false }).flags).to.equal(NLM_F_REQUEST);
  });

  it('DEL_SERVICE sends only the identity, even given a whole service', () => {
    const m = delService(FAMILY, 3, web);
    expect(encodeMessage(m)).to.deep.equal(
      hex(`
        44000000 2400 0500 03000000 00000000
        03010000
        30000180
          06000100 02000000
          06000200 06000000
          14000300 0a60000a 00000000 00000000 00000000
          06000400 00500000`),
    );
    expect(decodeIpvsRequest(m).service).to.deep.equal(key);
  });

  it('full: true sends the whole service and destination, as ipvsadm does on DEL', () => {
    const m = delDestination(FAMILY, 3, web, pod, { full: true });
    const r = decodeIpvsRequest(m);
    expect(r.service).to.deep.equal(web);
    expect(r.destination).to.deep.equal(pod);
    expect(() => delService(FAMILY, 3, key, { full: true })).to.throw(/whole IpvsService/);
    expect(() => delDestination(FAMILY, 3, key, podKey, { full: true })).to.throw(/whole IpvsService/);
    expect(() => delDestination(FAMILY, 3, web, podKey, { full: true })).to.throw(/whole IpvsDestination/);
  });

  it('DEL_DEST: service identity then destination identity', () => {
    const m = delDestination(FAMILY, 4, key, podKey);
    const r = decodeIpvsRequest(m);
    expect(r).to.deep.equal({ cmd: IPVS_CMD_DEL_DEST, flags: 5, seq: 4, pid: 0, service: key, destination: podKey, nestedFlag: true });
  });

  it('NEW_DEST reads back whole; GET_DEST dumps one service by identity', () => {
    expect(decodeIpvsRequest(newDestination(FAMILY, 5, key, pod)).destination).to.deep.equal(pod);
    const d = decodeIpvsRequest(getDestinations(FAMILY, 6, web));
    expect(d.service).to.deep.equal(key);
    expect(d.destination).to.equal(undefined);
  });

  it('SET_CONFIG sends only the timeouts given, in seconds', () => {
    const m = setConfig(FAMILY, 8, { tcp: 900, udp: 300 });
    expect(m.payload).to.deep.equal(hex('0c010000  08000400 84030000  08000600 2c010000'));
    expect(decodeIpvsRequest(m).timeouts).to.deep.equal({ tcp: 900, udp: 300 });
  });

  it('SET_SERVICE with a mask reads back the mask', () => {
    const r = decodeIpvsRequest(setService(FAMILY, 9, { ...web, flags: 8 }, { flagsMask: 8 }));
    expect(r.flagsMask).to.equal(8);
    expect((r.service as IpvsService).flags).to.equal(8);
  });

  it('NEW_SERVICE refuses what the kernel would refuse, naming the service', () => {
    expect(() => newService(FAMILY, 1, { ...web, scheduler: '' })).to.throw(/tcp 10\.96\.0\.10:80: empty scheduler/);
    expect(() => newService(FAMILY, 1, { ...web, family: AF_INET6, address: 'fd00::a', netmask: 0 })).to.throw(/\[fd00::a\]:80/);
    expect(() => setService(FAMILY, 1, { ...web, family: AF_INET6, address: 'fd00::a', netmask: 129 })).to.throw(/1\.\.128/);
    expect(newService(FAMILY, 1, { ...web, family: AF_INET6, address: 'fd00::a', netmask: 128, flags: IP_VS_SVC_F_PERSISTENT })).to.have.property('type', FAMILY);
  });

  it('ZERO of one service carries it; of all carries nothing', () => {
    expect(decodeIpvsRequest(zero(FAMILY, 1, key)).service).to.deep.equal(key);
    expect(zero(FAMILY, 1, undefined).payload).to.deep.equal(hex('10010000'));
  });
});
