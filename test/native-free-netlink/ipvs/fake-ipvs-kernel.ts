// A message-level fake of the kernel's IPVS family, built only from the codec: a function from one request
// message to the reply messages, with the errno rules of net/netfilter/ipvs/ip_vs_ctl.c. It checks that
// requests decode, and that the codec's reply encoders and decoders agree.
import { encodeAck } from '../../../native-free-netlink/core/ack.js';
import { EEXIST, EINVAL, ENOENT, ESRCH } from '../../../native-free-netlink/core/errno.js';
import { NLM_F_ACK, NLM_F_DUMP, type NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import {
  decodeIpvsRequest,
  describeServiceKey,
  describeDestinationKey,
  encodeConfigReply,
  encodeDestinationReply,
  encodeDone,
  encodeInfoReply,
  encodeServiceReply,
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
  zeroStats,
  type IpvsDestination,
  type IpvsService,
  type IpvsServiceKey,
  type IpvsTimeouts,
} from '../../../native-free-netlink/ipvs/index.js';

export const FAKE_PID = 777;
const SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'sh', 'mh', 'dh', 'sed', 'nq']);

export class FakeIpvsKernel {
  readonly services = new Map<string, { service: IpvsService; dests: Map<string, IpvsDestination> }>();
  timeouts: IpvsTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  /** Connection counts GET_DEST reports, by `${describeServiceKey} ${describeDestinationKey}` (default 0). */
  readonly connections = new Map<string, { active: number; inactive: number }>();

  constructor(readonly familyId: number) {}

  handle = (req: NetlinkMessage): NetlinkMessage[] => {
    const r = decodeIpvsRequest(req);
    const done = (errno: number, replies: NetlinkMessage[] = []): NetlinkMessage[] =>
      errno !== 0 || req.flags & NLM_F_ACK ? [...replies, encodeAck(req, errno)] : replies;
    const svcKey = r.service ? describeServiceKey(r.service) : '';
    const entry = this.services.get(svcKey);
    switch (r.cmd) {
      case IPVS_CMD_NEW_SERVICE: {
        const s = r.service as IpvsService;
        if (!('scheduler' in s)) return done(EINVAL);
        if (entry) return done(EEXIST);
        if (!SCHEDULERS.has(s.scheduler)) return done(ENOENT);
        this.services.set(svcKey, { service: s, dests: new Map() });
        return done(0);
      }
      case IPVS_CMD_SET_SERVICE: {
        const s = r.service as IpvsService;
        if (!entry) return done(ESRCH);
        if (!SCHEDULERS.has(s.scheduler)) return done(ENOENT);
        const mask = r.flagsMask ?? 0xffffffff;
        entry.service = { ...s, flags: ((entry.service.flags & ~mask) | (s.flags & mask)) >>> 0 };
        return done(0);
      }
      case IPVS_CMD_DEL_SERVICE:
        if (!entry) return done(ESRCH);
        this.services.delete(svcKey);
        return done(0);
      case IPVS_CMD_GET_SERVICE:
        if (req.flags & NLM_F_DUMP) {
          return [
            ...[...this.services.values()].map((e) =>
              encodeServiceReply(this.familyId, req.seq, FAKE_PID, { service: e.service, stats: { stats: zeroStats(), stats64: zeroStats() } }, { multi: true }),
            ),
            encodeDone(req.seq, FAKE_PID),
          ];
        }
        if (!entry) return done(ESRCH);
        return done(0, [encodeServiceReply(this.familyId, req.seq, FAKE_PID, { service: entry.service, stats: { stats64: zeroStats() } })]);
      case IPVS_CMD_NEW_DEST:
      case IPVS_CMD_SET_DEST:
      case IPVS_CMD_DEL_DEST: {
        if (!entry) return done(ESRCH);
        const d = r.destination!;
        const key = describeDestinationKey(d);
        const exists = entry.dests.has(key);
        if (r.cmd === IPVS_CMD_NEW_DEST && exists) return done(EEXIST);
        if (r.cmd !== IPVS_CMD_NEW_DEST && !exists) return done(ENOENT);
        if (r.cmd === IPVS_CMD_DEL_DEST) entry.dests.delete(key);
        else entry.dests.set(key, d as IpvsDestination);
        return done(0);
      }
      case IPVS_CMD_GET_DEST:
        // Like ip_vs_genl_dump_dests: no such service is an empty dump, not ESRCH.
        return [
          ...[...(entry?.dests.values() ?? [])].map((d) => {
            const conns = this.connections.get(`${svcKey} ${describeDestinationKey(d)}`);
            return encodeDestinationReply(this.familyId, req.seq, FAKE_PID, {
              destination: d,
              stats: { activeConns: conns?.active ?? 0, inactiveConns: conns?.inactive ?? 0, persistConns: 0, stats64: zeroStats() },
            });
          }),
          encodeDone(req.seq, FAKE_PID),
        ];
      case IPVS_CMD_GET_INFO:
        return done(0, [encodeInfoReply(this.familyId, req.seq, FAKE_PID, { version: '1.2.1', connTableSize: 4096 })]);
      case IPVS_CMD_GET_CONFIG:
        return done(0, [encodeConfigReply(this.familyId, req.seq, FAKE_PID, this.timeouts)]);
      case IPVS_CMD_SET_CONFIG: {
        const t = r.timeouts ?? {};
        // ip_vs_set_timeout: 0 keeps the current value.
        this.timeouts = { tcp: t.tcp || this.timeouts.tcp, tcpFin: t.tcpFin || this.timeouts.tcpFin, udp: t.udp || this.timeouts.udp };
        return done(0);
      }
      case IPVS_CMD_FLUSH:
        this.services.clear();
        return done(0);
      default:
        return done(EINVAL);
    }
  };

  service(k: IpvsServiceKey): IpvsService | undefined {
    return this.services.get(describeServiceKey(k))?.service;
  }
}
