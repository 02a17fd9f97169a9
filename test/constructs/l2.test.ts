import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AppService, ExternalTrafficPolicy, PodDisruptionBudget, ReplicaSet, SessionAffinity, UnhealthyPodEvictionPolicy } from '../../src';
import { chart, find, Obj } from './helpers';

describe('ReplicaSet L2', () => {
  function replicaSet(c: ReturnType<typeof chart>, props: { replicas?: number } = {}): ReplicaSet {
    const rs = new ReplicaSet(c, 'rs', {
      metadata: { name: 'rs' },
      replicas: props.replicas,
      securityContext: { user: 1000, group: 1000 },
      containers: [
        {
          image: 'hashicorp/http-echo:1.0.0',
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(16) } },
          securityContext: { user: 1000, group: 1000, capabilities: { drop: ['ALL' as kplus.Capability] } },
        },
      ],
    });
    return rs;
  }

  test('renders apps/v1 ReplicaSet with a selector matching its pods', () => {
    const c = chart();
    replicaSet(c, { replicas: 3 });
    const objects = Testing.synth(c) as Obj[];
    const rs = find(objects, 'ReplicaSet', 'rs');
    expect(rs.apiVersion).toBe('apps/v1');
    expect(rs.spec.replicas).toBe(3);
    expect(rs.spec.minReadySeconds).toBe(0);
    expect(rs.spec.template.metadata.labels).toMatchObject(rs.spec.selector.matchLabels);
    expect(Object.keys(rs.spec.selector.matchLabels)).toHaveLength(1);
  });

  test('defaults to one replica and drops replicas once autoscaled', () => {
    const c = chart();
    const rs = replicaSet(c);
    expect(find(Testing.synth(c) as Obj[], 'ReplicaSet', 'rs').spec.replicas).toBe(1);
    new kplus.HorizontalPodAutoscaler(c, 'hpa', { target: rs, maxReplicas: 3 });
    const objects = Testing.synth(c) as Obj[];
    expect(find(objects, 'ReplicaSet', 'rs').spec).not.toHaveProperty('replicas');
    expect(objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs' });
  });

  test('a container added later reaches the manifest', () => {
    const c = chart();
    const rs = replicaSet(c);
    rs.addContainer({ name: 'late', image: 'busybox:1.36.1' });
    expect(find(Testing.synth(c) as Obj[], 'ReplicaSet', 'rs').spec.template.spec.containers.map((x: { name: string }) => x.name)).toContain('late');
  });

  test('fails when replicas is negative', () => {
    expect(() => replicaSet(chart(), { replicas: -1 })).toThrow(/^LB_PROPS_INVALID: test\/rs: replicas is invalid \(got -1\)/);
  });
});

describe('PodDisruptionBudget L2', () => {
  test('renders policy/v1 with maxUnavailable 1 and AlwaysAllow by default', () => {
    const c = chart();
    const pdb = new PodDisruptionBudget(c, 'pdb', { metadata: { name: 'pdb' }, selector: { app: 'x' } });
    expect(pdb.maxUnavailable).toBe(1);
    const o = find(Testing.synth(c) as Obj[], 'PodDisruptionBudget', 'pdb');
    expect(o.apiVersion).toBe('policy/v1');
    expect(o.spec).toEqual({ selector: { matchLabels: { app: 'x' } }, maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
  });

  test('takes minAvailable as a percentage and the eviction policy', () => {
    const c = chart();
    new PodDisruptionBudget(c, 'pdb', {
      metadata: { name: 'pdb' },
      selector: { app: 'x' },
      minAvailable: '60%',
      unhealthyPodEvictionPolicy: UnhealthyPodEvictionPolicy.IF_HEALTHY_BUDGET,
    });
    expect(find(Testing.synth(c) as Obj[], 'PodDisruptionBudget', 'pdb').spec).toEqual({
      selector: { matchLabels: { app: 'x' } },
      minAvailable: '60%',
      unhealthyPodEvictionPolicy: 'IfHealthyBudget',
    });
  });

  test('fails when maxUnavailable is a malformed percentage', () => {
    expect(() => new PodDisruptionBudget(chart(), 'pdb', { selector: { a: 'b' }, maxUnavailable: '120%' })).toThrow(
      /maxUnavailable is invalid \(got "120%"\); fix: use an integer >= 0 or a percentage/,
    );
  });
});

describe('AppService L2', () => {
  test('renders the fields cdk8s-plus lacks, and ports added later', () => {
    const c = chart();
    const svc = new AppService(c, 'svc', {
      metadata: { name: 'svc' },
      selector: { app: 'x' },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      type: kplus.ServiceType.LOAD_BALANCER,
      sessionAffinity: SessionAffinity.CLIENT_IP,
      sessionAffinityTimeout: Duration.minutes(5),
      externalTrafficPolicy: ExternalTrafficPolicy.LOCAL,
    });
    svc.addPort({ name: 'grpc', port: 9090, targetPort: 9090, nodePort: 31000 });
    const o = find(Testing.synth(c) as Obj[], 'Service', 'svc');
    expect(o.spec).toEqual({
      type: 'LoadBalancer',
      selector: { app: 'x' },
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'grpc', port: 9090, targetPort: 9090, nodePort: 31000, protocol: 'TCP' },
      ],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } },
      externalTrafficPolicy: 'Local',
      publishNotReadyAddresses: false,
    });
  });

  test('a headless ClusterIP Service has clusterIP None and no traffic policy', () => {
    const c = chart();
    new AppService(c, 'svc', { metadata: { name: 'svc' }, selector: { app: 'x' }, ports: [{ name: 'http', port: 80, targetPort: 80 }], headless: true });
    const o = find(Testing.synth(c) as Obj[], 'Service', 'svc');
    expect(o.spec.clusterIP).toBe('None');
    expect(o.spec).not.toHaveProperty('externalTrafficPolicy');
  });

  test('fails, rather than dropping it, when a ClusterIP Service is given a traffic policy', () => {
    const props = { selector: { app: 'x' }, ports: [{ name: 'http', port: 80, targetPort: 80 }], headless: true, externalTrafficPolicy: ExternalTrafficPolicy.LOCAL };
    expect(() => new AppService(chart(), 'svc', props)).toThrow(/^LB_PROPS_INVALID: test\/svc: externalTrafficPolicy is invalid \(got "Local"\); fix: it applies to type NodePort or LoadBalancer only/);
  });
});

test('the L2 objects validate against the 1.27 schema', () => {
  const c = chart();
  new PodDisruptionBudget(c, 'pdb', { metadata: { name: 'pdb' }, selector: { app: 'x' } });
  new AppService(c, 'svc', { metadata: { name: 'svc' }, selector: { app: 'x' }, ports: [{ name: 'http', port: 80, targetPort: 80 }] });
  new kplus.Deployment(c, 'd', {
    podMetadata: { labels: { app: 'x' } },
    securityContext: { user: 1000, group: 1000 },
    containers: [
      {
        image: 'hashicorp/http-echo:1.0.0',
        ports: [{ number: 80 }],
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        resources: { cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(16) } },
        securityContext: { user: 1000, group: 1000, capabilities: { drop: ['ALL' as kplus.Capability] } },
      },
    ],
  });
  const { validateManifests } = jest.requireActual('../../src/testing') as typeof import('../../src/testing');
  const problems = validateManifests(Testing.synth(c)).filter((p) => p.rule === 'schema');
  expect(problems).toEqual([]);
});
