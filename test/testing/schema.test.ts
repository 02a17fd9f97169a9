import { assertValidManifests, ManifestValidationError, validateManifests } from '../../src/testing';
import { baseline, broken, Case, expectProblems, webContainer } from './helpers';

describe('validateManifests: the baseline', () => {
  test('passes every rule', () => {
    expect(validateManifests(baseline())).toEqual([]);
    expect(() => assertValidManifests(baseline())).not.toThrow();
  });
});

const schemaCases: Case[] = [
  {
    name: 'flags a field of the wrong type, with its path and value',
    set: () => broken('Deployment', 'web', (o) => (o.spec.template.spec.containers[0].ports[0].containerPort = '8080')),
    problems: [
      { code: 'SCHEMA_INVALID', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].ports[0].containerPort', message: 'must be integer', value: '8080' },
      { code: 'SERVICE_TARGET_PORT_MISSING', object: 'Service default/web-headless', path: 'spec.ports[0].targetPort', message: 'no container port 8080/TCP on the pods of Deployment default/web', value: 8080 },
    ],
  },
  {
    name: 'flags a missing required field',
    set: () => broken('Deployment', 'web', (o) => delete o.spec.template.spec.containers[0].name),
    problems: [
      { code: 'SCHEMA_INVALID', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].name', message: 'is required' },
      { code: 'NAME_INVALID', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].name', message: 'DNS-1123 label' },
    ],
  },
  {
    name: 'flags a value outside an enum',
    set: () => broken('Service', 'web', (o) => (o.spec.ports[0].protocol = 'HTTP')),
    problems: [
      { code: 'SCHEMA_INVALID', object: 'Service default/web', path: 'spec.ports[0].protocol', message: 'must be one of ["SCTP","TCP","UDP"]', value: 'HTTP' },
      { code: 'SERVICE_TARGET_PORT_MISSING', object: 'Service default/web', path: 'spec.ports[0].targetPort', message: 'no container port http/HTTP' },
    ],
  },
  {
    name: 'flags an int-or-string field that is neither, once',
    set: () => broken('Service', 'web', (o) => (o.spec.ports[0].targetPort = true)),
    problems: [
      { code: 'SCHEMA_INVALID', object: 'Service default/web', path: 'spec.ports[0].targetPort', message: 'must be an integer or a string', value: true },
      { code: 'SERVICE_TARGET_PORT_MISSING', object: 'Service default/web', path: 'spec.ports[0].targetPort', message: 'no container port true/TCP' },
    ],
  },
  {
    name: 'flags a misspelt field that the schema would silently accept',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).securityContext.readOnlyRootFileSystem = true)),
    problems: [
      { code: 'SCHEMA_UNKNOWN_FIELD', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem', message: 'is not a field of the 1.27 schema' },
    ],
  },
  {
    name: 'flags a field at the wrong level',
    set: () => broken('Service', 'gateway', (o) => (o.sessionAffinity = 'ClientIP')),
    problems: [{ code: 'SCHEMA_UNKNOWN_FIELD', object: 'Service default/gateway', path: 'sessionAffinity', message: 'not a field' }],
  },
  {
    name: 'flags a field that the bundled schema knows but Kubernetes 1.27 does not',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).securityContext.appArmorProfile = { type: 'RuntimeDefault' })),
    problems: [
      { code: 'SCHEMA_UNKNOWN_FIELD', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].securityContext.appArmorProfile', message: 'was added in Kubernetes 1.30' },
    ],
  },
  {
    name: 'flags a sidecar-style init container restartPolicy (added in 1.28)',
    set: () => broken('Deployment', 'gateway', (o) => (o.spec.template.spec.initContainers = [{ ...o.spec.template.spec.containers[0], name: 'init', ports: undefined, restartPolicy: 'Always' }])),
    problems: [
      { code: 'SCHEMA_UNKNOWN_FIELD', object: 'Deployment default/gateway', path: 'spec.template.spec.initContainers[0].restartPolicy', message: 'was added in Kubernetes 1.28' },
    ],
  },
  {
    name: 'flags an unknown kind',
    set: () => [...baseline(), { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'web' }, spec: {} }],
    problems: [
      { code: 'UNKNOWN_KIND', object: 'ServiceMonitor default/web', path: 'kind', message: 'not a Kubernetes 1.27 kind', value: 'monitoring.coreos.com/v1/ServiceMonitor' },
    ],
  },
  {
    name: 'flags a kind under the wrong apiVersion',
    set: () => broken('Deployment', 'gateway', (o) => (o.apiVersion = 'extensions/v1beta1')),
    problems: [{ code: 'UNKNOWN_KIND', object: 'Deployment default/gateway', path: 'kind', message: 'extensions/v1beta1/Deployment is not served by Kubernetes 1.27' }],
  },
  {
    name: 'flags an entry that is not an object',
    set: () => [...baseline(), 'kind: Deployment'],
    problems: [{ code: 'NOT_AN_OBJECT', object: '#16', path: '', message: 'must be a JSON object', value: 'kind: Deployment' }],
  },
  {
    name: 'flags a missing metadata.name',
    set: () => broken('ConfigMap', 'web-config', (o) => delete o.metadata.name),
    problems: [
      { code: 'NAME_INVALID', object: 'ConfigMap #1', path: 'metadata.name', message: 'is required' },
      { code: 'REFERENCE_MISSING', object: 'Deployment default/web', path: 'spec.template.spec.volumes[0].configMap.name', message: 'names no ConfigMap in namespace default', value: 'web-config' },
      { code: 'REFERENCE_MISSING', object: 'Deployment default/web', path: 'spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.name', message: 'options.external.configMaps', value: 'web-config' },
    ],
  },
  {
    name: 'flags an object name that is not a DNS-1123 subdomain',
    set: () => broken('ServiceAccount', 'web', (o) => (o.metadata.name = 'Web_SA')),
    problems: [
      { code: 'NAME_INVALID', object: 'ServiceAccount default/Web_SA', path: 'metadata.name', message: 'DNS-1123 subdomain', value: 'Web_SA' },
      { code: 'REFERENCE_MISSING', object: 'Deployment default/web', path: 'spec.template.spec.serviceAccountName', message: 'names no ServiceAccount', value: 'web' },
    ],
  },
  {
    name: 'flags a Service name that starts with a digit',
    set: () => [...baseline(), { apiVersion: 'v1', kind: 'Service', metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } }],
    problems: [{ code: 'NAME_INVALID', object: 'Service default/1web', path: 'metadata.name', message: 'DNS-1035 label', value: '1web' }],
  },
  {
    name: 'flags a label value that is too long',
    set: () => broken('Deployment', 'web', (o) => (o.metadata.labels['app.kubernetes.io/name'] = 'x'.repeat(64))),
    problems: [{ code: 'NAME_INVALID', object: 'Deployment default/web', path: 'metadata.labels["app.kubernetes.io/name"]', message: 'at most 63' }],
  },
  {
    name: 'flags a ConfigMap data key Kubernetes refuses',
    set: () => broken('ConfigMap', 'web-config', (o) => (o.data['bad key'] = 'x')),
    problems: [{ code: 'NAME_INVALID', object: 'ConfigMap default/web-config', path: 'data["bad key"]', message: 'valid data key', value: 'bad key' }],
  },
  {
    name: 'flags a container port name with "--", which the constructs refuse by the same rule',
    set: () => broken('Deployment', 'gateway', (o) => (o.spec.template.spec.containers[0].ports[0].name = 'my--http')),
    problems: [
      { code: 'NAME_INVALID', object: 'Deployment default/gateway', path: 'spec.template.spec.containers[0].ports[0].name', message: 'IANA service name', value: 'my--http' },
    ],
  },
  {
    name: 'flags a container port name longer than 15 characters',
    set: () => broken('Deployment', 'gateway', (o) => (o.spec.template.spec.containers[0].ports[0].name = 'http-metrics-admin')),
    problems: [
      { code: 'NAME_INVALID', object: 'Deployment default/gateway', path: 'spec.template.spec.containers[0].ports[0].name', message: 'IANA service name', value: 'http-metrics-admin' },
    ],
  },
];

describe('schema rules', () => {
  test.each(schemaCases)('$name', ({ set, problems }) => {
    expectProblems(validateManifests(set()), problems);
  });

  test('allows a listed kind without a schema', () => {
    const set = [...baseline(), { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'web' }, spec: {} }];
    expect(validateManifests(set, { allowKinds: ['monitoring.coreos.com/v1/ServiceMonitor'] })).toEqual([]);
    expect(validateManifests(set, { allowKinds: ['ServiceMonitor'] })).toEqual([]);
  });

  test('leaves unknown fields alone when asked', () => {
    const set = broken('Service', 'gateway', (o) => (o.sessionAffinity = 'ClientIP'));
    expect(validateManifests(set, { unknownFields: false })).toEqual([]);
  });

  test('does not flag the keys of free-form maps as unknown fields', () => {
    const set = broken('ConfigMap', 'web-config', (o) => {
      o.data['any-key.yaml'] = 'x';
      o.metadata.annotations = { 'example.com/anything': 'y' };
    });
    expect(validateManifests(set)).toEqual([]);
  });
});

describe('assertValidManifests', () => {
  test('fails with one error that lists every problem with kind/name, path and value', () => {
    const set = broken('Deployment', 'web', (o) => {
      webContainer(o).image = 'web:latest';
      webContainer(o).securityContext.allowPrivilegeEscalation = true;
    });
    let error: unknown;
    try {
      assertValidManifests(set);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ManifestValidationError);
    const e = error as ManifestValidationError;
    expect(e.code).toBe('MANIFESTS_INVALID');
    expect(e.problems).toHaveLength(2);
    expect(e.message).toBe(
      '2 problems in the manifests:\n' +
        '  [PSS_PRIVILEGE_ESCALATION] Deployment default/web spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true: must be false\n' +
        '  [HARDEN_IMAGE_NOT_PINNED] Deployment default/web spec.template.spec.containers[0].image = "web:latest": must carry a version tag other than latest, or a digest (@sha256:...)',
    );
  });

  test('drops ignored codes', () => {
    const set = broken('Deployment', 'web', (o) => (webContainer(o).image = 'web:latest'));
    expect(() => assertValidManifests(set, { ignore: ['HARDEN_IMAGE_NOT_PINNED'] })).not.toThrow();
  });
});
