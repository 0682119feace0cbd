// The bench's CPU side on the host, without a VM: the kernel engine over the repository's message-level fake
// kernels (IPVS, ipset, rtnetlink), with every request and reply going through bytes as on a socket
// (encodeMessages -> decodeMessages, one datagram per batch, as the transport would receive it). The fakes
// cost CPU of their own, so the numbers are only good for finding our hot spots:
//   node --cpu-prof dist/e2e/bench/host-profile.js 10000
import { encodeMessage, decodeMessages, type NetlinkMessage } from '../../native-free-netlink/core/message.js';
import { attr } from '../../native-free-netlink/core/attributes.js';
import { encodeGenl } from '../../native-free-netlink/genetlink/genl.js';
import { CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_CMD_NEWFAMILY, GENL_ID_CTRL } from '../../native-free-netlink/genetlink/ctrl.js';
import { encodeAck } from '../../native-free-netlink/core/ack.js';
import { concatBytes } from '../../native-free-netlink/core/bytes.js';
import { KernelEngine } from '../../lib/engine/engine.js';
import type { ExchangeResult, NetlinkConnection } from '../../lib/netlink/connection.js';
import { newCounters } from '../../lib/netlink/socket-transport.js';
import { ReplyCollector } from '../../lib/netlink/reply-collector.js';
import { FakeIpvsKernel } from '../../test/native-free-netlink/ipvs/fake-ipvs-kernel.js';
import { FakeIpsetKernel } from '../../test/native-free-netlink/ipset/fake-kernel.js';
import { FakeRouteKernel } from '../../test/native-free-netlink/rtnetlink/fake-route-kernel.js';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { DesiredStateAggregate } from '../../lib/proxier/desired-state-aggregate.js';
import { BENCH_NODE, benchDesired, benchService, benchServiceKey, benchSlice, benchSliceKey } from './bench-objects.js';
import { podIp, spareIp } from './bench-state.js';
import { nowMs, peakRssMiB } from './measure.js';

const IPVS_FAMILY = 0x24;

/** A connection whose replies come back as bytes in datagrams, like SocketTransport's, batched the same way. */
class ByteFake implements NetlinkConnection {
  private seq = 1;
  readonly counters = newCounters();
  constructor(
    readonly protocol: number,
    private readonly handle: (m: NetlinkMessage) => NetlinkMessage[],
    private readonly batchSize = 200,
  ) {}

  async exchange(requests: readonly NetlinkMessage[]): Promise<ExchangeResult[]> {
    const out: ExchangeResult[] = [];
    for (let i = 0; i < requests.length; i += this.batchSize) {
      const batch = requests.slice(i, i + this.batchSize).map((r) => ({ ...r, seq: this.seq++, pid: 0 }));
      const collector = new ReplyCollector(batch);
      this.counters.datagramsSent++;
      this.counters.messagesSent += batch.length;
      for (const r of batch) {
        const wire = decodeMessages(encodeMessage(r))[0]!;
        // Each request's replies arrive as one datagram (the kernel sends acks and dump parts separately).
        const replies = this.handle(wire);
        const datagram = Buffer.from(concatBytes(replies.map((m) => encodeMessage({ ...m, seq: r.seq }))));
        this.counters.datagramsReceived++;
        for (const m of decodeMessages(new Uint8Array(datagram.buffer, datagram.byteOffset, datagram.byteLength))) collector.accept(m);
      }
      out.push(...collector.results);
    }
    return out;
  }

  close(): void {}
}

function genlCtrl(ipvs: FakeIpvsKernel): (m: NetlinkMessage) => NetlinkMessage[] {
  return (m) => {
    if (m.type !== GENL_ID_CTRL) return ipvs.handle(m);
    const reply: NetlinkMessage = {
      type: GENL_ID_CTRL, flags: 0, seq: m.seq, pid: 0,
      payload: encodeGenl({ cmd: CTRL_CMD_NEWFAMILY, version: 2, attrs: [attr.u16(CTRL_ATTR_FAMILY_ID, IPVS_FAMILY), attr.string(CTRL_ATTR_FAMILY_NAME, 'IPVS')] }),
    };
    return [reply, encodeAck(m, 0)];
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
  const ipvs = new FakeIpvsKernel(IPVS_FAMILY);
  const ipset = new FakeIpsetKernel();
  ipset.entriesPerMessage = 200;
  ipset.revisions.set('list:set', 3);
  const route = new FakeRouteKernel();
  const engine = await KernelEngine.open({
    connections: {
      ipvs: new ByteFake(16, genlCtrl(ipvs)),
      // The fake cannot hold list:set members (the ledger's IPVS-PROXIER-SETS): those adds are acked and
      // forgotten, so a re-apply here plans two ledger adds where the kernel plans none.
      ipset: new ByteFake(12, (m) => {
        try {
          return ipset.handle(m);
        } catch {
          return [encodeAck(m, 0)];
        }
      }),
      route: new ByteFake(0, (m) => route.exchange([m])),
    },
  });
  // The proxier's desired state, from N Services and their slices (bench-objects.ts), as in the guest.
  const aggregate = new DesiredStateAggregate();
  const all = { services: new Map<string, V1Service | undefined>(), endpointSlices: new Map<string, V1EndpointSlice | undefined>() };
  for (let i = 0; i < n; i++) {
    all.services.set(benchServiceKey(i), benchService(i));
    all.endpointSlices.set(benchSliceKey(i), benchSlice(i));
  }
  const state = benchDesired(aggregate.update(all, BENCH_NODE).state);
  const mid = Math.floor(n / 2);
  const moveEndpoint = (newIp: string) =>
    aggregate.update({ services: new Map(), endpointSlices: new Map([[benchSliceKey(mid), benchSlice(mid, { endpoint: 3, newIp })]]) }, BENCH_NODE);
  const step = async (name: string, f: () => Promise<{ operations: unknown[] }>): Promise<void> => {
    const t0 = nowMs();
    const r = await f();
    const ms = nowMs() - t0;
    const m = process.memoryUsage();
    const mib = (x: number): string => (x / 1048576).toFixed(0);
    process.stderr.write(`${name}: ${ms.toFixed(0)} ms, ${r.operations.length} ops, peak ${peakRssMiB()} MiB (now: rss ${mib(m.rss)} heap ${mib(m.heapUsed)}/${mib(m.heapTotal)} external ${mib(m.external)} MiB)\n`);
  };
  let last: Awaited<ReturnType<KernelEngine['apply']>> | undefined;
  await step('apply from empty', async () => (last = await engine.apply(state)));
  await step('re-apply', async () => (last = await engine.apply(state)));
  await step('one endpoint, event-driven (aggregate + scoped plan)', async () => {
    const r = moveEndpoint(spareIp(n));
    return (last = await engine.apply(benchDesired(r.state), { observed: last!.after, ...(r.scope ? { scope: r.scope } : {}) }));
  });
  await step('one endpoint, whole state against the record', async () => (last = await engine.apply(benchDesired(moveEndpoint(podIp(n, 1)).state), { observed: last!.after })));
  await step('one endpoint, full', () => engine.apply(benchDesired(moveEndpoint(podIp(n, 2)).state)));
  engine.close();
}

void main();
