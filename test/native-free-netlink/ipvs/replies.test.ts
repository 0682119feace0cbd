import { expect } from 'chai';
import { encodeAck } from '../../../native-free-netlink/core/ack.js';
import { decodeMessages, encodeMessages, NLM_F_DUMP_INTR, NLM_F_MULTI, NLMSG_DONE, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import { ENOENT, ESRCH } from '../../../native-free-netlink/core/errno.js';
import {
  decodeConfig,
  decodeDestinationList,
  decodeInfo,
  decodeIpvsAck,
  decodeService,
  decodeServiceList,
  encodeConfigReply,
  encodeDestinationReply,
  encodeDone,
  encodeInfoReply,
  encodeServiceReply,
  getDestinations,
  getService,
  getServices,
  IpvsError,
  IPVS_CMD_NEW_SERVICE,
  newService,
  versionCode,
  versionText,
  zeroStats,
  type IpvsDestinationEntry,
  type IpvsServiceEntry,
} from '../../../native-free-netlink/ipvs/index.js';
import { hex } from './helpers.js';

const FAMILY = 0x24;
const PID = 4242;

function service(i: number): IpvsServiceEntry {
  return {
    service: { family: AF_INET, protocol: 6, address: `10.96.0.${i}`, port: 80, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff },
    stats: { stats: { ...zeroStats(), conns: BigInt(i) }, stats64: { ...zeroStats(), conns: BigInt(i) } },
  };
}

const dest: IpvsDestinationEntry = {
  destination: { family: AF_INET, address: '10.244.1.2', port: 8080, forward: 0, weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 0, port: 0, flags: 0 } },
  stats: { activeConns: 3, inactiveConns: 1, persistConns: 0, stats: zeroStats(), stats64: zeroStats() },
};

/** What a socket would hand over: datagrams split into messages, as they arrive. */
function through(datagrams: NetlinkMessage[][]): NetlinkMessage[] {
  return datagrams.flatMap((d) => decodeMessages(encodeMessages(d)));
}

describe('ipvs reply decoders', () => {
  it('a service dump over several datagrams, ended by NLMSG_DONE', () => {
    const req = getServices(FAMILY, 11);
    const msgs = through([
      [1, 2, 3].map((i) => encodeServiceReply(FAMILY, req.seq, PID, service(i), { multi: true })),
      [4, 5].map((i) => encodeServiceReply(FAMILY, req.seq, PID, service(i), { multi: true })),
      [encodeDone(req.seq, PID)],
    ]);
    expect(msgs.every((m) => m.flags & NLM_F_MULTI)).to.equal(true);
    const dump = decodeServiceList(msgs, { familyId: FAMILY });
    expect(dump.entries).to.deep.equal([1, 2, 3, 4, 5].map(service));
    expect(dump.done).to.equal(true);
    expect(dump.interrupted).to.equal(false);
  });

  it('without NLMSG_DONE the dump is reported partial', () => {
    const dump = decodeServiceList([encodeServiceReply(FAMILY, 1, PID, service(1), { multi: true })]);
    expect(dump.done).to.equal(false);
  });

  it('NLM_F_DUMP_INTR on any message marks the dump interrupted', () => {
    const a = encodeServiceReply(FAMILY, 1, PID, service(1), { multi: true });
    const b = { ...encodeServiceReply(FAMILY, 1, PID, service(2), { multi: true }) };
    b.flags |= NLM_F_DUMP_INTR;
    expect(decodeServiceList([a, b, encodeDone(1, PID)]).interrupted).to.equal(true);
    expect(decodeServiceList([a, encodeDone(1, PID, 0, NLM_F_DUMP_INTR)]).interrupted).to.equal(true);
  });

  it('an empty dump is just NLMSG_DONE with status 0', () => {
    const done = encodeDone(1, PID);
    expect(done.type).to.equal(NLMSG_DONE);
    expect(done.payload).to.deep.equal(hex('00000000'));
    expect(decodeServiceList([done])).to.deep.equal({ entries: [], interrupted: false, done: true });
  });

  it('a dump that fails part-way (negative status in NLMSG_DONE) throws IpvsError', () => {
    expect(() => decodeServiceList([encodeDone(1, PID, -90)])).to.throw(IpvsError, /GET_SERVICE: EMSGSIZE/);
  });

  it('an error ack throws IpvsError with errno, command, object and extack text', () => {
    const key = { family: AF_INET, protocol: 6, address: '10.96.0.99', port: 80, fwmark: 0 } as const;
    const req = getService(FAMILY, 12, key);
    try {
      decodeService([encodeAck(req, ESRCH, 'nope')], { object: { service: key } });
      expect.fail('no throw');
    } catch (e) {
      expect(e).to.be.instanceOf(IpvsError);
      const err = e as IpvsError;
      expect(err.errno).to.equal(ESRCH);
      expect(err.extack).to.equal('nope');
      expect(err.message).to.equal('GET_SERVICE tcp 10.96.0.99:80: ESRCH (no such service): nope');
    }
  });

  it('a single GET_SERVICE: the reply (no NLM_F_MULTI) then the ack', () => {
    const req = getService(FAMILY, 13, service(7).service);
    const reply = encodeServiceReply(FAMILY, req.seq, PID, service(7));
    expect(reply.flags).to.equal(0);
    expect(decodeService([reply, encodeAck(req, 0)], { familyId: FAMILY })).to.deep.equal(service(7));
    expect(() => decodeService([encodeAck(req, 0)])).to.throw(/0 services/);
  });

  it('refuses a message of another family', () => {
    expect(() => decodeServiceList([encodeServiceReply(0x25, 1, PID, service(1), { multi: true })], { familyId: FAMILY })).to.throw(/type 37/);
  });

  it('a destination dump; old kernels without ADDR_FAMILY take the service family', () => {
    const key = service(1).service;
    const req = getDestinations(FAMILY, 14, key);
    const msgs = through([[encodeDestinationReply(FAMILY, req.seq, PID, dest), encodeDone(req.seq, PID)]]);
    const dump = decodeDestinationList(msgs, { familyId: FAMILY, service: key });
    expect(dump.entries).to.deep.equal([dest]);
  });

  it('GET_INFO: version code 0x010201 reads "1.2.1"', () => {
    const m = encodeInfoReply(FAMILY, 1, PID, { version: '1.2.1', connTableSize: 4096 });
    expect(m.payload).to.deep.equal(hex('0e010000  08000100 01020100  08000200 00100000'));
    expect(decodeInfo([m])).to.deep.equal({ version: '1.2.1', connTableSize: 4096 });
    expect(versionText(0x010201)).to.equal('1.2.1');
    expect(versionCode('1.2.1')).to.equal(0x010201);
  });

  it('GET_CONFIG: tcp, tcpfin, udp timeouts; a missing protocol is left out', () => {
    const m = encodeConfigReply(FAMILY, 1, PID, { tcp: 900, tcpFin: 120, udp: 300 });
    expect(m.payload).to.deep.equal(hex('0c010000  08000400 84030000  08000500 78000000  08000600 2c010000'));
    expect(decodeConfig([m])).to.deep.equal({ tcp: 900, tcpFin: 120, udp: 300 });
    expect(decodeConfig([encodeConfigReply(FAMILY, 1, PID, { udp: 300 })])).to.deep.equal({ udp: 300 });
  });

  it('acks: zero is success, an errno throws with the object named', () => {
    const svc = service(1).service;
    const req = newService(FAMILY, 15, { ...svc, scheduler: 'foo' });
    expect(decodeIpvsAck([encodeAck(req, 0)], IPVS_CMD_NEW_SERVICE)).to.equal(true);
    expect(decodeIpvsAck([], IPVS_CMD_NEW_SERVICE)).to.equal(false);
    expect(() => decodeIpvsAck([encodeAck(req, ENOENT)], IPVS_CMD_NEW_SERVICE, { service: { ...svc, scheduler: 'foo' } })).to.throw(
      'NEW_SERVICE tcp 10.96.0.1:80: ENOENT (scheduler module "foo" not found?)',
    );
  });

  it('an IPv6 dump entry round-trips through the kernel-side encoder', () => {
    const e: IpvsServiceEntry = {
      service: { family: AF_INET6, protocol: 17, address: 'fd00:10:96::a', port: 53, fwmark: 0, scheduler: 'wlc', flags: 1, timeout: 10800, netmask: 128, peName: 'sip' },
      stats: { stats64: { ...zeroStats(), inbytes: 1n << 40n } },
    };
    expect(decodeServiceList([encodeServiceReply(FAMILY, 1, PID, e, { multi: true })]).entries).to.deep.equal([e]);
  });
});
