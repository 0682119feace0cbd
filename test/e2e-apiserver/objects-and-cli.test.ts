// The --objects loader with the example fixtures, and the command itself:
// first stdout line, kubeconfig, SIGTERM.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ApiServer } from '../../e2e/apiserver-src/api-server.js';
import { loadObjects, loadObjectsFile, parseObjects } from '../../e2e/apiserver-src/object-loader.js';
import { ENDPOINT_SLICES, NODES, SERVICES } from '../../e2e/apiserver-src/resource-types.js';

// dist/test/e2e-apiserver -> repository root
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const examples = join(repo, 'e2e/examples');

type Json = any; // fixtures are poked at field by field

describe('e2e apiserver: example objects', () => {
  it('loads httpd.yaml, nodeport.yaml and node.yaml with the fixed pod IPs and ports', async () => {
    const server = new ApiServer();
    for (const file of ['httpd.yaml', 'nodeport.yaml', 'node.yaml']) await loadObjectsFile(server.registry, join(examples, file));
    const { registry } = server;

    const httpd: Json = registry.get(SERVICES, 'default', 'httpd');
    expect(httpd.spec.ports).to.deep.equal([{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 80 }]);
    expect(httpd.spec.clusterIP).to.match(/^10\.96\./);
    const httpdSlices: Json[] = registry.list(ENDPOINT_SLICES, 'default', (o) => o.metadata.labels?.['kubernetes.io/service-name'] === 'httpd').items;
    expect(httpdSlices).to.have.length(1);
    expect(httpdSlices[0].endpoints.map((e: Json) => e.addresses[0])).to.deep.equal(['10.244.1.2', '10.244.1.3', '10.244.1.4']);
    expect(httpdSlices[0].endpoints.every((e: Json) => e.conditions.ready === true && e.nodeName === 'node-1')).to.equal(true);
    expect(httpdSlices[0].ports).to.deep.equal([{ name: 'http', protocol: 'TCP', port: 80 }]);

    const web: Json = registry.get(SERVICES, 'default', 'web-nodeport');
    expect(web.spec.type).to.equal('NodePort');
    expect(web.spec.ports[0]).to.include({ port: 3017, targetPort: 5003, nodePort: 31122 });
    const webSlices: Json[] = registry.list(ENDPOINT_SLICES, 'default', (o) => o.metadata.labels?.['kubernetes.io/service-name'] === 'web-nodeport').items;
    expect(webSlices[0].endpoints.map((e: Json) => e.addresses[0])).to.deep.equal(['10.244.1.5', '10.244.1.6']);
    expect(webSlices[0].ports[0].port).to.equal(5003);

    const node: Json = registry.get(NODES, undefined, 'node-1');
    expect(node.spec.podCIDR).to.equal('10.244.1.0/24');
    expect(node.status.addresses).to.deep.include({ type: 'InternalIP', address: '192.168.122.10' });
  });

  it('accepts kind: List and rejects kinds it does not serve', () => {
    const server = new ApiServer();
    const objects = parseObjects(`apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: a, namespace: x}, spec: {ports: [{port: 53, protocol: UDP}]}}
- {apiVersion: v1, kind: Node, metadata: {name: n}}
---
`);
    expect(objects).to.have.length(2);
    loadObjects(server.registry, objects);
    expect(server.registry.get(SERVICES, 'x', 'a').spec).to.have.property('clusterIP');
    expect(() => loadObjects(server.registry, parseObjects('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n'))).to.throw(/unsupported apiVersion\/kind v1\/Pod/);
    expect(() => loadObjects(server.registry, parseObjects('apiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {clusterIP: 1.2.3.4, ports: [{port: 1}]}\n'))).to.throw(/not in the valid range/);
  });
});

describe('e2e apiserver: command line', function () {
  this.timeout(15_000); // a separate node process; only guards against hangs
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'e2e-apiserver-cli-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('prints the listening URL first, serves the objects, writes the kubeconfig and exits on SIGTERM', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(process.execPath, [join(repo, 'dist/e2e/apiserver-src/main.js'), '--port', '0', '--objects', join(examples, 'httpd.yaml'), '--kubeconfig-out', kubeconfig, '--log-level', 'error'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
    const firstLine = await new Promise<string>((resolveLine, reject) => {
      createInterface({ input: child.stdout }).once('line', resolveLine);
      child.once('exit', () => reject(new Error('exited before printing')));
    });
    const match = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(firstLine);
    expect(match, firstLine).to.not.equal(null);
    const url = match?.[1] ?? '';
    expect(Number(match?.[2])).to.be.greaterThan(0);

    const config = parse(await readFile(kubeconfig, 'utf8'));
    expect(config.clusters[0].cluster.server).to.equal(url);
    expect(config['current-context']).to.equal(config.contexts[0].name);
    const services = await (await fetch(`${url}/api/v1/namespaces/default/services`)).json();
    expect(services.items.map((s: Json) => s.metadata.name)).to.deep.equal(['httpd']);

    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });
});
