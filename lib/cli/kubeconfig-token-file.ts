// kubeconfig users that authenticate with `tokenFile`, as client-go and kubectl read it. kubeadm's
// kube-proxy ConfigMap ships such a kubeconfig (kubeconfig.conf: the API server's real address, the pod's
// service account CA and `tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token`), and kube-proxy's
// clientConnection.kubeconfig points at it. client-node ignores `tokenFile` (it knows only `token` and a
// `token-file` read once): such a user would reach the API server with no credentials, and a projected
// token is rotated by the kubelet anyway. run-command gives these users client-node's `tokenFile` auth
// provider, which re-reads the file every minute, as its in-cluster configuration does.
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** User name -> token file (relative paths resolved against the kubeconfig's directory, as client-go does). */
export function tokenFileUsers(kubeconfigText: string, kubeconfigPath: string): Map<string, string> {
  const out = new Map<string, string>();
  let doc: unknown;
  try {
    doc = parse(kubeconfigText);
  } catch {
    // Not ours to report: client-node's own loading of the same file says what is wrong with it.
    return out;
  }
  const users = (doc as { users?: unknown } | null)?.users;
  if (!Array.isArray(users)) return out;
  for (const entry of users as Array<{ name?: unknown; user?: { tokenFile?: unknown } } | null>) {
    const file = entry?.user?.tokenFile;
    if (typeof entry?.name !== 'string' || typeof file !== 'string' || file === '') continue;
    out.set(entry.name, isAbsolute(file) ? file : join(dirname(kubeconfigPath), file));
  }
  return out;
}
