// A kubeconfig for the stand-in server: plain HTTP, no credentials.
// insecure-skip-tls-verify is set because @kubernetes/client-node 2 refuses
// http:// servers without it ("HTTP protocol is not allowed when
// skipTLSVerify is not set"); kubectl does not mind it.

import { writeFile, rename } from 'node:fs/promises';
import { stringify } from 'yaml';

export const KUBECONFIG_NAME = 'e2e-apiserver';

export function renderKubeconfig(serverUrl: string, namespace = 'default'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: KUBECONFIG_NAME, cluster: { server: serverUrl, 'insecure-skip-tls-verify': true } }],
    users: [{ name: KUBECONFIG_NAME, user: {} }],
    contexts: [{ name: KUBECONFIG_NAME, context: { cluster: KUBECONFIG_NAME, user: KUBECONFIG_NAME, namespace } }],
    'current-context': KUBECONFIG_NAME,
    preferences: {},
  });
}

/** Written via a temporary file and rename, so a reader never sees half a file. */
export async function writeKubeconfig(path: string, serverUrl: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, renderKubeconfig(serverUrl), { mode: 0o600 });
  await rename(temporary, path);
}
