// Others' objects on a node, put there before the proxier starts: a keepalived-like virtual server, a
// firewall's ipset, chain, INPUT jump and nat PREROUTING rule. The proxier must never touch them; suites
// compare them before and after (test/e2e/proxier/proxier.test.ts, test/e2e/faults/).
import { run, tryRun } from '../netlink/kernel-tools.js';

export const FOREIGN_IPVS = ['-A -t 192.168.122.100:443 -s wlc', '-a -t 192.168.122.100:443 -r 192.168.122.21:443 -g -w 3'];
export const FOREIGN_IPSET = ['create FIREWALL-ALLOW hash:net family inet hashsize 1024 maxelem 65536', 'add FIREWALL-ALLOW 198.51.100.0/24'];
export const FOREIGN_IPTABLES = [
  '*filter', ':FIREWALL - [0:0]', '-A FIREWALL -m set --match-set FIREWALL-ALLOW src -j ACCEPT', '-A INPUT -p tcp --dport 2222 -j FIREWALL', 'COMMIT',
  '*nat', '-A PREROUTING -p tcp --dport 2222 -j REDIRECT --to-ports 22', 'COMMIT', '',
];

export function addForeignIpvs(): void {
  run('ipvsadm', ['-R'], FOREIGN_IPVS.join('\n') + '\n');
}

export function addForeignObjects(): void {
  addForeignIpvs();
  run('ipset', ['restore'], FOREIGN_IPSET.join('\n') + '\n');
  run('iptables-restore', ['--noflush'], FOREIGN_IPTABLES.join('\n'));
}

export function removeForeignObjects(): void {
  tryRun('iptables', ['-t', 'nat', '-D', 'PREROUTING', '-p', 'tcp', '--dport', '2222', '-j', 'REDIRECT', '--to-ports', '22']);
  tryRun('iptables', ['-D', 'INPUT', '-p', 'tcp', '--dport', '2222', '-j', 'FIREWALL']);
  tryRun('iptables', ['-F', 'FIREWALL']);
  tryRun('iptables', ['-X', 'FIREWALL']);
  tryRun('ipset', ['destroy', 'FIREWALL-ALLOW']);
  tryRun('ipvsadm', ['-D', '-t', '192.168.122.100:443']);
}
