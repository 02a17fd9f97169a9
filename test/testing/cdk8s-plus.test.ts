import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { validateManifests } from '../../src/testing';

describe('on real cdk8s-plus-27 output', () => {
  test('finds no schema or semantic problem in what cdk8s-plus synthesizes', () => {
    // GIVEN a chart written with bare cdk8s-plus-27
    const chart = new Chart(Testing.app(), 'plain');
    const web = new kplus.Deployment(chart, 'web', {
      containers: [{ image: 'nginx:1.27.2', portNumber: 8080, securityContext: { user: 1000 } }],
    });
    web.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
    new kplus.StatefulSet(chart, 'db', { containers: [{ image: 'postgres:16.4', portNumber: 5432 }] });

    // WHEN
    const problems = validateManifests(Testing.synth(chart));

    // THEN only its security defaults fall short of the restricted profile: no seccomp, capabilities not dropped
    expect(problems.filter((p) => p.rule !== 'pod-security')).toEqual([]);
    expect([...new Set(problems.map((p) => p.code))].sort()).toEqual(['PSS_CAPABILITIES', 'PSS_SECCOMP']);
  });
});
