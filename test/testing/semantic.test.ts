import { validateManifests } from '../../src/testing';
import { baseline, broken, Case, expectProblems, web, webContainer } from './helpers';

const cases: Case[] = [
  {
    name: 'flags a workload whose selector does not match its pod template labels',
    set: () => broken('Deployment', 'web', (o) => (o.spec.selector.matchLabels = { app: 'web', tier: 'frontend' })),
    problems: [
      { code: 'SELECTOR_MISMATCH', object: 'Deployment default/web', path: 'spec.selector', message: 'does not match the pod template labels {"app":"web","tier":"backend"}', value: { matchLabels: { app: 'web', tier: 'frontend' } } },
    ],
  },
  {
    name: 'flags a selector whose matchExpressions exclude the template',
    set: () => broken('Deployment', 'gateway', (o) => (o.spec.selector.matchExpressions[0].operator = 'NotIn')),
    problems: [{ code: 'SELECTOR_MISMATCH', object: 'Deployment default/gateway', path: 'spec.selector', message: 'does not match the pod template labels' }],
  },
  {
    name: 'flags an empty workload selector',
    set: () => broken('StatefulSet', 'db', (o) => (o.spec.selector = {})),
    problems: [{ code: 'SELECTOR_EMPTY', object: 'StatefulSet default/db', path: 'spec.selector', message: 'an empty selector is invalid for a StatefulSet' }],
  },
  {
    name: 'flags a Job with a manual selector that misses its template',
    set: () => broken('Job', 'migrate', (o) => {
      o.spec.manualSelector = true;
      o.spec.selector = { matchLabels: { job: 'migrate' } };
    }),
    problems: [{ code: 'SELECTOR_MISMATCH', object: 'Job default/migrate', path: 'spec.selector', message: 'does not match the pod template labels {}' }],
  },
  {
    name: 'flags a Service that selects no pods',
    set: () => broken('Service', 'web', (o) => (o.spec.selector = { app: 'wbe' })),
    problems: [{ code: 'SERVICE_SELECTS_NOTHING', object: 'Service default/web', path: 'spec.selector', message: 'selects no pod template in namespace default', value: { app: 'wbe' } }],
  },
  {
    name: 'flags a Service whose pods live in another namespace',
    set: () => broken('Service', 'gateway', (o) => (o.metadata.namespace = 'edge')),
    problems: [{ code: 'SERVICE_SELECTS_NOTHING', object: 'Service edge/gateway', path: 'spec.selector', message: 'namespace edge' }],
  },
  {
    name: 'flags a named targetPort that no container declares',
    set: () => broken('Service', 'web', (o) => (o.spec.ports[0].targetPort = 'https')),
    problems: [{ code: 'SERVICE_TARGET_PORT_MISSING', object: 'Service default/web', path: 'spec.ports[0].targetPort', message: 'no container port https/TCP on the pods of Deployment default/web', value: 'https' }],
  },
  {
    name: 'flags a numeric targetPort that no container declares',
    set: () => broken('Service', 'gateway', (o) => (o.spec.ports[0].targetPort = 8443)),
    problems: [{ code: 'SERVICE_TARGET_PORT_MISSING', object: 'Service default/gateway', path: 'spec.ports[0].targetPort', message: 'no container port 8443/TCP', value: 8443 }],
  },
  {
    name: 'flags a Service port without targetPort whose port is not a container port',
    set: () => broken('Service', 'db', (o) => (o.spec.ports[0].port = 5433)),
    problems: [{ code: 'SERVICE_TARGET_PORT_MISSING', object: 'Service default/db', path: 'spec.ports[0].port', message: 'no container port 5433/TCP on the pods of StatefulSet default/db', value: 5433 }],
  },
  {
    name: 'flags a targetPort whose protocol differs from the container port',
    set: () => broken('Service', 'web', (o) => (o.spec.ports[0].protocol = 'UDP')),
    problems: [{ code: 'SERVICE_TARGET_PORT_MISSING', object: 'Service default/web', path: 'spec.ports[0].targetPort', message: 'no container port http/UDP' }],
  },
  {
    name: 'flags a StatefulSet whose serviceName is not headless',
    set: () => broken('Service', 'db', (o) => delete o.spec.clusterIP),
    problems: [{ code: 'STATEFULSET_SERVICE_NOT_HEADLESS', object: 'StatefulSet default/db', path: 'spec.serviceName', message: 'must name a headless Service (clusterIP: None), but Service default/db has clusterIP undefined', value: 'db' }],
  },
  {
    name: 'flags a StatefulSet whose serviceName names no Service',
    set: () => broken('StatefulSet', 'db', (o) => (o.spec.serviceName = 'db-headless')),
    problems: [{ code: 'STATEFULSET_SERVICE_NOT_HEADLESS', object: 'StatefulSet default/db', path: 'spec.serviceName', message: 'names no Service in namespace default', value: 'db-headless' }],
  },
  {
    name: 'flags a PodDisruptionBudget that selects no pods',
    set: () => broken('PodDisruptionBudget', 'web', (o) => (o.spec.selector.matchLabels.app = 'api')),
    problems: [{ code: 'PDB_SELECTS_NOTHING', object: 'PodDisruptionBudget default/web', path: 'spec.selector', message: 'selects no pod template' }],
  },
  {
    name: 'flags an HPA whose target does not exist',
    set: () => broken('HorizontalPodAutoscaler', 'web', (o) => (o.spec.scaleTargetRef.kind = 'StatefulSet')),
    problems: [{ code: 'HPA_TARGET_MISSING', object: 'HorizontalPodAutoscaler default/web', path: 'spec.scaleTargetRef', message: 'names no StatefulSet in namespace default', value: 'StatefulSet/web' }],
  },
  {
    name: 'flags a workload that sets replicas while an HPA scales it',
    set: () => broken('Deployment', 'web', (o) => (o.spec.replicas = 3)),
    problems: [{ code: 'HPA_TARGET_SETS_REPLICAS', object: 'Deployment default/web', path: 'spec.replicas', message: 'is set while HorizontalPodAutoscaler default/web scales this Deployment', value: 3 }],
  },
  {
    name: 'flags a missing ServiceAccount',
    set: () => broken('Deployment', 'web', (o) => (web(o).serviceAccountName = 'web-runner')),
    problems: [{ code: 'REFERENCE_MISSING', object: 'Deployment default/web', path: 'spec.template.spec.serviceAccountName', message: 'names no ServiceAccount in namespace default', value: 'web-runner' }],
  },
  {
    name: 'flags a missing Secret behind envFrom',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).envFrom[0].secretRef.name = 'web-env')),
    problems: [{ code: 'REFERENCE_MISSING', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].envFrom[0].secretRef.name', message: 'options.external.secrets', value: 'web-env' }],
  },
  {
    name: 'flags a missing Secret behind env valueFrom in a Job',
    set: () => broken('Job', 'migrate', (o) => (webContainer(o).env[0].valueFrom.secretKeyRef.name = 'db-secret')),
    problems: [{ code: 'REFERENCE_MISSING', object: 'Job default/migrate', path: 'spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name', message: 'names no Secret', value: 'db-secret' }],
  },
  {
    name: 'flags a ConfigMap key that does not exist',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).env[0].valueFrom.configMapKeyRef.key = 'log_level')),
    problems: [{ code: 'REFERENCE_KEY_MISSING', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.name', message: 'ConfigMap default/web-config has no key "log_level"', value: 'web-config' }],
  },
  {
    name: 'flags a missing ConfigMap volume',
    set: () => broken('Deployment', 'web', (o) => (web(o).volumes[0].configMap.name = 'web-cfg')),
    problems: [{ code: 'REFERENCE_MISSING', object: 'Deployment default/web', path: 'spec.template.spec.volumes[0].configMap.name', message: 'names no ConfigMap', value: 'web-cfg' }],
  },
  {
    name: 'flags a missing PersistentVolumeClaim in a CronJob',
    set: () => broken('PersistentVolumeClaim', 'backups', (o) => (o.metadata.name = 'backup')),
    problems: [{ code: 'REFERENCE_MISSING', object: 'CronJob default/backup', path: 'spec.jobTemplate.spec.template.spec.volumes[0].persistentVolumeClaim.claimName', message: 'names no PersistentVolumeClaim', value: 'backups' }],
  },
  {
    name: 'flags a missing image pull Secret',
    set: () => broken('Deployment', 'gateway', (o) => (web(o).imagePullSecrets = [{ name: 'regcred' }])),
    problems: [{ code: 'REFERENCE_MISSING', object: 'Deployment default/gateway', path: 'spec.template.spec.imagePullSecrets[0].name', message: 'names no Secret', value: 'regcred' }],
  },
  {
    name: 'flags a volumeMount that names no volume',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).volumeMounts[1].name = 'scratch')),
    problems: [{ code: 'VOLUME_MOUNT_UNDEFINED', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].volumeMounts[1].name', message: 'names no volume of the pod', value: 'scratch' }],
  },
  {
    name: 'flags a NetworkPolicy whose podSelector selects nothing',
    set: () => broken('NetworkPolicy', 'web', (o) => (o.spec.podSelector.matchLabels.app = 'api')),
    problems: [{ code: 'NETWORK_POLICY_SELECTS_NOTHING', object: 'NetworkPolicy default/web', path: 'spec.podSelector', message: 'selects no pod template' }],
  },
  {
    name: 'flags a NetworkPolicy peer that selects nothing',
    set: () => broken('NetworkPolicy', 'web', (o) => (o.spec.ingress[0].from[0].podSelector.matchLabels.app = 'gw')),
    problems: [{ code: 'NETWORK_POLICY_SELECTS_NOTHING', object: 'NetworkPolicy default/web', path: 'spec.ingress[0].from[0].podSelector', message: 'selects no pod template' }],
  },
  {
    name: 'flags two objects of the same kind, namespace and name',
    set: () => [...baseline(), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config' }, data: { LOG_LEVEL: 'debug' } }],
    problems: [{ code: 'DUPLICATE_OBJECT', object: 'ConfigMap default/web-config', path: 'metadata.name', message: 'another ConfigMap in namespace default has this name', value: 'web-config' }],
  },
];

describe('semantic rules', () => {
  test.each(cases)('$name', ({ set, problems }) => {
    expectProblems(validateManifests(set()), problems);
  });

  test('accepts references marked optional', () => {
    const set = broken('Deployment', 'web', (o) => {
      webContainer(o).envFrom[0].secretRef = { name: 'maybe', optional: true };
      web(o).volumes[0].configMap = { name: 'maybe', optional: true };
    });
    expect(validateManifests(set)).toEqual([]);
  });

  test('accepts references the caller lists as external', () => {
    const set = broken('Deployment', 'web', (o) => {
      webContainer(o).envFrom[0].secretRef.name = 'shared-env';
      web(o).serviceAccountName = 'platform';
    });
    expect(validateManifests(set, { external: { secrets: ['shared-env'], serviceAccounts: ['platform'] } })).toEqual([]);
  });

  test('accepts the same name in two namespaces, and the default ServiceAccount', () => {
    const set = [...baseline(), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'other' } }];
    set[3].spec.template.spec.serviceAccountName = 'default';
    expect(validateManifests(set)).toEqual([]);
  });

  test('accepts a NetworkPolicy peer in another namespace, which the set cannot see', () => {
    const set = broken('NetworkPolicy', 'web', (o) => {
      o.spec.ingress[0].from[0] = { namespaceSelector: { matchLabels: { team: 'edge' } }, podSelector: { matchLabels: { app: 'ingress' } } };
    });
    expect(validateManifests(set)).toEqual([]);
  });
});
