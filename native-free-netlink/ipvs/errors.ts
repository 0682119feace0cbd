// Kernel errors from IPVS commands, as text that names the command, the object and a likely cause.
// The errno choices follow net/netfilter/ipvs/ip_vs_ctl.c (ip_vs_genl_set_cmd and what it calls):
//   - a missing service: ESRCH (SET/DEL/GET_SERVICE, ZERO, and every *_DEST command);
//   - NEW_SERVICE on an existing service: EEXIST;
//   - an unknown scheduler or persistence engine (module not loadable): ENOENT (NEW/SET_SERVICE);
//   - NEW_DEST on an existing destination: EEXIST; SET_DEST / DEL_DEST on a missing one: ENOENT;
//   - a negative weight or lower threshold above upper threshold: ERANGE (NEW/SET_DEST);
//   - missing attributes, an IPv6 netmask outside 1..128, a destination address the kernel does not route
//     as unicast or local, a mixed-family destination without tunnelling: EINVAL;
//   - a family other than AF_INET/AF_INET6 (or AF_INET6 without CONFIG_IP_VS_IPV6): EAFNOSUPPORT.
import { EEXIST, EINVAL, ENOENT, ESRCH, errnoName } from '../core/errno.js';
import {
  ipvsCommandName,
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_GET_DEST,
  IPVS_CMD_GET_SERVICE,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_DEST,
  IPVS_CMD_SET_SERVICE,
  IPVS_CMD_ZERO,
} from './constants.js';
import { describeDestinationKey } from './destination.js';
import { describeServiceKey } from './service.js';
import type { IpvsDestinationKey, IpvsService, IpvsServiceKey } from './types.js';

/** What a failed command was about: the service, and for *_DEST commands the destination. */
export interface IpvsObject {
  service?: IpvsServiceKey | IpvsService;
  destination?: IpvsDestinationKey;
}

const EPERM = 1;
const ENOMEM = 12;
const ERANGE = 34;
const EAFNOSUPPORT = 97;

const SERVICE_CMDS = new Set([IPVS_CMD_NEW_SERVICE, IPVS_CMD_SET_SERVICE]);
const DEST_CMDS = new Set([IPVS_CMD_NEW_DEST, IPVS_CMD_SET_DEST, IPVS_CMD_DEL_DEST, IPVS_CMD_GET_DEST]);
const NEEDS_SERVICE = new Set([
  IPVS_CMD_SET_SERVICE,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_GET_SERVICE,
  IPVS_CMD_ZERO,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_SET_DEST,
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_GET_DEST,
]);

function schedulerHint(service: IpvsObject['service']): string {
  const s = service as Partial<IpvsService> | undefined;
  if (s?.scheduler === undefined) return 'scheduler or persistence engine module not found?';
  if (s.peName) return `scheduler module "${s.scheduler}" or persistence engine "${s.peName}" not found?`;
  return `scheduler module "${s.scheduler}" not found?`;
}

function hint(cmd: number, object: IpvsObject, errno: number): string | undefined {
  if (errno === ESRCH && NEEDS_SERVICE.has(cmd)) return 'no such service';
  if (errno === EEXIST && cmd === IPVS_CMD_NEW_SERVICE) return 'service already exists';
  if (errno === ENOENT && SERVICE_CMDS.has(cmd)) return schedulerHint(object.service);
  if (errno === EEXIST && cmd === IPVS_CMD_NEW_DEST) return 'destination already exists';
  if (errno === ENOENT && (cmd === IPVS_CMD_SET_DEST || cmd === IPVS_CMD_DEL_DEST)) return 'no such destination';
  if (errno === ERANGE && DEST_CMDS.has(cmd)) return 'negative weight, or lower threshold above upper threshold';
  if (errno === EINVAL && SERVICE_CMDS.has(cmd)) return 'missing attribute, or IPv6 netmask outside 1..128?';
  if (errno === EINVAL && (cmd === IPVS_CMD_NEW_DEST || cmd === IPVS_CMD_SET_DEST)) {
    return 'address not unicast or local, or mixed-family destination without tunnel forwarding?';
  }
  if (errno === EAFNOSUPPORT) return 'address family not supported by this kernel';
  if (errno === EPERM) return 'needs CAP_NET_ADMIN';
  if (errno === ENOMEM) return 'kernel out of memory';
  return undefined;
}

/** "NEW_DEST tcp 10.96.0.10:80 -> 10.244.1.2:8080: EEXIST (destination already exists)" */
export function describeIpvsError(cmd: number, object: IpvsObject, errno: number): string {
  let what = ipvsCommandName(cmd);
  if (object.service) what += ` ${describeServiceKey(object.service)}`;
  if (object.destination) what += `${object.service ? ' ->' : ''} ${describeDestinationKey(object.destination)}`;
  const h = hint(cmd, object, errno);
  return `${what}: ${errnoName(errno)}${h ? ` (${h})` : ''}`;
}

/** A kernel refusal of an IPVS command, with everything needed to act on it. */
export class IpvsError extends Error {
  constructor(
    readonly cmd: number,
    readonly object: IpvsObject,
    /** Positive errno. */
    readonly errno: number,
    /** The kernel's extended-ack text, when it sent one. */
    readonly extack?: string,
  ) {
    super(describeIpvsError(cmd, object, errno) + (extack ? `: ${extack}` : ''));
    this.name = 'IpvsError';
  }
}
