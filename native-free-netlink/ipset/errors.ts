// ipset's private error numbers (enum ipset_errno in uapi ip_set.h, type-specific ones in ip_set_bitmap.h,
// ip_set_hash.h, ip_set_list.h) and the texts the ipset tool prints for them (its lib/errcode.c), so our
// errors read like the ones operators already know from `ipset`.
import type { NetlinkAck } from '../core/ack.js';
import { errnoName } from '../core/errno.js';
import { ipsetCommandName, IPSET_CMD_ADD, IPSET_CMD_CREATE, IPSET_CMD_DEL, IPSET_CMD_DESTROY, IPSET_CMD_RENAME, IPSET_CMD_SWAP, IPSET_CMD_TYPE } from './constants.js';

export const IPSET_ERR_PRIVATE = 4096;
export const IPSET_ERR_PROTOCOL = 4097;
export const IPSET_ERR_FIND_TYPE = 4098;
export const IPSET_ERR_MAX_SETS = 4099;
export const IPSET_ERR_BUSY = 4100;
export const IPSET_ERR_EXIST_SETNAME2 = 4101;
export const IPSET_ERR_TYPE_MISMATCH = 4102;
export const IPSET_ERR_EXIST = 4103;
export const IPSET_ERR_INVALID_CIDR = 4104;
export const IPSET_ERR_INVALID_NETMASK = 4105;
export const IPSET_ERR_INVALID_FAMILY = 4106;
export const IPSET_ERR_TIMEOUT = 4107;
export const IPSET_ERR_REFERENCED = 4108;
export const IPSET_ERR_IPADDR_IPV4 = 4109;
export const IPSET_ERR_IPADDR_IPV6 = 4110;
export const IPSET_ERR_COUNTER = 4111;
export const IPSET_ERR_COMMENT = 4112;
export const IPSET_ERR_INVALID_MARKMASK = 4113;
export const IPSET_ERR_SKBINFO = 4114;
export const IPSET_ERR_BITMASK_NETMASK_EXCL = 4115;
/** Type-specific codes start here; their meaning depends on the set type (bitmap:, hash:, list:). */
export const IPSET_ERR_TYPE_SPECIFIC = 4352;
// bitmap:*
export const IPSET_ERR_BITMAP_RANGE = 4352;
export const IPSET_ERR_BITMAP_RANGE_SIZE = 4353;
// hash:*
export const IPSET_ERR_HASH_FULL = 4352;
export const IPSET_ERR_HASH_ELEM = 4353;
export const IPSET_ERR_INVALID_PROTO = 4354;
export const IPSET_ERR_MISSING_PROTO = 4355;
export const IPSET_ERR_HASH_RANGE_UNSUPPORTED = 4356;
export const IPSET_ERR_HASH_RANGE = 4357;
// list:set
export const IPSET_ERR_NAME = 4352;
export const IPSET_ERR_LOOP = 4353;
export const IPSET_ERR_BEFORE = 4354;
export const IPSET_ERR_NAMEREF = 4355;
export const IPSET_ERR_LIST_FULL = 4356;
export const IPSET_ERR_REF_EXIST = 4357;

interface ErrText {
  errno: number;
  /** The command this text is specific to; undefined = any command. */
  cmd?: number;
  symbol: string;
  text: string;
}

const ENOENT = 2;
const EEXIST = 17;
const EMSGSIZE = 90;

const CORE: readonly ErrText[] = [
  { errno: ENOENT, symbol: 'ENOENT', text: 'The set with the given name does not exist' },
  { errno: EMSGSIZE, symbol: 'EMSGSIZE', text: 'Kernel error received: message could not be created' },
  { errno: IPSET_ERR_PROTOCOL, symbol: 'IPSET_ERR_PROTOCOL', text: 'Kernel error received: ipset protocol error' },
  { errno: EEXIST, cmd: IPSET_CMD_CREATE, symbol: 'EEXIST', text: 'Set cannot be created: set with the same name already exists' },
  { errno: IPSET_ERR_FIND_TYPE, symbol: 'IPSET_ERR_FIND_TYPE', text: 'Kernel error received: set type not supported' },
  { errno: IPSET_ERR_MAX_SETS, symbol: 'IPSET_ERR_MAX_SETS', text: 'Kernel error received: maximal number of sets reached, cannot create more.' },
  { errno: IPSET_ERR_INVALID_NETMASK, symbol: 'IPSET_ERR_INVALID_NETMASK', text: 'The value of the netmask parameter is invalid' },
  { errno: IPSET_ERR_INVALID_MARKMASK, symbol: 'IPSET_ERR_INVALID_MARKMASK', text: 'The value of the markmask parameter is invalid' },
  { errno: IPSET_ERR_INVALID_FAMILY, symbol: 'IPSET_ERR_INVALID_FAMILY', text: 'Protocol family not supported by the set type' },
  { errno: IPSET_ERR_BUSY, cmd: IPSET_CMD_DESTROY, symbol: 'IPSET_ERR_BUSY', text: 'Set cannot be destroyed: it is in use by a kernel component' },
  { errno: IPSET_ERR_EXIST_SETNAME2, cmd: IPSET_CMD_RENAME, symbol: 'IPSET_ERR_EXIST_SETNAME2', text: 'Set cannot be renamed: a set with the new name already exists' },
  { errno: IPSET_ERR_REFERENCED, cmd: IPSET_CMD_RENAME, symbol: 'IPSET_ERR_REFERENCED', text: 'Set cannot be renamed: it is in use by another system' },
  { errno: IPSET_ERR_EXIST_SETNAME2, cmd: IPSET_CMD_SWAP, symbol: 'IPSET_ERR_EXIST_SETNAME2', text: 'Sets cannot be swapped: the second set does not exist' },
  { errno: IPSET_ERR_TYPE_MISMATCH, cmd: IPSET_CMD_SWAP, symbol: 'IPSET_ERR_TYPE_MISMATCH', text: 'The sets cannot be swapped: their type does not match' },
  { errno: IPSET_ERR_INVALID_CIDR, symbol: 'IPSET_ERR_INVALID_CIDR', text: 'The value of the CIDR parameter of the IP address is invalid' },
  { errno: IPSET_ERR_TIMEOUT, symbol: 'IPSET_ERR_TIMEOUT', text: 'Timeout cannot be used: set was created without timeout support' },
  { errno: IPSET_ERR_IPADDR_IPV4, symbol: 'IPSET_ERR_IPADDR_IPV4', text: 'An IPv4 address is expected, but not received' },
  { errno: IPSET_ERR_IPADDR_IPV6, symbol: 'IPSET_ERR_IPADDR_IPV6', text: 'An IPv6 address is expected, but not received' },
  { errno: IPSET_ERR_COUNTER, symbol: 'IPSET_ERR_COUNTER', text: 'Packet/byte counters cannot be used: set was created without counter support' },
  { errno: IPSET_ERR_COMMENT, symbol: 'IPSET_ERR_COMMENT', text: 'Comment cannot be used: set was created without comment support' },
  { errno: IPSET_ERR_SKBINFO, symbol: 'IPSET_ERR_SKBINFO', text: 'Skbinfo mapping cannot be used: set was created without skbinfo support' },
  { errno: IPSET_ERR_BITMASK_NETMASK_EXCL, symbol: 'IPSET_ERR_BITMASK_NETMASK_EXCL', text: 'netmask and bitmask options are mutually exclusive, provide only one' },
  { errno: IPSET_ERR_EXIST, cmd: IPSET_CMD_ADD, symbol: 'IPSET_ERR_EXIST', text: "Element cannot be added to the set: it's already added" },
  { errno: IPSET_ERR_EXIST, cmd: IPSET_CMD_DEL, symbol: 'IPSET_ERR_EXIST', text: "Element cannot be deleted from the set: it's not added" },
  // TEST answers IPSET_ERR_EXIST for "not a member": not an error, see isNotMember().
  { errno: IPSET_ERR_EXIST, symbol: 'IPSET_ERR_EXIST', text: 'Element is not in the set' },
  { errno: EEXIST, cmd: IPSET_CMD_TYPE, symbol: 'EEXIST', text: 'Kernel error received: set type does not supported' },
];

const BITMAP: readonly ErrText[] = [
  { errno: IPSET_ERR_BITMAP_RANGE, symbol: 'IPSET_ERR_BITMAP_RANGE', text: 'Element is out of the range of the set' },
  { errno: IPSET_ERR_BITMAP_RANGE_SIZE, cmd: IPSET_CMD_CREATE, symbol: 'IPSET_ERR_BITMAP_RANGE_SIZE', text: 'The range you specified exceeds the size limit of the set type' },
];

const HASH: readonly ErrText[] = [
  { errno: IPSET_ERR_HASH_FULL, symbol: 'IPSET_ERR_HASH_FULL', text: 'Hash is full, cannot add more elements' },
  { errno: IPSET_ERR_HASH_ELEM, symbol: 'IPSET_ERR_HASH_ELEM', text: 'Null-valued element, cannot be stored in a hash type of set' },
  { errno: IPSET_ERR_INVALID_PROTO, symbol: 'IPSET_ERR_INVALID_PROTO', text: 'Invalid protocol specified' },
  { errno: IPSET_ERR_MISSING_PROTO, symbol: 'IPSET_ERR_MISSING_PROTO', text: 'Protocol missing, but must be specified' },
  { errno: IPSET_ERR_HASH_RANGE_UNSUPPORTED, symbol: 'IPSET_ERR_HASH_RANGE_UNSUPPORTED', text: 'Range is not supported in the "net" component of the element' },
  { errno: IPSET_ERR_HASH_RANGE, symbol: 'IPSET_ERR_HASH_RANGE', text: 'Invalid range, covers the whole address space' },
];

const LIST: readonly ErrText[] = [
  { errno: IPSET_ERR_NAME, symbol: 'IPSET_ERR_NAME', text: 'Set to be added/deleted/tested as element does not exist.' },
  { errno: IPSET_ERR_LOOP, symbol: 'IPSET_ERR_LOOP', text: 'Sets with list:set type cannot be added to the set.' },
  { errno: IPSET_ERR_BEFORE, symbol: 'IPSET_ERR_BEFORE', text: 'No reference set specified.' },
  { errno: IPSET_ERR_NAMEREF, symbol: 'IPSET_ERR_NAMEREF', text: "The set to which you referred with 'before' or 'after' does not exist." },
  { errno: IPSET_ERR_LIST_FULL, symbol: 'IPSET_ERR_LIST_FULL', text: 'The set is full, more elements cannot be added.' },
  { errno: IPSET_ERR_REF_EXIST, symbol: 'IPSET_ERR_REF_EXIST', text: "The set to which you referred with 'before' or 'after' is not added to the set." },
];

function lookup(table: readonly ErrText[], errno: number, cmd: number): ErrText | undefined {
  // A command-specific text wins over the generic one, as in ipset's ipset_errcode().
  return table.find((e) => e.errno === errno && e.cmd === cmd) ?? table.find((e) => e.errno === errno && e.cmd === undefined);
}

export interface IpsetErrnoDescription {
  /** "IPSET_ERR_EXIST", "ENOENT", ... */
  symbol: string;
  text: string;
}

/**
 * What an errno from an ipset request means. `typeName` ("hash:ip,port") is needed to decode the
 * type-specific range (4352+), where the same number means different things per type family.
 */
export function describeIpsetErrno(errno: number, cmd: number, typeName?: string): IpsetErrnoDescription {
  let found: ErrText | undefined;
  if (errno >= IPSET_ERR_TYPE_SPECIFIC && typeName !== undefined) {
    const table = typeName.startsWith('bitmap:') ? BITMAP : typeName.startsWith('hash:') ? HASH : typeName.startsWith('list:') ? LIST : undefined;
    if (table) found = lookup(table, errno, cmd);
  }
  found ??= lookup(CORE, errno, cmd);
  if (found) return { symbol: found.symbol, text: found.text };
  if (errno >= IPSET_ERR_TYPE_SPECIFIC) return { symbol: `IPSET_ERR_TYPE_SPECIFIC+${errno - IPSET_ERR_TYPE_SPECIFIC}`, text: `Undecoded error ${errno} received from kernel` };
  if (errno >= IPSET_ERR_PRIVATE) return { symbol: `IPSET_ERR ${errno}`, text: `Undecoded error ${errno} received from kernel` };
  return { symbol: errnoName(errno), text: `Kernel error received: ${errnoName(errno)}` };
}

/** A failed ipset request: errno, the operation and the set (and element, when known) it was about. */
export class IpsetError extends Error {
  override readonly name = 'IpsetError';
  readonly symbol: string;
  constructor(
    /** Positive errno: a Linux errno or an IPSET_ERR_* (4096+). */
    readonly errno: number,
    /** IPSET_CMD_* of the failed request. */
    readonly cmd: number,
    /** The set the request was about, when it named one. */
    readonly setName?: string,
    /** The element (ipset text) that failed, when known. */
    readonly element?: string,
    /** Set type, used to decode type-specific error numbers. */
    readonly typeName?: string,
    /** Extended-ack text from the kernel, if any. */
    readonly kernelMessage?: string,
  ) {
    const d = describeIpsetErrno(errno, cmd, typeName);
    const what = [`ipset ${ipsetCommandName(cmd)}`, setName, element].filter((s) => s !== undefined && s !== '').join(' ');
    super(`${what}: ${d.text} (${d.symbol}, errno ${errno})${kernelMessage ? `: ${kernelMessage}` : ''}`);
    this.symbol = d.symbol;
  }
}

export interface IpsetErrorContext {
  cmd: number;
  setName?: string;
  element?: string;
  typeName?: string;
}

/** Turns a failed ack (errno != 0) into an IpsetError; returns undefined for a success ack. */
export function ipsetErrorFromAck(ack: NetlinkAck, ctx: IpsetErrorContext): IpsetError | undefined {
  if (ack.errno === 0) return undefined;
  return new IpsetError(ack.errno, ctx.cmd, ctx.setName, ctx.element, ctx.typeName, ack.message);
}
