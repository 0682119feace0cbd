// Typed IPVS access over one generic netlink connection: resolves the "IPVS" family, reads every virtual
// server with its real servers and counters, and turns changes into request messages for batched sending.
import { EBUSY } from '../../native-free-netlink/core/errno.js';
import type { NetlinkMessage } from '../../native-free-netlink/core/message.js';
import {
  IPVS_GENL_NAME,
  decodeDestinationList,
  decodeConfig,
  decodeInfo,
  decodeServiceList,
  getConfig,
  getDestinations,
  getInfo,
  getServices,
  ipvsErrorFromAck,
  setConfig,
  type IpvsDestinationEntry,
  type IpvsInfo,
  type IpvsServiceEntry,
  type IpvsServiceKey,
  type IpvsTimeouts,
} from '../../native-free-netlink/ipvs/index.js';
import type { ExchangeResult, NetlinkConnection } from '../netlink/connection.js';
import { resolveGenlFamily } from '../netlink/genl-family.js';
import { KernelError } from './kernel-error.js';

export interface IpvsServiceWithDestinations extends IpvsServiceEntry {
  destinations: IpvsDestinationEntry[];
}

/** What a listing decodes: `counters: false` skips the packet/byte counters (a sync needs none of them). */
export interface ListOptions {
  counters?: boolean;
  /** A whole-kernel read: its dumps run apart from the socket a sync's changes go over (ExchangeOptions). */
  apart?: boolean;
  /** Destinations a sync waits for: dumped all at once (ExchangeOptions.parallel). */
  parallel?: boolean;
}

/** How often a dump interrupted by concurrent changes (NLM_F_DUMP_INTR) is retried before giving up. */
const DUMP_ATTEMPTS = 5;

export class IpvsClient {
  private constructor(
    readonly conn: NetlinkConnection,
    readonly familyId: number,
  ) {}

  static async open(conn: NetlinkConnection): Promise<IpvsClient> {
    const family = await resolveGenlFamily(conn, IPVS_GENL_NAME, 'the kernel has no IPVS: load the ip_vs module (modprobe ip_vs) or use a kernel with CONFIG_IP_VS');
    return new IpvsClient(conn, family.id);
  }

  async info(): Promise<IpvsInfo> {
    const [r] = await this.conn.exchange([getInfo(this.familyId, 0)]);
    this.check(r!, 'GET_INFO', '');
    return decodeInfo(r!.replies);
  }

  /** The connection timeouts (seconds) of the network namespace: `ipvsadm -L --timeout`. */
  async timeouts(): Promise<IpvsTimeouts> {
    const [r] = await this.conn.exchange([getConfig(this.familyId, 0)]);
    this.check(r!, 'GET_CONFIG', '');
    return decodeConfig(r!.replies);
  }

  /** Sets the timeouts given (seconds); an absent or 0 field keeps the kernel's value (ip_vs_set_timeout). */
  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    const [r] = await this.conn.exchange([setConfig(this.familyId, 0, t)]);
    this.check(r!, 'SET_CONFIG', `timeouts tcp ${t.tcp ?? 0} tcpfin ${t.tcpFin ?? 0} udp ${t.udp ?? 0}`);
  }

  async listServices(o: ListOptions = {}): Promise<IpvsServiceEntry[]> {
    for (let attempt = 1; ; attempt++) {
      const [r] = await this.conn.exchange([getServices(this.familyId, 0)], { apart: o.apart === true });
      this.check(r!, 'GET_SERVICE', 'dump');
      const dump = decodeServiceList(r!.replies, { familyId: this.familyId, counters: o.counters });
      if (!dump.interrupted && !r!.dumpInterrupted) return dump.entries;
      if (attempt >= DUMP_ATTEMPTS) throw new KernelError('GET_SERVICE', 'dump', EBUSY, `interrupted by concurrent changes ${attempt} times`);
    }
  }

  /** Real servers of each service; one dump request per service, sent in one exchange. */
  async listDestinations(keys: readonly IpvsServiceKey[], o: ListOptions = {}): Promise<IpvsDestinationEntry[][]> {
    const out: IpvsDestinationEntry[][] = new Array(keys.length);
    let todo = keys.map((_, i) => i);
    for (let attempt = 1; todo.length > 0; attempt++) {
      const results = await this.conn.exchange(todo.map((i) => getDestinations(this.familyId, 0, keys[i]!)), { apart: o.apart === true, parallel: o.parallel === true });
      const again: number[] = [];
      results.forEach((r, j) => {
        const i = todo[j]!;
        this.check(r, 'GET_DEST', 'dump');
        const dump = decodeDestinationList(r.replies, { familyId: this.familyId, counters: o.counters });
        if (dump.interrupted || r.dumpInterrupted) again.push(i);
        else out[i] = dump.entries;
      });
      if (again.length && attempt >= DUMP_ATTEMPTS) throw new KernelError('GET_DEST', 'dump', EBUSY, `interrupted by concurrent changes ${attempt} times`);
      todo = again;
    }
    return out;
  }

  async listAll(o: ListOptions = {}): Promise<IpvsServiceWithDestinations[]> {
    const services = await this.listServices(o);
    const dests = await this.listDestinations(services.map((s) => s.service), o);
    return services.map((s, i) => ({ ...s, destinations: dests[i]! }));
  }

  /** Sends prepared IPVS requests batched; returns one error (or undefined) per request, in order. */
  async send(requests: readonly { message: NetlinkMessage; cmd: number; object: Parameters<typeof ipvsErrorFromAck>[2] }[]): Promise<(Error | undefined)[]> {
    const results = await this.conn.exchange(requests.map((r) => r.message));
    return results.map((res, i) => (res.ack ? ipvsErrorFromAck(res.ack, requests[i]!.cmd, requests[i]!.object) : undefined));
  }

  private check(r: ExchangeResult, op: string, object: string): void {
    if (r.ack && r.ack.errno !== 0) throw new KernelError(op, object, r.ack.errno, r.ack.message);
  }
}
