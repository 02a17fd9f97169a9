// A small, valid application written out by hand: every rule of the validator is exercised by breaking one
// copy of this set in one place.
/* eslint-disable @typescript-eslint/no-explicit-any */

export type Obj = Record<string, any>;

const restrictedContainer = (name: string, port?: { name: string; containerPort: number }): Obj => ({
  name,
  image: `registry.example.com/${name}:1.2.3`,
  ...(port ? { ports: [port] } : {}),
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  securityContext: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  },
});

const podSecurity = (): Obj => ({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });

export const SECRET_TOKEN = 'tok-9f8e7d6c5b4a';
export const SECRET_PASSWORD = 'hunter2-password';

export function baseline(): Obj[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' }, automountServiceAccountToken: false },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config' },
      immutable: true,
      data: { 'config.json': '{"listen":8080}', LOG_LEVEL: 'info' },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-secret' },
      type: 'Opaque',
      stringData: { token: SECRET_TOKEN },
      data: { password: Buffer.from(SECRET_PASSWORD).toString('base64') },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web', tier: 'backend' } },
          spec: {
            serviceAccountName: 'web',
            automountServiceAccountToken: false,
            securityContext: podSecurity(),
            containers: [
              {
                ...restrictedContainer('web', { name: 'http', containerPort: 8080 }),
                env: [
                  { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'LOG_LEVEL' } } },
                  { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web-secret', key: 'token' } } },
                  { name: 'MODE', value: 'production' },
                ],
                envFrom: [{ secretRef: { name: 'web-secret' } }],
                volumeMounts: [
                  { name: 'config', mountPath: '/etc/web' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: 'web-config' } },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web-headless' },
      spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 10,
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gateway' },
      spec: {
        replicas: 2,
        selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['gateway'] }] },
        template: {
          metadata: { labels: { app: 'gateway' } },
          spec: {
            securityContext: podSecurity(),
            containers: [restrictedContainer('proxy', { name: 'http', containerPort: 8080 })],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'gateway' },
      spec: { type: 'LoadBalancer', selector: { app: 'gateway' }, ports: [{ port: 443, targetPort: 8080 }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web' },
      spec: {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'gateway' } } }], ports: [{ port: 8080 }] }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        replicas: 1,
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: {
            securityContext: podSecurity(),
            containers: [
              {
                ...restrictedContainer('db', { name: 'pg', containerPort: 5432 }),
                image: 'postgres@sha256:' + 'a'.repeat(64),
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql' }],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'backups' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: {
          spec: {
            template: {
              metadata: { labels: { app: 'backup' } },
              spec: {
                restartPolicy: 'OnFailure',
                securityContext: podSecurity(),
                containers: [
                  {
                    ...restrictedContainer('backup'),
                    args: ['--target', '/backups'],
                    volumeMounts: [{ name: 'backups', mountPath: '/backups' }],
                  },
                ],
                volumes: [{ name: 'backups', persistentVolumeClaim: { claimName: 'backups' } }],
              },
            },
          },
        },
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate' },
      spec: {
        template: {
          spec: {
            restartPolicy: 'Never',
            securityContext: podSecurity(),
            containers: [
              {
                ...restrictedContainer('migrate'),
                env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'web-secret', key: 'password' } } }],
              },
            ],
          },
        },
      },
    },
  ];
}

/** A fresh baseline with one object changed in place. */
export function broken(kind: string, name: string, change: (o: Obj) => void): Obj[] {
  const set = baseline();
  const target = set.find((o) => o.kind === kind && o.metadata.name === name);
  if (target === undefined) throw new Error(`no ${kind} ${name} in the baseline`);
  change(target);
  return set;
}

/** Shortcuts to the parts of the baseline that most cases break. */
export const web = (o: Obj): Obj => o.spec.template.spec;
export const webContainer = (o: Obj): Obj => o.spec.template.spec.containers[0];
