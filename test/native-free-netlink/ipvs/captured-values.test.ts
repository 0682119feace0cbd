// What the real tools sent and the real kernel answered, as values: for each captured command, the IPVS
// request must decode to what the command line says, and the kernel's answer must decode to the outcome
// ipvsadm reported (see CAPTURED.md). Byte-for-byte both ways is captured.test.ts.
import { expect } from 'chai';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import {
  decodeIpvsAck,
  decodeIpvsRequest,
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED_SH_FALLBACK,
  IP_VS_SVC_F_SCHED_SH_PORT,
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_FLUSH,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_DEST,
  IPVS_CMD_SET_SERVICE,
  IPVS_CMD_ZERO,
  type IpvsDestination,
  type IpvsRequest,
  type IpvsService,
  type IpvsServiceKey,
} from '../../../native-free-netlink/ipvs/index.js';
import { answersTo, fixtureNames, ipvsRequests, loadFixture } from './fixtures.js';

const ALL = 0xffffffff;
const TCP = 6;

function svc(address: string, port: number, more: Partial<IpvsService> = {}): IpvsService {
  const family = address.includes(':') ? AF_INET6 : AF_INET;
  return { family, protocol: TCP, address, port, fwmark: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: family === AF_INET6 ? 128 : ALL, ...more };
}

function key(address: string, port: number, protocol = TCP): IpvsServiceKey {
  return { family: address.includes(':') ? AF_INET6 : AF_INET, protocol, address, port, fwmark: 0 };
}

/** What ipvsadm puts in the SERVICE nest of -a/-e/-d/-D: the identity, an empty scheduler, flags 0, netmask /32 (/128). */
function asIpvsadmSends(k: IpvsServiceKey): IpvsService {
  return { ...k, scheduler: '', flags: 0, timeout: 0, netmask: k.family === AF_INET6 ? 128 : ALL };
}

/** ipvsadm always sends the tunnel attributes, zero unless -i with tunnel options. */
function dest(address: string, port: number, more: Partial<IpvsDestination> = {}): IpvsDestination {
  return {
    family: address.includes(':') ? AF_INET6 : AF_INET,
    address,
    port,
    forward: IP_VS_CONN_F_MASQ,
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
    tunnel: { type: 0, port: 0, flags: 0 },
    ...more,
  };
}

const web = key('10.96.0.10', 80);

interface Case {
  fixture: string;
  request: Omit<IpvsRequest, 'seq' | 'pid' | 'flags'>;
  /** undefined: success ack; otherwise the IpvsError text. */
  error?: string;
}

const cases: Case[] = [
  { fixture: 'ipvsadm-add-rr', request: { cmd: IPVS_CMD_NEW_SERVICE, service: svc('10.96.0.10', 80), flagsMask: ALL, nestedFlag: true } },
  {
    fixture: 'ipvsadm-add-exists',
    request: { cmd: IPVS_CMD_NEW_SERVICE, service: svc('10.96.0.10', 80), flagsMask: ALL, nestedFlag: true },
    error: 'NEW_SERVICE tcp 10.96.0.10:80: EEXIST (service already exists)',
  },
  {
    fixture: 'ipvsadm-add-persistent',
    request: { cmd: IPVS_CMD_NEW_SERVICE, service: svc('10.96.0.11', 443, { flags: IP_VS_SVC_F_PERSISTENT, timeout: 300 }), flagsMask: ALL, nestedFlag: true },
  },
  {
    fixture: 'ipvsadm-add-sh-flags',
    request: {
      cmd: IPVS_CMD_NEW_SERVICE,
      service: svc('10.96.0.12', 80, { scheduler: 'sh', flags: IP_VS_SVC_F_SCHED_SH_PORT | IP_VS_SVC_F_SCHED_SH_FALLBACK }),
      flagsMask: ALL,
      nestedFlag: true,
    },
  },
  { fixture: 'ipvsadm-add-udp-wlc', request: { cmd: IPVS_CMD_NEW_SERVICE, service: svc('10.96.0.13', 53, { protocol: 17, scheduler: 'wlc' }), flagsMask: ALL, nestedFlag: true } },
  { fixture: 'ipvsadm-add-sctp', request: { cmd: IPVS_CMD_NEW_SERVICE, service: svc('10.96.0.15', 80, { protocol: 132 }), flagsMask: ALL, nestedFlag: true } },
  {
    fixture: 'ipvsadm-add-persistent-netmask',
    request: { cmd: IPVS_CMD_NEW_SERVICE, service: svc('10.96.0.14', 80, { flags: IP_VS_SVC_F_PERSISTENT, timeout: 600, netmask: 0xffffff00 }), flagsMask: ALL, nestedFlag: true },
  },
  { fixture: 'ipvsadm-add-ipv6', request: { cmd: IPVS_CMD_NEW_SERVICE, service: svc('fd00:10:96::a', 80), flagsMask: ALL, nestedFlag: true } },
  {
    fixture: 'ipvsadm-add-ipv6-persistent',
    request: { cmd: IPVS_CMD_NEW_SERVICE, service: svc('fd00:10:96::b', 80, { flags: IP_VS_SVC_F_PERSISTENT, timeout: 300, netmask: 64 }), flagsMask: ALL, nestedFlag: true },
  },
  {
    fixture: 'ipvsadm-add-fwmark',
    request: { cmd: IPVS_CMD_NEW_SERVICE, service: { ...svc('10.96.0.1', 0), protocol: 0, address: '', fwmark: 5 }, flagsMask: ALL, nestedFlag: true },
  },
  {
    fixture: 'ipvsadm-add-no-scheduler',
    request: { cmd: IPVS_CMD_NEW_SERVICE, service: svc('10.96.0.16', 80, { scheduler: 'foo' }), flagsMask: ALL, nestedFlag: true },
    error: 'NEW_SERVICE tcp 10.96.0.16:80: ENOENT (scheduler module "foo" not found?)',
  },
  {
    fixture: 'ipvsadm-add-dest-masq',
    request: { cmd: IPVS_CMD_NEW_DEST, service: asIpvsadmSends(web), flagsMask: ALL, destination: dest('10.244.1.2', 8080), nestedFlag: true },
  },
  {
    fixture: 'ipvsadm-add-dest-exists',
    request: { cmd: IPVS_CMD_NEW_DEST, service: asIpvsadmSends(web), flagsMask: ALL, destination: dest('10.244.1.2', 8080), nestedFlag: true },
    error: 'NEW_DEST tcp 10.96.0.10:80 -> 10.244.1.2:8080: EEXIST (destination already exists)',
  },
  {
    // -g without a port: ipvsadm uses the service's port.
    fixture: 'ipvsadm-add-dest-droute',
    request: { cmd: IPVS_CMD_NEW_DEST, service: asIpvsadmSends(web), flagsMask: ALL, destination: dest('10.244.1.3', 80, { forward: IP_VS_CONN_F_DROUTE }), nestedFlag: true },
  },
  {
    fixture: 'ipvsadm-add-dest-tunnel',
    request: { cmd: IPVS_CMD_NEW_DEST, service: asIpvsadmSends(web), flagsMask: ALL, destination: dest('10.244.1.4', 80, { forward: IP_VS_CONN_F_TUNNEL }), nestedFlag: true },
  },
  {
    fixture: 'ipvsadm-add-dest-thresholds',
    request: {
      cmd: IPVS_CMD_NEW_DEST,
      service: asIpvsadmSends(key('10.96.0.11', 443)),
      flagsMask: ALL,
      destination: dest('10.244.1.6', 8443, { weight: 3, upperThreshold: 100, lowerThreshold: 10 }),
      nestedFlag: true,
    },
  },
  {
    fixture: 'ipvsadm-add-dest-ipv6',
    request: { cmd: IPVS_CMD_NEW_DEST, service: asIpvsadmSends(key('fd00:10:96::a', 80)), flagsMask: ALL, destination: dest('fd00:10:244::2', 8080), nestedFlag: true },
  },
  {
    fixture: 'ipvsadm-add-dest-fwmark',
    request: {
      cmd: IPVS_CMD_NEW_DEST,
      service: asIpvsadmSends({ family: AF_INET, protocol: 0, address: '', port: 0, fwmark: 5 }),
      flagsMask: ALL,
      destination: dest('10.244.1.5', 0),
      nestedFlag: true,
    },
  },
  {
    fixture: 'ipvsadm-add-dest-udp',
    request: { cmd: IPVS_CMD_NEW_DEST, service: asIpvsadmSends(key('10.96.0.13', 53, 17)), flagsMask: ALL, destination: dest('10.244.1.9', 53), nestedFlag: true },
  },
  {
    fixture: 'ipvsadm-add-dest-no-service',
    request: { cmd: IPVS_CMD_NEW_DEST, service: asIpvsadmSends(key('10.96.0.99', 80)), flagsMask: ALL, destination: dest('10.244.1.2', 8080), nestedFlag: true },
    error: 'NEW_DEST tcp 10.96.0.99:80 -> 10.244.1.2:8080: ESRCH (no such service)',
  },
  { fixture: 'ipvsadm-edit-service', request: { cmd: IPVS_CMD_SET_SERVICE, service: svc('10.96.0.10', 80, { scheduler: 'wrr' }), flagsMask: ALL, nestedFlag: true } },
  {
    fixture: 'ipvsadm-edit-dest',
    request: { cmd: IPVS_CMD_SET_DEST, service: asIpvsadmSends(web), flagsMask: ALL, destination: dest('10.244.1.2', 8080, { weight: 0 }), nestedFlag: true },
  },
  {
    fixture: 'ipvsadm-edit-dest-missing',
    request: { cmd: IPVS_CMD_SET_DEST, service: asIpvsadmSends(web), flagsMask: ALL, destination: dest('10.244.1.77', 8080, { weight: 2 }), nestedFlag: true },
    error: 'SET_DEST tcp 10.96.0.10:80 -> 10.244.1.77:8080: ENOENT (no such destination)',
  },
  { fixture: 'ipvsadm-set-timeouts', request: { cmd: IPVS_CMD_SET_CONFIG, timeouts: { tcp: 900, tcpFin: 120, udp: 300 } } },
  {
    // -d -r without a port: the service's port; ipvsadm's defaults (weight 1, direct routing) ride along.
    fixture: 'ipvsadm-del-dest',
    request: { cmd: IPVS_CMD_DEL_DEST, service: asIpvsadmSends(web), flagsMask: ALL, destination: dest('10.244.1.3', 80, { forward: IP_VS_CONN_F_DROUTE }), nestedFlag: true },
  },
  {
    fixture: 'ipvsadm-del-dest-missing',
    request: { cmd: IPVS_CMD_DEL_DEST, service: asIpvsadmSends(web), flagsMask: ALL, destination: dest('10.244.1.3', 80, { forward: IP_VS_CONN_F_DROUTE }), nestedFlag: true },
    error: 'DEL_DEST tcp 10.96.0.10:80 -> 10.244.1.3:80: ENOENT (no such destination)',
  },
  { fixture: 'ipvsadm-del-service', request: { cmd: IPVS_CMD_DEL_SERVICE, service: asIpvsadmSends(key('10.96.0.12', 80)), flagsMask: ALL, nestedFlag: true } },
  {
    fixture: 'ipvsadm-del-service-missing',
    request: { cmd: IPVS_CMD_DEL_SERVICE, service: asIpvsadmSends(key('10.96.0.12', 80)), flagsMask: ALL, nestedFlag: true },
    error: 'DEL_SERVICE tcp 10.96.0.12:80: ESRCH (no such service)',
  },
  { fixture: 'ipvsadm-zero', request: { cmd: IPVS_CMD_ZERO, service: asIpvsadmSends(key('10.96.0.13', 53, 17)), flagsMask: ALL, nestedFlag: true } },
  {
    // -t: the TCP service 10.96.0.13:53, which does not exist (the UDP one does).
    fixture: 'ipvsadm-zero-missing',
    request: { cmd: IPVS_CMD_ZERO, service: asIpvsadmSends(key('10.96.0.13', 53)), flagsMask: ALL, nestedFlag: true },
    error: 'ZERO tcp 10.96.0.13:53: ESRCH (no such service)',
  },
  { fixture: 'ipvsadm-flush', request: { cmd: IPVS_CMD_FLUSH } },
];

describe('ipvs captured fixtures: decoded values and outcomes', () => {
  const available = new Set(fixtureNames());
  for (const c of cases) {
    it(`${c.fixture}: ${c.error ? c.error.replace(/^.*: /, '') : 'ack'}`, () => {
      expect(available.has(c.fixture), `fixture ${c.fixture} captured`).to.equal(true);
      const f = loadFixture(c.fixture);
      // ipvsadm asks GET_INFO first; the command's own request is the last one.
      const reqs = ipvsRequests(f);
      const m = reqs[reqs.length - 1]!;
      const r = decodeIpvsRequest(m);
      const { seq: _seq, pid: _pid, flags, ...value } = r;
      expect(value).to.deep.equal(c.request);
      expect(flags, 'REQUEST|ACK').to.equal(5);
      const answer = answersTo(f, m);
      const object = { service: r.service, destination: r.destination };
      if (c.error === undefined) expect(decodeIpvsAck(answer, r.cmd, object)).to.equal(true);
      else expect(() => decodeIpvsAck(answer, r.cmd, object)).to.throw(c.error);
    });
  }
});
