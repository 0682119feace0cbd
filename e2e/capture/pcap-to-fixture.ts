// pcap-to-fixture PCAP --protocol N --command TEXT [--kernel TEXT] [--tools TEXT]
// Prints a JSON fixture of the netlink datagrams of one protocol, in capture order. Used inside the VM by
// capture-netlink; the fixtures under test/fixtures/captured/ are made with it.
import { readFileSync } from 'node:fs';
import { toHex } from '../../native-free-netlink/core/bytes.js';
import { netlinkFrames } from './pcap.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: pcap-to-fixture PCAP --protocol N --command TEXT [--kernel TEXT] [--tools TEXT]\n');
  process.exit(2);
}
const protocol = Number(arg('--protocol') ?? '16');
const frames = netlinkFrames(readFileSync(file)).filter((f) => f.protocol === protocol);
const fixture = {
  command: arg('--command') ?? '',
  kernel: arg('--kernel') ?? '',
  tools: arg('--tools') ?? '',
  protocol,
  messages: frames.map((f) => ({ direction: f.direction, hex: toHex(f.bytes) })),
};
process.stdout.write(JSON.stringify(fixture, null, 2) + '\n');
