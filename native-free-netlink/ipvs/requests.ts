// Request builders: one NetlinkMessage per IPVS command, addressed to the family id nlctrl resolved for "IPVS".
//
// Flags: every non-dump request carries NLM_F_REQUEST | NLM_F_ACK by default, so each one ends with an
// NLMSG_ERROR (0 or an errno) and a batch of requests can be matched to its answers by seq. Dumps carry
// NLM_F_REQUEST | NLM_F_DUMP: the kernel never acks a dump (netlink_dump_start returns -EINTR precisely to
// suppress the ack), it ends it with NLMSG_DONE. libnl (ipvsadm) sets NLM_F_ACK on dumps anyway: `ack: true`
// reproduces that.
import { attr, type Attribute } from '../core/attributes.js';
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, type NetlinkMessage } from '../core/message.js';
import { encodeGenl } from '../genetlink/genl.js';
import type { AddressEncoding } from './address.js';
import {
  IPVS_CMD_ATTR_DEST,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_CMD_ATTR_TIMEOUT_TCP,
  IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
  IPVS_CMD_ATTR_TIMEOUT_UDP,
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
  IPVS_GENL_VERSION,
} from './constants.js';
import { packDestination, packDestinationKey } from './destination.js';
import { checkServiceForAdd, packService, packServiceKey, type ServiceEncoding } from './service.js';
import type { IpvsDestination, IpvsDestinationKey, IpvsService, IpvsServiceKey, IpvsTimeouts } from './types.js';

export interface IpvsRequestOptions extends AddressEncoding {
  /** nlmsg_pid; 0 (default) lets the kernel fill in the socket's port id. */
  pid?: number;
  /**
   * NLA_F_NESTED on the SERVICE and DEST nests. Default true, as ipvsadm 1.31 with libnl 3.7 sends them
   * (captured). The kernel accepts both: IPVS parses its nests non-strictly (GENL_DONT_VALIDATE_STRICT) and
   * masks the flag; `false` reproduces older libnl / moby-ipvs style requests.
   */
  nestedFlag?: boolean;
  /** NLM_F_ACK. Default true for commands and single GETs, false for dumps (see the file comment). */
  ack?: boolean;
}

export interface SetServiceOptions extends IpvsRequestOptions, ServiceEncoding {}

export interface IdentityRequestOptions extends IpvsRequestOptions, ServiceEncoding {
  /**
   * Send the whole service (and destination) instead of only what identifies it, as ipvsadm does for
   * DEL_SERVICE, DEL_DEST and (with an empty scheduler) in every *_DEST command. The kernel reads only the
   * identity there; this exists to reproduce captured bytes.
   */
  full?: boolean;
}

function request(familyId: number, cmd: number, seq: number, attrs: Attribute[], o: IpvsRequestOptions, dump = false): NetlinkMessage {
  const ack = o.ack ?? !dump;
  return {
    type: familyId,
    flags: NLM_F_REQUEST | (ack ? NLM_F_ACK : 0) | (dump ? NLM_F_DUMP : 0),
    seq,
    pid: o.pid ?? 0,
    payload: encodeGenl({ cmd, version: IPVS_GENL_VERSION, attrs }),
  };
}

function serviceNest(children: Attribute[], o: IpvsRequestOptions): Attribute {
  return attr.nest(IPVS_CMD_ATTR_SERVICE, children, o.nestedFlag ?? true);
}

function destNest(children: Attribute[], o: IpvsRequestOptions): Attribute {
  return attr.nest(IPVS_CMD_ATTR_DEST, children, o.nestedFlag ?? true);
}

function isFullService(s: IpvsServiceKey): s is IpvsService {
  return typeof (s as Partial<IpvsService>).scheduler === 'string';
}

function isFullDestination(d: IpvsDestinationKey): d is IpvsDestination {
  return typeof (d as Partial<IpvsDestination>).forward === 'number';
}

function identityOrFull(s: IpvsServiceKey, o: IdentityRequestOptions): Attribute[] {
  if (!o.full) return packServiceKey(s, o);
  if (!isFullService(s)) throw new Error('full: true needs a whole IpvsService, not only its key');
  return packService(s, o);
}

/** IPVS_CMD_NEW_SERVICE: adds a virtual service. EEXIST if it exists, ENOENT if the scheduler is missing. */
export function newService(familyId: number, seq: number, service: IpvsService, o: SetServiceOptions = {}): NetlinkMessage {
  checkServiceForAdd(service);
  return request(familyId, IPVS_CMD_NEW_SERVICE, seq, [serviceNest(packService(service, o), o)], o);
}

/** IPVS_CMD_SET_SERVICE: changes scheduler, flags (within `flagsMask`), timeout, netmask, pe. ESRCH if absent. */
export function setService(familyId: number, seq: number, service: IpvsService, o: SetServiceOptions = {}): NetlinkMessage {
  checkServiceForAdd(service);
  return request(familyId, IPVS_CMD_SET_SERVICE, seq, [serviceNest(packService(service, o), o)], o);
}

/** IPVS_CMD_DEL_SERVICE: deletes a service and all its destinations. ESRCH if absent. */
export function delService(familyId: number, seq: number, service: IpvsServiceKey, o: IdentityRequestOptions = {}): NetlinkMessage {
  return request(familyId, IPVS_CMD_DEL_SERVICE, seq, [serviceNest(identityOrFull(service, o), o)], o);
}

/** IPVS_CMD_GET_SERVICE as a dump: every service of the network namespace, one NEW_SERVICE message each. */
export function getServices(familyId: number, seq: number, o: IpvsRequestOptions = {}): NetlinkMessage {
  return request(familyId, IPVS_CMD_GET_SERVICE, seq, [], o, true);
}

/** IPVS_CMD_GET_SERVICE for one service: one NEW_SERVICE reply, or ESRCH. */
export function getService(familyId: number, seq: number, service: IpvsServiceKey, o: IdentityRequestOptions = {}): NetlinkMessage {
  return request(familyId, IPVS_CMD_GET_SERVICE, seq, [serviceNest(identityOrFull(service, o), o)], o);
}

/**
 * IPVS_CMD_NEW_DEST: adds a real server. ESRCH without the service, EEXIST if present, EINVAL for an address
 * the kernel does not route as unicast/local, or a family different from the service's without tunnelling.
 */
export function newDestination(
  familyId: number,
  seq: number,
  service: IpvsServiceKey,
  destination: IpvsDestination,
  o: IdentityRequestOptions = {},
): NetlinkMessage {
  return request(familyId, IPVS_CMD_NEW_DEST, seq, [serviceNest(identityOrFull(service, o), o), destNest(packDestination(destination, o), o)], o);
}

/** IPVS_CMD_SET_DEST: changes forwarding, weight, thresholds, tunnel. ENOENT if the destination is absent. */
export function setDestination(
  familyId: number,
  seq: number,
  service: IpvsServiceKey,
  destination: IpvsDestination,
  o: IdentityRequestOptions = {},
): NetlinkMessage {
  return request(familyId, IPVS_CMD_SET_DEST, seq, [serviceNest(identityOrFull(service, o), o), destNest(packDestination(destination, o), o)], o);
}

/** IPVS_CMD_DEL_DEST: removes a real server. ENOENT if it is absent, ESRCH if the service is. */
export function delDestination(
  familyId: number,
  seq: number,
  service: IpvsServiceKey,
  destination: IpvsDestinationKey,
  o: IdentityRequestOptions = {},
): NetlinkMessage {
  const svc = serviceNest(identityOrFull(service, o), o);
  let dest: Attribute[];
  if (!o.full) dest = packDestinationKey(destination, o);
  else if (isFullDestination(destination)) dest = packDestination(destination, o);
  else throw new Error('full: true needs a whole IpvsDestination, not only its key');
  return request(familyId, IPVS_CMD_DEL_DEST, seq, [svc, destNest(dest, o)], o);
}

/**
 * IPVS_CMD_GET_DEST dump of one service's real servers. Beware: for a service that does not exist the kernel
 * answers with an empty dump (ip_vs_genl_dump_dests just stops), not ESRCH.
 */
export function getDestinations(familyId: number, seq: number, service: IpvsServiceKey, o: IpvsRequestOptions = {}): NetlinkMessage {
  return request(familyId, IPVS_CMD_GET_DEST, seq, [serviceNest(packServiceKey(service, o), o)], o, true);
}

/** IPVS_CMD_GET_INFO: answered by one IPVS_CMD_SET_INFO message (version, connection table size). */
export function getInfo(familyId: number, seq: number, o: IpvsRequestOptions = {}): NetlinkMessage {
  return request(familyId, IPVS_CMD_GET_INFO, seq, [], o);
}

/** IPVS_CMD_GET_CONFIG: answered by one IPVS_CMD_SET_CONFIG message with the tcp, tcpfin and udp timeouts. */
export function getConfig(familyId: number, seq: number, o: IpvsRequestOptions = {}): NetlinkMessage {
  return request(familyId, IPVS_CMD_GET_CONFIG, seq, [], o);
}

/** IPVS_CMD_SET_CONFIG: sets the timeouts given; an absent field, or 0, keeps the kernel's value. */
export function setConfig(familyId: number, seq: number, timeouts: IpvsTimeouts, o: IpvsRequestOptions = {}): NetlinkMessage {
  const attrs: Attribute[] = [];
  if (timeouts.tcp !== undefined) attrs.push(attr.u32(IPVS_CMD_ATTR_TIMEOUT_TCP, timeouts.tcp));
  if (timeouts.tcpFin !== undefined) attrs.push(attr.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, timeouts.tcpFin));
  if (timeouts.udp !== undefined) attrs.push(attr.u32(IPVS_CMD_ATTR_TIMEOUT_UDP, timeouts.udp));
  return request(familyId, IPVS_CMD_SET_CONFIG, seq, attrs, o);
}

/** IPVS_CMD_FLUSH: deletes every service of the network namespace (including ones we did not create). */
export function flush(familyId: number, seq: number, o: IpvsRequestOptions = {}): NetlinkMessage {
  return request(familyId, IPVS_CMD_FLUSH, seq, [], o);
}

/** IPVS_CMD_ZERO: zeroes the counters of one service, or of all services when `service` is undefined. */
export function zero(familyId: number, seq: number, service: IpvsServiceKey | undefined, o: IdentityRequestOptions = {}): NetlinkMessage {
  return request(familyId, IPVS_CMD_ZERO, seq, service ? [serviceNest(identityOrFull(service, o), o)] : [], o);
}
