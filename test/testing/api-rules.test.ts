import { validateManifests } from '../../src/testing';
import { baseline, broken, Case, expectProblems, webContainer } from './helpers';

// Rules the API server checks in code (k8s.io/kubernetes pkg/apis/core/validation), which the OpenAPI schema cannot say.
const cases: Case[] = [
  {
    name: 'flags a nodePort on a ClusterIP Service',
    set: () => broken('Service', 'web', (o) => (o.spec.ports[0].nodePort = 30080)),
    problems: [{ code: 'SERVICE_FIELD_FORBIDDEN', object: 'Service default/web', path: 'spec.ports[0].nodePort', message: 'may not be used when type is "ClusterIP"', value: 30080 }],
  },
  {
    name: 'flags a nodePort outside 30000-32767',
    set: () => broken('Service', 'gateway', (o) => (o.spec.ports[0].nodePort = 80)),
    problems: [{ code: 'SERVICE_NODE_PORT_RANGE', object: 'Service default/gateway', path: 'spec.ports[0].nodePort', message: 'outside the default --service-node-port-range 30000-32767', value: 80 }],
  },
  {
    name: 'flags externalTrafficPolicy on a ClusterIP Service',
    set: () => broken('Service', 'web', (o) => (o.spec.externalTrafficPolicy = 'Local')),
    problems: [{ code: 'SERVICE_FIELD_FORBIDDEN', object: 'Service default/web', path: 'spec.externalTrafficPolicy', message: 'may only be set for externally-accessible services', value: 'Local' }],
  },
  {
    name: 'flags a sessionAffinity timeout over 86400 s',
    set: () => broken('Service', 'web', (o) => {
      o.spec.sessionAffinity = 'ClientIP';
      o.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 86401 } };
    }),
    problems: [{ code: 'SESSION_AFFINITY_INVALID', object: 'Service default/web', path: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds', message: 'must be in 1..86400', value: 86401 }],
  },
  {
    name: 'flags a sessionAffinityConfig without ClientIP affinity',
    set: () => broken('Service', 'web', (o) => (o.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 600 } })),
    problems: [{ code: 'SESSION_AFFINITY_INVALID', object: 'Service default/web', path: 'spec.sessionAffinityConfig', message: 'must not be set when sessionAffinity is None' }],
  },
  {
    name: 'flags two Service ports with the same name, and a missing name among several',
    set: () => broken('Service', 'web', (o) => o.spec.ports.push({ name: 'http', port: 81, targetPort: 'http' }, { port: 82, targetPort: 'http' })),
    problems: [
      { code: 'SERVICE_PORT_INVALID', object: 'Service default/web', path: 'spec.ports[1].name', message: 'duplicate port name', value: 'http' },
      { code: 'SERVICE_PORT_INVALID', object: 'Service default/web', path: 'spec.ports[2].name', message: 'is required when a Service has more than one port' },
    ],
  },
  {
    name: 'flags two Service ports with the same number and protocol',
    set: () => broken('Service', 'web', (o) => o.spec.ports.push({ name: 'alt', port: 80, targetPort: 'http' })),
    problems: [{ code: 'SERVICE_PORT_INVALID', object: 'Service default/web', path: 'spec.ports[1]', message: 'duplicate port 80/TCP', value: 80 }],
  },
  {
    name: 'flags a Service port name that is not a DNS-1123 label',
    set: () => broken('Service', 'web', (o) => (o.spec.ports[0].name = 'HTTP_web')),
    problems: [{ code: 'SERVICE_PORT_INVALID', object: 'Service default/web', path: 'spec.ports[0].name', message: 'DNS-1123 label', value: 'HTTP_web' }],
  },
  {
    name: 'flags a named targetPort that is not an IANA service name',
    set: () => broken('Service', 'web', (o) => (o.spec.ports[0].targetPort = 'http--x')),
    problems: [
      { code: 'SERVICE_PORT_INVALID', object: 'Service default/web', path: 'spec.ports[0].targetPort', message: 'IANA service name', value: 'http--x' },
      { code: 'SERVICE_TARGET_PORT_MISSING', object: 'Service default/web', path: 'spec.ports[0].targetPort', message: 'no container port http--x/TCP' },
    ],
  },
  {
    name: 'flags a headless Service of type NodePort',
    set: () => broken('Service', 'web-headless', (o) => (o.spec.type = 'NodePort')),
    problems: [{ code: 'SERVICE_FIELD_FORBIDDEN', object: 'Service default/web-headless', path: 'spec.clusterIP', message: 'may not be "None" for a NodePort Service', value: 'None' }],
  },
  {
    name: 'flags a Service port out of range',
    set: () => broken('Service', 'web', (o) => (o.spec.ports[0].port = 0)),
    problems: [{ code: 'SERVICE_PORT_INVALID', object: 'Service default/web', path: 'spec.ports[0].port', message: 'must be between 1 and 65535', value: 0 }],
  },
  {
    name: 'flags two container ports with the same name in one container',
    set: () => broken('Deployment', 'web', (o) => webContainer(o).ports.push({ name: 'http', containerPort: 9090 })),
    problems: [{ code: 'CONTAINER_PORT_INVALID', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].ports[1].name', message: 'duplicate port name', value: 'http' }],
  },
  {
    name: 'flags a container port out of range',
    set: () => broken('Deployment', 'web', (o) => webContainer(o).ports.push({ name: 'metrics', containerPort: 70000 })),
    problems: [{ code: 'CONTAINER_PORT_INVALID', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].ports[1].containerPort', message: 'must be between 1 and 65535', value: 70000 }],
  },
  {
    name: 'flags a Secret key with a space',
    set: () => broken('Secret', 'web-secret', (o) => (o.stringData['api key'] = 'x')),
    problems: [{ code: 'NAME_INVALID', object: 'Secret default/web-secret', path: 'stringData["api key"]', message: 'must be a valid data key', value: 'api key' }],
  },
  {
    name: 'flags a Service name over 63 characters, where a ConfigMap may have 253',
    set: () => {
      const set = broken('Service', 'web-headless', (o) => (o.metadata.name = `w${'e'.repeat(63)}`));
      set.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${'e'.repeat(200)}` }, data: {} });
      return set;
    },
    problems: [{ code: 'NAME_INVALID', object: `Service default/w${'e'.repeat(63)}`, path: 'metadata.name', message: 'at most 63' }],
  },
  {
    name: 'flags a Job name over 63 characters, which its pods carry as a label value',
    set: () => broken('Job', 'migrate', (o) => (o.metadata.name = `m${'i'.repeat(63)}`)),
    problems: [{ code: 'NAME_INVALID', object: `Job default/m${'i'.repeat(63)}`, path: 'metadata.name', message: 'job-name label' }],
  },
  {
    name: 'flags a StatefulSet name over 52 characters, whose pods would get no controller-revision-hash label',
    set: () => {
      const set = broken('StatefulSet', 'db', (o) => (o.metadata.name = `d${'b'.repeat(52)}`));
      return set;
    },
    problems: [{ code: 'NAME_INVALID', object: `StatefulSet default/d${'b'.repeat(52)}`, path: 'metadata.name', message: 'at most 52' }],
  },
  {
    name: 'flags an invalid label key',
    set: () => broken('ConfigMap', 'web-config', (o) => (o.metadata.labels = { 'Bad Key/x': 'v' })),
    problems: [{ code: 'NAME_INVALID', object: 'ConfigMap default/web-config', path: 'metadata.labels["Bad Key/x"]', message: 'not a valid label key' }],
  },
  {
    name: 'flags a workload selector on a label that changes with each release (the selector is immutable)',
    set: () => broken('Deployment', 'web', (o) => {
      o.spec.selector.matchLabels['app.kubernetes.io/version'] = '1.2.3';
      o.spec.template.metadata.labels['app.kubernetes.io/version'] = '1.2.3';
    }),
    problems: [
      { code: 'SELECTOR_VOLATILE_LABEL', object: 'Deployment default/web', path: 'spec.selector.matchLabels["app.kubernetes.io/version"]', message: 'spec.selector is immutable', value: '1.2.3' },
    ],
  },
  {
    name: 'flags a selector on a content hash',
    set: () => broken('Deployment', 'gateway', (o) => {
      o.spec.selector = { matchLabels: { app: 'gateway', 'config-hash': 'a1b2c3d4e5' } };
      o.spec.template.metadata.labels['config-hash'] = 'a1b2c3d4e5';
    }),
    problems: [{ code: 'SELECTOR_VOLATILE_LABEL', object: 'Deployment default/gateway', path: 'spec.selector.matchLabels["config-hash"]', message: 'immutable' }],
  },
  {
    name: 'flags a rolling update with maxSurge and maxUnavailable both zero',
    set: () => broken('Deployment', 'web', (o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '0%', maxUnavailable: 0 } })),
    problems: [{ code: 'WORKLOAD_INVALID', object: 'Deployment default/web', path: 'spec.strategy.rollingUpdate.maxUnavailable', message: 'may not be 0 when maxSurge is 0', value: 0 }],
  },
  {
    name: 'flags a PodDisruptionBudget with both minAvailable and maxUnavailable',
    set: () => broken('PodDisruptionBudget', 'web', (o) => (o.spec.maxUnavailable = 1)),
    problems: [{ code: 'PDB_INVALID', object: 'PodDisruptionBudget default/web', path: 'spec', message: 'minAvailable and maxUnavailable cannot be both set' }],
  },
  {
    name: 'flags an HPA whose maxReplicas is below minReplicas, and a minReplicas of 0',
    set: () => {
      const set = broken('HorizontalPodAutoscaler', 'web', (o) => (o.spec.maxReplicas = 1));
      set.push({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'gateway' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' }, minReplicas: 0, maxReplicas: 3 } });
      return set;
    },
    problems: [
      { code: 'HPA_INVALID', object: 'HorizontalPodAutoscaler default/web', path: 'spec.maxReplicas', message: 'must be greater than or equal to minReplicas (2)', value: 1 },
      { code: 'HPA_TARGET_SETS_REPLICAS', object: 'Deployment default/gateway', path: 'spec.replicas', message: 'is set while' },
      { code: 'HPA_INVALID', object: 'HorizontalPodAutoscaler default/gateway', path: 'spec.minReplicas', message: 'must be greater than or equal to 1', value: 0 },
    ],
  },
];

describe('validateManifests: API server rules', () => {
  test.each(cases)('$name', ({ set, problems }) => {
    expectProblems(validateManifests(set()), problems);
  });

  test('passes a NodePort Service with an in-range nodePort, Local traffic policy and ClientIP affinity of one day', () => {
    const set = broken('Service', 'gateway', (o) => {
      o.spec.type = 'NodePort';
      o.spec.ports[0].nodePort = 32767;
      o.spec.externalTrafficPolicy = 'Local';
      o.spec.sessionAffinity = 'ClientIP';
      o.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 86400 } };
    });
    expect(validateManifests(set)).toEqual([]);
  });

  test('the baseline passes', () => {
    expect(validateManifests(baseline())).toEqual([]);
  });
});
