// e2e/pod/pod-manifests.ts on the chart as real Helm renders it: the DaemonSet's template becomes the Pod
// the pod suite plays with podman (nothing of the template lost or changed, bound to the node), NOTES.txt's
// cleanup command becomes the Pod `kubectl run` would create, and the probes become the URLs the kubelet
// would request.
import { expect } from 'chai';
import { cleanupPodFromNotes, expandEnvReferences, forPodman, namedPorts, podFromDaemonSet, probeUrl } from '../../e2e/pod/pod-manifests.js';
import { only, parseManifests, render, renderNotes, requireHelm4 } from './helpers.js';

describe('pod suite manifests (from the chart rendered by real Helm)', function () {
  this.timeout(120_000);
  const values = { image: { repository: 'localhost/ipvs-proxier', tag: 'test' }, master: 'http://127.0.0.1:6443' };
  let manifests: string;

  before(function () {
    requireHelm4();
    manifests = render(values);
  });

  it('plays the DaemonSet pod template unchanged, as the Pod of node-1', function () {
    const ds = only(parseManifests(manifests), 'DaemonSet');
    const pod = podFromDaemonSet(manifests, 'node-1');
    expect(pod.metadata.name).to.equal(`${ds.metadata.name}-node-1`);
    expect(pod.metadata.labels).to.deep.equal(ds.spec.template.metadata.labels);
    const { nodeName, ...rest } = pod.spec;
    expect(nodeName).to.equal('node-1');
    expect(rest, 'every field of the template spec, no more').to.deep.equal(ds.spec.template.spec);
    expect(pod.spec.containers[0]!.image).to.equal('localhost/ipvs-proxier:test');
  });

  it('refuses output without exactly one DaemonSet', function () {
    expect(() => podFromDaemonSet('kind: ConfigMap\nmetadata: {name: x}\n', 'n')).to.throw('expected one DaemonSet in the rendered chart, found 0');
  });

  it("turns NOTES.txt's cleanup command into the Pod kubectl run creates: NET_ADMIN only, host network, --cleanup, on the node", function () {
    const pod = cleanupPodFromNotes(renderNotes(values), 'node-1');
    expect(pod.metadata.name).to.equal('ipvs-proxier-cleanup');
    expect(pod.spec.nodeName).to.equal('node-1');
    expect(pod.spec.restartPolicy).to.equal('Never');
    expect(pod.spec.hostNetwork).to.equal(true);
    const c = pod.spec.containers[0]!;
    expect(c.image).to.equal('localhost/ipvs-proxier:test');
    expect(c.command).to.deep.equal(['ipvs-proxier', '--cleanup']);
    expect(c.securityContext).to.deep.equal({ privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } });
    expect((c.volumeMounts as Array<{ mountPath: string }>).map((m) => m.mountPath)).to.deep.equal(['/run/xtables.lock']);
  });

  it("gives the cleanup pod the DaemonSet's extraEnv (the iptables backend to clean), and no env when there is none", function () {
    const env = [{ name: 'IPVS_PROXIER_IPTABLES', value: 'legacy' }];
    expect(cleanupPodFromNotes(renderNotes({ ...values, extraEnv: env }), 'node-1').spec.containers[0]!.env).to.deep.equal(env);
    expect(cleanupPodFromNotes(renderNotes(values), 'node-1').spec.containers[0]!).not.to.have.property('env');
  });

  it('refuses NOTES without a cleanup command, or one that does not leave NODE to the operator', function () {
    expect(() => cleanupPodFromNotes('nothing here', 'n')).to.throw('NOTES.txt has no');
    const notes = `kubectl -n x run c --rm -it --restart=Never --image=i --overrides='{"spec":{"nodeName":"n1","containers":[{"name":"c","image":"i"}]}}'`;
    expect(() => cleanupPodFromNotes(notes, 'n')).to.throw('should name the node as NODE');
  });

  it("gives the probes' URLs as the kubelet requests them on a host-network pod", function () {
    const c = podFromDaemonSet(manifests, 'node-1').spec.containers[0]!;
    const ports = namedPorts(c);
    expect(probeUrl(c.livenessProbe, 'liveness', '192.168.122.10', ports)).to.equal('http://192.168.122.10:10256/livez');
    expect(probeUrl(c.readinessProbe, 'readiness', '192.168.122.10', ports)).to.equal('http://192.168.122.10:10256/healthz');
    expect(() => probeUrl({ httpGet: { port: 'nope' } }, 'x', 'h', ports)).to.throw('port "nope" is not one of');
  });

  it('changes for podman only the ports of a host-network pod and the downward-API node name, as the kubelet sees them', function () {
    const pod = podFromDaemonSet(manifests, 'node-1');
    const { pod: played, changed } = forPodman(pod);
    const { ports, env, args, ...rest } = pod.spec.containers[0]!;
    const at = args!.indexOf('--hostname-override=$(NODE_NAME)');
    expect(at, 'the template passes the node name as $(NODE_NAME)').to.be.at.least(0);
    expect(changed).to.deep.equal([
      'spec.containers[0].ports left out (informational on a host-network pod)',
      'spec.containers[0].env[0] NODE_NAME: fieldRef spec.nodeName given as its value "node-1"',
      `spec.containers[0].args[${at}] "--hostname-override=$(NODE_NAME)" expanded to "--hostname-override=node-1"`,
    ]);
    expect(ports, 'the template declares its ports').to.be.an('array').that.is.not.empty;
    const [nodeName, ...otherEnv] = env as unknown[];
    expect(nodeName).to.deep.equal({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    const expandedArgs = args!.map((a, i) => (i === at ? '--hostname-override=node-1' : a));
    expect(played.spec.containers[0]).to.deep.equal({ ...rest, args: expandedArgs, env: [{ name: 'NODE_NAME', value: 'node-1' }, ...otherEnv] });
    expect({ ...played.spec, containers: [] }).to.deep.equal({ ...pod.spec, containers: [] });
    const bridged = { ...pod, spec: { ...pod.spec, hostNetwork: false, containers: [{ ...rest, args: expandedArgs } as typeof pod.spec.containers[0]] } };
    expect(forPodman(bridged)).to.deep.equal({ pod: bridged, changed: [] });
  });

  it('expands $(VAR) as the kubelet does: defined names only, $$ escapes', function () {
    const env = new Map([['NODE_NAME', 'node-1'], ['A', 'x']]);
    expect(expandEnvReferences('--hostname-override=$(NODE_NAME)', env)).to.equal('--hostname-override=node-1');
    expect(expandEnvReferences('$(A)-$(A)', env)).to.equal('x-x');
    expect(expandEnvReferences('$(UNDEFINED) stays', env)).to.equal('$(UNDEFINED) stays');
    expect(expandEnvReferences('$$(NODE_NAME) is escaped, $$ is $', env)).to.equal('$(NODE_NAME) is escaped, $ is $');
    expect(expandEnvReferences('no references', env)).to.equal('no references');
  });
});
