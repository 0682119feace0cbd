#!/usr/bin/env node
// ipvs-proxier [run] [flags]   the node's service proxy (default; kube-proxy's flag names)
// ipvs-proxier dump ...        what the kernel holds
// ipvs-proxier apply -f ...    make the kernel match a state file
// Each command's module is loaded only when used: dump and apply never load the Kubernetes client.
import { KernelError } from '../kernel/kernel-error.js';

interface RunModule {
  runProxier(argv: string[]): Promise<number>;
}

const USAGE = `usage: ipvs-proxier [run] [--kubeconfig FILE | --master URL] [flags...]   run the service proxy
       ipvs-proxier --cleanup                                            remove everything it owns
       ipvs-proxier dump [--json] [--stats] [--all]                      show IPVS, ipsets, kube-ipvs0
       ipvs-proxier apply -f STATE.json [--dry-run]                      make the kernel match a state
Run 'ipvs-proxier COMMAND --help' for a command's flags (run --help lists every proxy flag).`;

async function main(argv: string[]): Promise<number> {
  const out = (s: string): void => void process.stdout.write(s);
  const err = (s: string): void => void process.stderr.write(s);
  const [first, ...rest] = argv;
  switch (first) {
    case 'dump':
      return (await import('./dump-command.js')).dumpCommand(rest, out);
    case 'apply':
      return (await import('./apply-command.js')).applyCommand(rest, out, err);
    case 'help':
      out(USAGE + '\n');
      return 0;
    case 'run': {
      const mod = (await import(new URL('./run-command.js', import.meta.url).href)) as RunModule;
      return mod.runProxier(rest);
    }
    default: {
      // No subcommand: kube-proxy style invocation (flags only), as the DaemonSet runs it.
      const mod = (await import(new URL('./run-command.js', import.meta.url).href)) as RunModule;
      return mod.runProxier(argv);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Kernel errors already say operation, object and errno; anything else gets its message.
    const msg = e instanceof KernelError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stderr.write(`ipvs-proxier: ${msg}\n`);
    if (process.env['IPVS_PROXIER_DEBUG'] && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  },
);
