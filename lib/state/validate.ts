// Reads a state file (`ipvs-proxier apply -f STATE.json`): every problem is found and reported, with the
// path of the field, before anything in the kernel changes. The result is in canonical form.
import { canonicalState } from './canonical.js';
import { findJsonSyntaxError } from './json-syntax-error.js';
import type { InterfaceState, IptablesState, IptablesTable, State } from './types.js';
import { validateIpsets } from './validate-ipsets.js';
import { validateVirtualServers } from './validate-virtual-servers.js';
import {
  checkKnownKeys, describeValue, isPlainObject, Problems, readArray, readString, StateValidationError,
} from './validation-problems.js';
import { canonicalIp, ipToBytes } from '../../native-free-netlink/core/ip.js';

export { StateValidationError, formatProblem, type StateProblem } from './validation-problems.js';

export const IPTABLES_TABLES: readonly IptablesTable[] = ['nat', 'filter', 'mangle', 'raw', 'ip6-nat', 'ip6-filter', 'ip6-mangle', 'ip6-raw'];
/** IFNAMSIZ is 16 including the terminating NUL (uapi linux/if.h). */
export const INTERFACE_NAME_MAX_LENGTH = 15;

/** Parses and validates a state document; throws StateValidationError (also for malformed JSON). */
export function parseState(jsonText: string): State {
  let value: unknown;
  try {
    value = JSON.parse(jsonText);
  } catch (e) {
    const where = findJsonSyntaxError(jsonText);
    const message = where
      ? `malformed JSON at line ${where.line} column ${where.column}: ${where.message}`
      : `malformed JSON: ${(e as Error).message}`;
    throw new StateValidationError([{ path: '', message }]);
  }
  return validateState(value);
}

/** Validates a parsed state; returns it in canonical form, or throws StateValidationError with every problem. */
export function validateState(value: unknown): State {
  const problems = new Problems();
  if (!isPlainObject(value)) {
    problems.add('', `a state is a JSON object, got ${describeValue(value)}`);
    throw new StateValidationError(problems.list);
  }
  checkKnownKeys(value, ['interface', 'virtualServers', 'ipsets', 'iptables'], '', problems);
  const state: State = {
    virtualServers: required(value, 'virtualServers', problems) ? validateVirtualServers(value.virtualServers, problems) : [],
    ipsets: required(value, 'ipsets', problems) ? validateIpsets(value.ipsets, problems) : [],
  };
  if (value.interface !== undefined) {
    const itf = validateInterface(value.interface, problems);
    if (itf) state.interface = itf;
  }
  if (value.iptables !== undefined) {
    const ipt = validateIptablesShape(value.iptables, problems);
    if (ipt) state.iptables = ipt;
  }
  if (problems.list.length > 0) throw new StateValidationError(problems.list);
  return canonicalState(state);
}

/** Both lists are required: a misspelt or forgotten key must not mean "remove everything". */
function required(obj: Record<string, unknown>, key: string, problems: Problems): boolean {
  if (obj[key] !== undefined) return true;
  problems.add(key, 'required (an empty list means none)');
  return false;
}

function validateInterface(v: unknown, problems: Problems): InterfaceState | undefined {
  if (!isPlainObject(v)) {
    problems.add('interface', `expected an object, got ${describeValue(v)}`);
    return undefined;
  }
  checkKnownKeys(v, ['name', 'addresses'], 'interface', problems);
  const name = readString(v.name, 'interface.name', problems);
  // dev_valid_name() (net/core/dev.c): 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
  let nameOk = name !== undefined;
  if (name !== undefined) {
    if (name.length === 0 || Buffer.byteLength(name) > INTERFACE_NAME_MAX_LENGTH) {
      problems.add('interface.name', `"${name}" must be 1-${INTERFACE_NAME_MAX_LENGTH} bytes long (IFNAMSIZ)`);
      nameOk = false;
    } else if (name === '.' || name === '..' || /[/:\s]/.test(name)) {
      problems.add('interface.name', `"${name}" is not a valid interface name`);
      nameOk = false;
    }
  }
  const list = v.addresses === undefined ? [] : readArray(v.addresses, 'interface.addresses', problems);
  const addresses: string[] = [];
  list?.forEach((a, i) => {
    const path = `interface.addresses[${i}]`;
    const s = readString(a, path, problems);
    if (s === undefined) return;
    const checked = checkCidr(s);
    if (typeof checked === 'string') addresses.push(checked);
    else problems.add(path, checked.error);
  });
  return nameOk && list ? { name: name!, addresses } : undefined;
}

function checkCidr(s: string): string | { error: string } {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  let bits: number;
  try {
    bits = ipToBytes(addr).bytes.length * 8;
  } catch {
    return { error: `invalid IP address "${addr}"` };
  }
  if (slash < 0) return `${canonicalIp(addr)}/${bits}`;
  const p = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return { error: `invalid prefix length "/${p}" (0-${bits})` };
  return `${canonicalIp(addr)}/${Number(p)}`;
}

/** Shape only: the iptables module validates rule text. */
function validateIptablesShape(v: unknown, problems: Problems): IptablesState | undefined {
  if (!isPlainObject(v)) {
    problems.add('iptables', `expected an object of tables, got ${describeValue(v)}`);
    return undefined;
  }
  let ok = true;
  for (const [table, chains] of Object.entries(v)) {
    const path = `iptables.${table}`;
    if (!(IPTABLES_TABLES as readonly string[]).includes(table)) {
      problems.add(path, `unknown table (known: ${IPTABLES_TABLES.join(', ')})`);
      ok = false;
      continue;
    }
    if (!isPlainObject(chains)) {
      problems.add(path, `expected an object of chains, got ${describeValue(chains)}`);
      ok = false;
      continue;
    }
    for (const [chain, rules] of Object.entries(chains)) {
      const list = readArray(rules, `${path}.${chain}`, problems);
      if (!list) {
        ok = false;
        continue;
      }
      list.forEach((r, i) => {
        if (typeof r !== 'string') {
          problems.add(`${path}.${chain}[${i}]`, `expected a rule string, got ${describeValue(r)}`);
          ok = false;
        }
      });
    }
  }
  return ok ? (v as IptablesState) : undefined;
}
