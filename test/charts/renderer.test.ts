// test/charts/render (our offline stand-in for `helm template`) against a tiny fixture chart
// (test/charts/fixtures/engine-chart): the Helm behaviours the ipvs-proxier chart's tests rely on, so that
// a chart that renders here renders the same under helm.
import { expect } from 'chai';
import { join } from 'node:path';
import { CHART_TESTS, INSTALL_HINT, only, parseManifests, render, renderRaw, rendererToolsMissing } from './helpers.js';

const FIXTURE = ['--chart', join(CHART_TESTS, 'fixtures/engine-chart')];

describe('test/charts/render (Helm engine stand-in)', function () {
  this.timeout(300_000);

  before(function () {
    const missing = rendererToolsMissing();
    if (missing) {
      console.log(`      SKIPPED: ${missing}; to run these tests, ${INSTALL_HINT}`);
      this.skip();
    }
  });

  it("prints documents as helm template does: '# Source:' headers, install order by kind, unknown kinds last by name", function () {
    const out = render(undefined, FIXTURE);
    const sources = out.match(/^# Source: .*$/gm);
    expect(sources).to.deep.equal([
      '# Source: engine-chart/templates/z-namespace.yaml',
      '# Source: engine-chart/templates/configmap.yaml',
      '# Source: engine-chart/templates/a-custom-kinds.yaml',
      '# Source: engine-chart/templates/a-custom-kinds.yaml',
    ]);
    expect(parseManifests(out).map((o) => o.kind)).to.deep.equal(['Namespace', 'ConfigMap', 'AlphaThing', 'ZetaThing']);
    expect(out.startsWith('---\n# Source: ')).to.equal(true);
  });

  it("implements Helm's functions and objects", function () {
    const data = only(parseManifests(render(undefined, [...FIXTURE, '--name', 'rel', '--namespace', 'ns1'])), 'ConfigMap').data;
    expect(data).to.deep.equal({
      // sigs.k8s.io/yaml style: keys sorted, lists at their key's indentation, ambiguous strings quoted.
      toYaml: 'a: "10"\nb:\n- 1\n- c: x\n  d: true\n',
      toJson: '{"a":"10","b":[1,{"c":"x","d":true}]}',
      port: '10256',
      // Values numbers are float64, as in Helm (which is why big numbers need quoting in values).
      big: '1e+06',
      missing: '',
      removeMeKept: 'true',
      keep: '{"inner":"kept"}',
      tpl: 'rel-engine-chart-cm',
      template: 'engine-chart/templates/configmap.yaml',
      basePath: 'engine-chart/templates',
      hasMonitoring: 'false',
      hasApps: 'true',
      kube: 'v1.33.0 1.33',
      release: 'rel/ns1/true/1/Helm',
      chart: 'engine-chart 1.2.3 4.5',
      fromYaml: '["p","q"]',
      fromYamlError: 'true',
      file: 'hello from files/',
      sprig: 'A,B',
    });
    expect(only(parseManifests(render(undefined, [...FIXTURE, '--namespace', 'ns1'])), 'Namespace').metadata.name).to.equal('ns1');
  });

  it('coalesces values files as helm does: null deletes, maps merge, later files win', function () {
    const data = only(
      parseManifests(render({ removeMe: null, keep: { other: 2 } }, [...FIXTURE, '--api-versions', 'monitoring.coreos.com/v1'])),
      'ConfigMap',
    ).data;
    expect(data.removeMeKept).to.equal('false');
    expect(data.keep).to.equal('{"inner":"kept","other":2}');
    expect(data.hasMonitoring).to.equal('true');
  });

  it('fails on required values, on env (removed as in Helm), and on an incompatible kubeVersion', function () {
    const required = renderRaw({ checkRequired: true }, FIXTURE);
    expect(required.status).to.equal(1);
    expect(required.stderr).to.contain('needed must be set');
    expect(renderRaw({ checkRequired: true, needed: 'x' }, FIXTURE).status).to.equal(0);

    const env = renderRaw({ tryEnv: true }, FIXTURE);
    expect(env.status).to.equal(1);
    expect(env.stderr).to.contain('function "env" not defined');

    const old = renderRaw(undefined, ['--kube-version', 'v1.20.0']);
    expect(old.status).to.equal(1);
    expect(old.stderr).to.contain('chart requires kubeVersion: >=1.21.0-0 which is incompatible with Kubernetes v1.20.0');
  });
});
