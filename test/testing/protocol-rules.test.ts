/**
 * What the validator knows of the objects protocols and TLS bring: Service port `appProtocol`, Ingress
 * (networking.k8s.io/v1) fields and backends, `kubernetes.io/tls` Secrets, and the keys a volume's items name.
 */
import { validateManifests } from '../../src/testing';
import { baseline, broken, Case, expectProblems, Obj, web } from './helpers';

/** An Ingress to the baseline's Service web, port 80. */
function ingress(change: (o: Obj) => void = () => {}): Obj {
  const o: Obj = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' } },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: ['web.example.com'], secretName: 'web-cert' }],
      rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
  };
  change(o);
  return o;
}

const TLS_SECRET: Obj = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'web-cert' },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': Buffer.from('cert-chain-pem').toString('base64'), 'tls.key': Buffer.from('private-key-pem').toString('base64') },
};

const withObjects = (...extra: Obj[]): Obj[] => [...baseline(), ...extra];

const cases: Case[] = [
  {
    name: 'flags an appProtocol that is not a qualified name',
    set: () => broken('Service', 'web', (o) => (o.spec.ports[0].appProtocol = 'kubernetes.io/h2c over tls')),
    problems: [{ code: 'SERVICE_PORT_INVALID', object: 'Service default/web', path: 'spec.ports[0].appProtocol', message: 'must be a qualified name', value: 'kubernetes.io/h2c over tls' }],
  },
  {
    name: 'flags an Ingress path that is not absolute, and one with "//"',
    set: () => withObjects(TLS_SECRET, ingress((o) => o.spec.rules[0].http.paths.push({ ...o.spec.rules[0].http.paths[0], path: 'api' }, { ...o.spec.rules[0].http.paths[0], path: '/a//b' }))),
    problems: [
      { code: 'INGRESS_INVALID', object: 'Ingress default/web', path: 'spec.rules[0].http.paths[1].path', message: 'must be an absolute path', value: 'api' },
      { code: 'INGRESS_INVALID', object: 'Ingress default/web', path: 'spec.rules[0].http.paths[2].path', message: 'must not contain "//"', value: '/a//b' },
    ],
  },
  {
    name: 'flags an Ingress host that is an IP address, and a TLS host with a capital',
    set: () => withObjects(TLS_SECRET, ingress((o) => {
      o.spec.rules[0].host = '10.1.2.3';
      o.spec.tls[0].hosts = ['Web.example.com'];
    })),
    problems: [
      { code: 'INGRESS_INVALID', object: 'Ingress default/web', path: 'spec.rules[0].host', message: 'must be a DNS name, not an IP address', value: '10.1.2.3' },
      { code: 'INGRESS_INVALID', object: 'Ingress default/web', path: 'spec.tls[0].hosts[0]', message: 'must be a DNS-1123 subdomain', value: 'Web.example.com' },
    ],
  },
  {
    name: 'flags an Ingress backend port that gives both name and number',
    set: () => withObjects(TLS_SECRET, ingress((o) => (o.spec.rules[0].http.paths[0].backend.service.port = { number: 80, name: 'http' }))),
    problems: [{ code: 'INGRESS_INVALID', object: 'Ingress default/web', path: 'spec.rules[0].http.paths[0].backend.service.port', message: 'give exactly one of name and number' }],
  },
  {
    name: 'flags an Ingress backend Service that is not in the set, and a port the Service lacks',
    set: () => withObjects(TLS_SECRET, ingress((o) => {
      const path = o.spec.rules[0].http.paths[0];
      o.spec.rules[0].http.paths.push({ ...path, path: '/v2', backend: { service: { name: 'web-v2', port: { number: 80 } } } });
      path.backend.service.port = { number: 8443 };
    })),
    problems: [
      { code: 'INGRESS_BACKEND_MISSING', object: 'Ingress default/web', path: 'spec.rules[0].http.paths[0].backend.service.port', message: 'Service default/web has no port 8443', value: 8443 },
      { code: 'INGRESS_BACKEND_MISSING', object: 'Ingress default/web', path: 'spec.rules[0].http.paths[1].backend.service.name', message: 'names no Service in namespace default', value: 'web-v2' },
    ],
  },
  {
    name: 'flags an Ingress TLS Secret that is neither in the set nor external',
    set: () => withObjects(ingress()),
    problems: [{ code: 'REFERENCE_MISSING', object: 'Ingress default/web', path: 'spec.tls[0].secretName', message: 'options.external.secrets', value: 'web-cert' }],
  },
  {
    name: 'flags a kubernetes.io/tls Secret without tls.key',
    set: () => withObjects(ingress(), { ...TLS_SECRET, data: { 'tls.crt': TLS_SECRET.data['tls.crt'] } }),
    problems: [{ code: 'SECRET_INVALID', object: 'Secret default/web-cert', path: 'data.tls.key', message: 'must have tls.key' }],
  },
  {
    name: 'flags a volume item naming a key its ConfigMap lacks',
    set: () => broken('Deployment', 'web', (o) => (web(o).volumes[0].configMap.items = [{ key: 'ca.crt', path: 'ca.crt' }])),
    problems: [{ code: 'REFERENCE_KEY_MISSING', object: 'Deployment default/web', path: 'spec.template.spec.volumes[0].configMap.items[0].key', message: 'ConfigMap default/web-config has no key "ca.crt"', value: 'ca.crt' }],
  },
];

describe('validateManifests: protocols, TLS and Ingress', () => {
  test.each(cases)('$name', ({ set, problems }) => {
    expectProblems(validateManifests(set()), problems);
  });

  test('passes an Ingress to an existing Service port with its TLS Secret, and an h2c appProtocol', () => {
    const set = withObjects(TLS_SECRET, ingress());
    set.find((o) => o.kind === 'Service' && o.metadata.name === 'web')!.spec.ports[0].appProtocol = 'kubernetes.io/h2c';
    expect(validateManifests(set)).toEqual([]);
  });

  test('passes an Ingress whose TLS Secret is listed as external', () => {
    expect(validateManifests(withObjects(ingress()), { external: { secrets: ['web-cert'] } })).toEqual([]);
  });
});
