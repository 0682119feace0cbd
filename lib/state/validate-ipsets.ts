// Checks the `ipsets` section of a state and rewrites members in ipset's canonical text.
import { canonicalIpsetEntry, DEFAULT_PORT_RANGE, parsePortRange, type PortRange } from './ipset-entry-syntax.js';
import type { Family, IpsetState, IpsetType } from './types.js';
import {
  checkKnownKeys, describeValue, isPlainObject, Problems, readArray, readEnum, readInteger, readString,
} from './validation-problems.js';

export const IPSET_TYPES: readonly IpsetType[] = ['hash:ip', 'hash:ip,port', 'hash:ip,port,ip', 'hash:ip,port,net', 'bitmap:port', 'hash:net'];
/** Names starting with this are ipvs-proxier's own (ledger and temporary sets, see lib/engine/OWNERSHIP.md). */
export const RESERVED_IPSET_PREFIX = 'IPVS-PROXIER-';
/** IPSET_MAXNAMELEN is 32 including the terminating NUL (uapi ipset/ip_set.h). */
export const IPSET_NAME_MAX_LENGTH = 31;
/** Size of the ledger list:set that records owned sets (lib/engine/ledger.ts). */
export const MAX_OWNED_IPSETS = 1024;
/** The kernel's default maxelem for hash types (ip_set_hash_gen.h: IPSET_DEFAULT_MAXELEM 65536). */
export const DEFAULT_MAXELEM = 65536;

const KEYS = ['name', 'type', 'family', 'entries', 'hashsize', 'maxelem', 'range'];

export function validateIpsets(value: unknown, problems: Problems): IpsetState[] {
  const list = readArray(value, 'ipsets', problems);
  if (!list) return [];
  if (list.length > MAX_OWNED_IPSETS) {
    problems.add('ipsets', `${list.length} sets exceed the ${MAX_OWNED_IPSETS} that ipvs-proxier's ledger can record`);
  }
  const seen = new Map<string, number>();
  const out: IpsetState[] = [];
  list.forEach((raw, i) => {
    const path = `ipsets[${i}]`;
    const set = validateIpset(raw, path, problems);
    if (!set) return;
    const first = seen.get(set.name);
    if (first !== undefined) problems.add(`${path}.name`, `duplicate of ipsets[${first}] ("${set.name}")`);
    else seen.set(set.name, i);
    out.push(set);
  });
  return out;
}

function validateIpset(raw: unknown, path: string, problems: Problems): IpsetState | undefined {
  if (!isPlainObject(raw)) {
    problems.add(path, `expected an object, got ${describeValue(raw)}`);
    return undefined;
  }
  checkKnownKeys(raw, KEYS, path, problems);
  const name = validateName(raw.name, `${path}.name`, problems);
  const type = readEnum(raw.type, IPSET_TYPES, 'ipset type', `${path}.type`, problems);
  const family = readEnum(raw.family, ['inet', 'inet6'] as Family[], 'family', `${path}.family`, problems);
  if (type === 'bitmap:port' && family === 'inet6') {
    // bitmap:port has no address family (NFPROTO_UNSPEC); ipset lists it as inet.
    problems.add(`${path}.family`, 'bitmap:port sets have no address family: write "inet"');
  }
  const isHash = type !== undefined && type.startsWith('hash:');
  let hashsize: number | undefined;
  let maxelem: number | undefined;
  let range: PortRange | undefined;
  if (raw.hashsize !== undefined) {
    if (type && !isHash) problems.add(`${path}.hashsize`, `only for hash types, not ${type}`);
    else hashsize = readInteger(raw.hashsize, `${path}.hashsize`, 1, 2 ** 31, problems);
  }
  if (raw.maxelem !== undefined) {
    if (type && !isHash) problems.add(`${path}.maxelem`, `only for hash types, not ${type}`);
    else maxelem = readInteger(raw.maxelem, `${path}.maxelem`, 1, 4294967295, problems);
  }
  if (raw.range !== undefined) {
    if (type && type !== 'bitmap:port') problems.add(`${path}.range`, `only for bitmap:port, not ${type}`);
    else {
      const text = readString(raw.range, `${path}.range`, problems);
      range = text === undefined ? undefined : parsePortRange(text);
      if (text !== undefined && !range) problems.add(`${path}.range`, `expected "FROM-TO" with 0 <= FROM <= TO <= 65535, got "${text}"`);
    }
  }
  const entries = validateEntries(raw.entries, type, family, range ?? DEFAULT_PORT_RANGE, `${path}.entries`, problems);
  if (entries && isHash) {
    const limit = maxelem ?? DEFAULT_MAXELEM;
    // Adding past maxelem fails in the kernel (IPSET_ERR_HASH_FULL) halfway through an apply.
    if (entries.length > limit) problems.add(`${path}.entries`, `${entries.length} members exceed maxelem ${limit}`);
  }
  if (name === undefined || type === undefined || family === undefined || entries === undefined) return undefined;
  const out: IpsetState = { name, type, family, entries };
  if (hashsize !== undefined) out.hashsize = hashsize;
  if (maxelem !== undefined) out.maxelem = maxelem;
  if (typeof raw.range === 'string') out.range = raw.range;
  return out;
}

function validateName(v: unknown, path: string, problems: Problems): string | undefined {
  const name = readString(v, path, problems);
  if (name === undefined) return undefined;
  if (name.length === 0 || name.length > IPSET_NAME_MAX_LENGTH) {
    problems.add(path, `"${name}" must be 1-${IPSET_NAME_MAX_LENGTH} characters long`);
  } else if (/[\s\x00-\x1f]/.test(name)) {
    problems.add(path, `"${name}" contains whitespace or control characters`);
  } else if (name.startsWith(RESERVED_IPSET_PREFIX)) {
    problems.add(path, `"${name}" is reserved: names starting with ${RESERVED_IPSET_PREFIX} are ipvs-proxier's own ledger and temporary sets`);
  } else {
    return name;
  }
  return undefined;
}

/** Canonical, de-duplicated members; undefined when the list itself is unreadable or a member is bad. */
function validateEntries(
  v: unknown,
  type: IpsetType | undefined,
  family: Family | undefined,
  range: PortRange,
  path: string,
  problems: Problems,
): string[] | undefined {
  if (v === undefined) {
    problems.add(path, 'required (an empty list means an empty set)');
    return undefined;
  }
  const list = readArray(v, path, problems);
  if (!list) return undefined;
  if (!type || !family) return list.filter((e): e is string => typeof e === 'string');
  const out = new Set<string>();
  let bad = false;
  list.forEach((e, j) => {
    if (typeof e !== 'string') {
      problems.add(`${path}[${j}]`, `expected a string, got ${describeValue(e)}`);
      bad = true;
      return;
    }
    const checked = canonicalIpsetEntry(type, family, e, range);
    if (checked.error !== undefined) {
      problems.add(`${path}[${j}]`, checked.error);
      bad = true;
    } else {
      out.add(checked.canonical);
    }
  });
  return bad ? undefined : [...out];
}
