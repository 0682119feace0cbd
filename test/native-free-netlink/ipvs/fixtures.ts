// Loads the captured IPVS fixtures (test/fixtures/captured/ipvs/*.json, made by capture.sh there in the
// e2e VM) and re-builds requests and replies from their decoded values, so tests can check both ways.
import { readdirSync, readFileSync } from 'node:fs';
import { encodeAck } from '../../../native-free-netlink/core/ack.js';
import { fromHex } from '../../../native-free-netlink/core/bytes.js';
import {
  decodeMessages,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLMSG_DONE,
  type NetlinkMessage,
} from '../../../native-free-netlink/core/message.js';
import { GENL_ID_CTRL } from '../../../native-free-netlink/genetlink/ctrl.js';
import { decodeGenl } from '../../../native-free-netlink/genetlink/genl.js';
import {
  decodeConfig,
  decodeDestinationList,
  decodeInfo,
  decodeServiceList,
  delDestination,
  delService,
  encodeConfigReply,
  encodeDestinationReply,
  encodeDone,
  encodeInfoReply,
  encodeServiceReply,
  flush,
  getConfig,
  getDestinations,
  getInfo,
  getService,
  getServices,
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
  IPVS_CMD_SET_INFO,
  IPVS_CMD_SET_SERVICE,
  IPVS_CMD_ZERO,
  newDestination,
  newService,
  setConfig,
  setDestination,
  setService,
  zero,
  type IpvsDestination,
  type IpvsRequest,
  type IpvsService,
} from '../../../native-free-netlink/ipvs/index.js';

export const FIXTURE_DIR = new URL('../../../../test/fixtures/captured/ipvs/', import.meta.url);

export interface Datagram {
  direction: 'request' | 'reply';
  bytes: Uint8Array;
  messages: NetlinkMessage[];
}

export interface Fixture {
  name: string;
  command: string;
  kernel: string;
  tools: string;
  datagrams: Datagram[];
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadFixture(name: string): Fixture {
  const j = JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURE_DIR), 'utf8')) as {
    command: string;
    kernel: string;
    tools: string;
    messages: { direction: 'request' | 'reply'; hex: string }[];
  };
  return {
    name,
    command: j.command,
    kernel: j.kernel,
    tools: j.tools,
    datagrams: j.messages.map((m) => {
      const bytes = fromHex(m.hex);
      return { direction: m.direction, bytes, messages: decodeMessages(bytes) };
    }),
  };
}

export function requests(f: Fixture): NetlinkMessage[] {
  return f.datagrams.filter((d) => d.direction === 'request').flatMap((d) => d.messages);
}

export function replies(f: Fixture): NetlinkMessage[] {
  return f.datagrams.filter((d) => d.direction === 'reply').flatMap((d) => d.messages);
}

/** The requests to the IPVS family (every type that is not nlctrl's). */
export function ipvsRequests(f: Fixture): NetlinkMessage[] {
  return requests(f).filter((m) => m.type !== GENL_ID_CTRL);
}

/**
 * Whether `reply` answers `req`: same seq, and the same port id, or any when the request left nlmsg_pid 0
 * for the kernel to fill in (our sender does; libnl puts its port id in).
 */
export function answers(reply: NetlinkMessage, req: NetlinkMessage): boolean {
  return reply.seq === req.seq && (req.pid === 0 || reply.pid === req.pid);
}

/** The replies answering one request. */
export function answersTo(f: Fixture, req: NetlinkMessage): NetlinkMessage[] {
  return replies(f).filter((m) => answers(m, req));
}

function isFullService(s: IpvsRequest['service']): s is IpvsService {
  return s !== undefined && 'scheduler' in s;
}

function isFullDestination(d: IpvsRequest['destination']): d is IpvsDestination {
  return d !== undefined && 'forward' in d;
}

/** Our builder call for a decoded request, with the options that reproduce its header and encoding. */
export function rebuildRequest(familyId: number, m: NetlinkMessage, r: IpvsRequest): NetlinkMessage {
  const o = {
    pid: m.pid,
    ack: (m.flags & NLM_F_ACK) !== 0,
    ...(r.nestedFlag !== undefined ? { nestedFlag: r.nestedFlag } : {}),
    ...(r.flagsMask !== undefined ? { flagsMask: r.flagsMask } : {}),
    ...(r.ipv4AddressLength !== undefined ? { ipv4AddressLength: r.ipv4AddressLength } : {}),
    // ipvsadm sends whole values where only the identity counts; our sender sends identities there.
    full: isFullService(r.service) && (r.cmd !== IPVS_CMD_DEL_DEST || isFullDestination(r.destination)),
  };
  const seq = m.seq;
  switch (r.cmd) {
    case IPVS_CMD_NEW_SERVICE:
      return newService(familyId, seq, r.service as IpvsService, o);
    case IPVS_CMD_SET_SERVICE:
      return setService(familyId, seq, r.service as IpvsService, o);
    case IPVS_CMD_DEL_SERVICE:
      return delService(familyId, seq, r.service!, o);
    case IPVS_CMD_GET_SERVICE:
      return m.flags & NLM_F_DUMP ? getServices(familyId, seq, o) : getService(familyId, seq, r.service!, o);
    case IPVS_CMD_NEW_DEST:
      return newDestination(familyId, seq, r.service!, r.destination as IpvsDestination, o);
    case IPVS_CMD_SET_DEST:
      return setDestination(familyId, seq, r.service!, r.destination as IpvsDestination, o);
    case IPVS_CMD_DEL_DEST:
      return delDestination(familyId, seq, r.service!, r.destination!, o);
    case IPVS_CMD_GET_DEST:
      return getDestinations(familyId, seq, r.service!, o);
    case IPVS_CMD_GET_INFO:
      return getInfo(familyId, seq, o);
    case IPVS_CMD_GET_CONFIG:
      return getConfig(familyId, seq, o);
    case IPVS_CMD_SET_CONFIG:
      return setConfig(familyId, seq, r.timeouts ?? {}, o);
    case IPVS_CMD_FLUSH:
      return flush(familyId, seq, o);
    case IPVS_CMD_ZERO:
      return zero(familyId, seq, r.service, o);
    default:
      throw new Error(`no builder for IPVS command ${r.cmd}`);
  }
}

/**
 * Our kernel-side encoder's version of one reply message, from its decoded value; undefined for messages
 * the codec does not re-encode (error acks, which echo the whole request).
 */
export function rebuildReply(familyId: number, m: NetlinkMessage, request: NetlinkMessage | undefined): NetlinkMessage | undefined {
  if (m.type === NLMSG_DONE) return encodeDone(m.seq, m.pid, new DataView(m.payload.buffer, m.payload.byteOffset).getInt32(0, true), m.flags & ~NLM_F_MULTI);
  if (m.type === 2) {
    if (!request || new DataView(m.payload.buffer, m.payload.byteOffset).getInt32(0, true) !== 0) return undefined;
    return { ...encodeAck(request, 0), pid: m.pid };
  }
  if (m.type !== familyId) return undefined;
  const multi = (m.flags & NLM_F_MULTI) !== 0;
  const cmd = decodeGenl(m.payload).cmd;
  switch (cmd) {
    case IPVS_CMD_NEW_SERVICE:
      return encodeServiceReply(familyId, m.seq, m.pid, decodeServiceList([m]).entries[0]!, { multi });
    case IPVS_CMD_NEW_DEST:
      return encodeDestinationReply(familyId, m.seq, m.pid, decodeDestinationList([m]).entries[0]!, { multi });
    case IPVS_CMD_SET_INFO:
      return encodeInfoReply(familyId, m.seq, m.pid, decodeInfo([m]));
    case IPVS_CMD_SET_CONFIG:
      return encodeConfigReply(familyId, m.seq, m.pid, decodeConfig([m]));
    default:
      throw new Error(`no reply encoder for IPVS command ${cmd}`);
  }
}
