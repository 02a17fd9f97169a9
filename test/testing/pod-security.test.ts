import { validateManifests } from '../../src/testing';
import { isPinned } from '../../src/testing/pod-security';
import { baseline, broken, Case, expectProblems, Obj, web, webContainer } from './helpers';

const C0 = 'spec.template.spec.containers[0]';
const WEB = 'Deployment default/web';

const pssCases: Case[] = [
  {
    name: 'flags a privileged container',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).securityContext.privileged = true)),
    problems: [{ code: 'PSS_PRIVILEGED', object: WEB, path: `${C0}.securityContext.privileged`, message: 'must be unset or false', value: true }],
  },
  ...(['hostNetwork', 'hostPID', 'hostIPC'] as const).map((field) => ({
    name: `flags ${field}`,
    set: () => broken('Deployment', 'web', (o) => (web(o)[field] = true)),
    problems: [{ code: 'PSS_HOST_NAMESPACE' as const, object: WEB, path: `spec.template.spec.${field}`, message: 'must be unset or false', value: true }],
  })),
  {
    name: 'flags a hostPort',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).ports[0].hostPort = 8080)),
    problems: [{ code: 'PSS_HOST_PORT', object: WEB, path: `${C0}.ports[0].hostPort`, message: 'must be unset or 0', value: 8080 }],
  },
  {
    name: 'flags a hostPath volume',
    set: () => broken('Deployment', 'web', (o) => (web(o).volumes[1] = { name: 'tmp', hostPath: { path: '/tmp' } })),
    problems: [{ code: 'PSS_VOLUME_TYPE', object: WEB, path: 'spec.template.spec.volumes[1].hostPath', message: 'volume type hostPath is not allowed' }],
  },
  {
    name: 'flags a volume type outside the restricted list (nfs)',
    set: () => broken('Deployment', 'web', (o) => (web(o).volumes[1] = { name: 'tmp', nfs: { server: 'nfs.local', path: '/x' } })),
    problems: [{ code: 'PSS_VOLUME_TYPE', object: WEB, path: 'spec.template.spec.volumes[1].nfs', message: 'use one of configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret' }],
  },
  {
    name: 'flags a container without runAsNonRoot when the pod does not set it',
    set: () => broken('Deployment', 'web', (o) => delete web(o).securityContext.runAsNonRoot),
    problems: [{ code: 'PSS_RUN_AS_NON_ROOT', object: WEB, path: `${C0}.securityContext.runAsNonRoot`, message: 'must be true here or at spec.securityContext.runAsNonRoot' }],
  },
  {
    name: 'flags a container that overrides runAsNonRoot with false',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).securityContext.runAsNonRoot = false)),
    problems: [{ code: 'PSS_RUN_AS_NON_ROOT', object: WEB, path: `${C0}.securityContext.runAsNonRoot`, message: 'must be true or unset', value: false }],
  },
  {
    name: 'flags runAsUser 0 on the pod',
    set: () => broken('Deployment', 'web', (o) => (web(o).securityContext.runAsUser = 0)),
    problems: [{ code: 'PSS_RUN_AS_USER', object: WEB, path: 'spec.template.spec.securityContext.runAsUser', message: 'must not be 0', value: 0 }],
  },
  {
    name: 'flags runAsUser 0 on a container',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).securityContext.runAsUser = 0)),
    problems: [{ code: 'PSS_RUN_AS_USER', object: WEB, path: `${C0}.securityContext.runAsUser`, message: 'must not be 0', value: 0 }],
  },
  {
    name: 'flags allowPrivilegeEscalation left unset',
    set: () => broken('Deployment', 'web', (o) => delete webContainer(o).securityContext.allowPrivilegeEscalation),
    problems: [{ code: 'PSS_PRIVILEGE_ESCALATION', object: WEB, path: `${C0}.securityContext.allowPrivilegeEscalation`, message: 'must be false' }],
  },
  {
    name: 'flags capabilities that do not drop ALL',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).securityContext.capabilities.drop = ['NET_RAW'])),
    problems: [{ code: 'PSS_CAPABILITIES', object: WEB, path: `${C0}.securityContext.capabilities.drop`, message: 'must include ALL', value: ['NET_RAW'] }],
  },
  {
    name: 'flags an added capability other than NET_BIND_SERVICE',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).securityContext.capabilities.add = ['NET_BIND_SERVICE', 'NET_ADMIN'])),
    problems: [{ code: 'PSS_CAPABILITIES', object: WEB, path: `${C0}.securityContext.capabilities.add[1]`, message: 'only NET_BIND_SERVICE may be added', value: 'NET_ADMIN' }],
  },
  {
    name: 'flags a pod without a seccomp profile',
    set: () => broken('Deployment', 'web', (o) => delete web(o).securityContext.seccompProfile),
    problems: [{ code: 'PSS_SECCOMP', object: WEB, path: `${C0}.securityContext.seccompProfile.type`, message: 'must be RuntimeDefault or Localhost here or at spec.securityContext.seccompProfile' }],
  },
  {
    name: 'flags a container that sets seccomp Unconfined',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).securityContext.seccompProfile = { type: 'Unconfined' })),
    problems: [{ code: 'PSS_SECCOMP', object: WEB, path: `${C0}.securityContext.seccompProfile.type`, message: 'must be RuntimeDefault or Localhost', value: 'Unconfined' }],
  },
  {
    name: 'flags an unsafe sysctl',
    set: () => broken('Deployment', 'web', (o) => (web(o).securityContext.sysctls = [{ name: 'net.core.somaxconn', value: '1024' }])),
    problems: [{ code: 'PSS_SYSCTL', object: WEB, path: 'spec.template.spec.securityContext.sysctls[0].name', message: 'is not a safe sysctl', value: 'net.core.somaxconn' }],
  },
  {
    name: 'flags a Windows HostProcess pod',
    set: () => broken('Deployment', 'web', (o) => (web(o).securityContext.windowsOptions = { hostProcess: true })),
    problems: [{ code: 'PSS_HOST_PROCESS', object: WEB, path: 'spec.template.spec.securityContext.windowsOptions.hostProcess', message: 'must be unset or false', value: true }],
  },
  {
    name: 'flags an unconfined AppArmor annotation',
    set: () => broken('Deployment', 'web', (o) => (o.spec.template.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/web': 'unconfined' })),
    problems: [{ code: 'PSS_APPARMOR', object: WEB, path: 'spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/web"]', message: 'must be runtime/default or localhost/<profile>', value: 'unconfined' }],
  },
  {
    name: 'flags a custom SELinux type and user',
    set: () => broken('Deployment', 'web', (o) => (web(o).securityContext.seLinuxOptions = { type: 'spc_t', user: 'root' })),
    problems: [
      { code: 'PSS_SELINUX', object: WEB, path: 'spec.template.spec.securityContext.seLinuxOptions.type', message: 'container_t', value: 'spc_t' },
      { code: 'PSS_SELINUX', object: WEB, path: 'spec.template.spec.securityContext.seLinuxOptions.user', message: 'must be unset', value: 'root' },
    ],
  },
  {
    name: 'flags an Unmasked procMount',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).securityContext.procMount = 'Unmasked')),
    problems: [{ code: 'PSS_PROC_MOUNT', object: WEB, path: `${C0}.securityContext.procMount`, message: 'must be unset or Default', value: 'Unmasked' }],
  },
  {
    name: 'flags an init container too',
    set: () => broken('Deployment', 'web', (o) => (web(o).initContainers = [{ ...webContainer(o), name: 'init', env: undefined, envFrom: undefined, ports: undefined, securityContext: { ...webContainer(o).securityContext, allowPrivilegeEscalation: true } }])),
    problems: [{ code: 'PSS_PRIVILEGE_ESCALATION', object: WEB, path: 'spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation', message: 'must be false', value: true }],
  },
  {
    name: 'flags a CronJob pod template',
    set: () => broken('CronJob', 'backup', (o) => (o.spec.jobTemplate.spec.template.spec.hostNetwork = true)),
    problems: [{ code: 'PSS_HOST_NAMESPACE', object: 'CronJob default/backup', path: 'spec.jobTemplate.spec.template.spec.hostNetwork', message: 'must be unset or false' }],
  },
  {
    name: 'flags a bare Pod',
    set: () => [...baseline(), barePod((p) => (p.spec.containers[0].securityContext.privileged = true))],
    problems: [{ code: 'PSS_PRIVILEGED', object: 'Pod default/debug', path: 'spec.containers[0].securityContext.privileged', message: 'must be unset or false', value: true }],
  },
];

const hardeningCases: Case[] = [
  {
    name: 'flags a writable root filesystem',
    set: () => broken('Deployment', 'web', (o) => delete webContainer(o).securityContext.readOnlyRootFilesystem),
    problems: [{ code: 'HARDEN_READ_ONLY_ROOT_FS', object: WEB, path: `${C0}.securityContext.readOnlyRootFilesystem`, message: 'must be true' }],
  },
  {
    name: 'flags an image without a tag',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).image = 'registry.example.com:5000/web')),
    problems: [{ code: 'HARDEN_IMAGE_NOT_PINNED', object: WEB, path: `${C0}.image`, message: 'must carry a version tag other than latest', value: 'registry.example.com:5000/web' }],
  },
  {
    name: 'flags an image tagged latest',
    set: () => broken('StatefulSet', 'db', (o) => (webContainer(o).image = 'postgres:latest')),
    problems: [{ code: 'HARDEN_IMAGE_NOT_PINNED', object: 'StatefulSet default/db', path: `${C0}.image`, message: 'or a digest', value: 'postgres:latest' }],
  },
  {
    name: 'flags a container without a memory request',
    set: () => broken('Deployment', 'gateway', (o) => delete webContainer(o).resources.requests.memory),
    problems: [{ code: 'HARDEN_RESOURCE_REQUESTS', object: 'Deployment default/gateway', path: `${C0}.resources.requests`, message: 'must set memory', value: { cpu: '50m' } }],
  },
  {
    name: 'flags a container without any requests',
    set: () => broken('Job', 'migrate', (o) => delete webContainer(o).resources),
    problems: [{ code: 'HARDEN_RESOURCE_REQUESTS', object: 'Job default/migrate', path: `${C0}.resources.requests`, message: 'must set cpu and memory' }],
  },
];

const secretCases: Case[] = [
  {
    name: 'flags a Secret value copied into a ConfigMap',
    set: () => broken('ConfigMap', 'web-config', (o) => (o.data['config.json'] = '{"token":"tok-9f8e7d6c5b4a"}')),
    problems: [{ code: 'SECRET_VALUE_EXPOSED', object: 'ConfigMap default/web-config', path: 'data["config.json"]', message: 'contains the value of Secret default/web-secret key "token"', value: '<redacted, 16 chars>' }],
  },
  {
    name: 'flags a base64 Secret value, decoded, in an env literal',
    set: () => broken('Deployment', 'web', (o) => (webContainer(o).env[2].value = 'hunter2-password')),
    problems: [{ code: 'SECRET_VALUE_EXPOSED', object: WEB, path: `${C0}.env[2].value`, message: 'key "password"' }],
  },
  {
    name: 'flags a Secret value in an annotation',
    set: () => broken('Service', 'web', (o) => (o.metadata.annotations = { 'example.com/debug': 'tok-9f8e7d6c5b4a' })),
    problems: [{ code: 'SECRET_VALUE_EXPOSED', object: 'Service default/web', path: 'metadata.annotations["example.com/debug"]', message: 'key "token"' }],
  },
  {
    name: 'flags a Secret value in args and command',
    set: () => broken('CronJob', 'backup', (o) => {
      const c = o.spec.jobTemplate.spec.template.spec.containers[0];
      c.args = ['--password=hunter2-password'];
      c.command = ['sh', '-c', 'curl -H "Authorization: tok-9f8e7d6c5b4a"'];
    }),
    problems: [
      { code: 'SECRET_VALUE_EXPOSED', object: 'CronJob default/backup', path: 'spec.jobTemplate.spec.template.spec.containers[0].args[0]', message: 'key "password"' },
      { code: 'SECRET_VALUE_EXPOSED', object: 'CronJob default/backup', path: 'spec.jobTemplate.spec.template.spec.containers[0].command[2]', message: 'key "token"' },
    ],
  },
];

function barePod(change: (p: Obj) => void): Obj {
  const gateway = baseline().find((o) => o.metadata.name === 'gateway' && o.kind === 'Deployment') as Obj;
  const pod: Obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', labels: { app: 'debug' } }, spec: gateway.spec.template.spec };
  change(pod);
  return pod;
}

describe('Pod Security Standards, restricted', () => {
  test.each(pssCases)('$name', ({ set, problems }) => {
    expectProblems(validateManifests(set(), { hardening: false }), problems);
  });

  test('accepts NET_BIND_SERVICE and per-container runAsNonRoot and seccomp', () => {
    const set = broken('Deployment', 'web', (o) => {
      web(o).securityContext = {};
      webContainer(o).securityContext = { ...webContainer(o).securityContext, runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' }, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } };
    });
    expect(validateManifests(set)).toEqual([]);
  });

  test('can be switched off', () => {
    const set = broken('Deployment', 'web', (o) => (webContainer(o).securityContext.privileged = true));
    expect(validateManifests(set, { podSecurity: false })).toEqual([]);
  });
});

describe('hardening beyond PSS', () => {
  test.each(hardeningCases)('$name', ({ set, problems }) => {
    expectProblems(validateManifests(set()), problems);
  });

  test.each([
    ['nginx:1.27.2', true],
    ['registry.example.com:5000/team/app:v3', true],
    [`node@sha256:${'0'.repeat(64)}`, true],
    ['node', false],
    ['node:latest', false],
    ['registry.example.com:5000/app', false],
    ['node:', false],
  ])('isPinned(%s) is %s', (image, pinned) => {
    expect(isPinned(image)).toBe(pinned);
  });
});

describe('secret hygiene', () => {
  test.each(secretCases)('$name', ({ set, problems }) => {
    expectProblems(validateManifests(set()), problems);
  });

  test('never echoes the secret in the problem', () => {
    const set = broken('ConfigMap', 'web-config', (o) => (o.data.LEAK = 'tok-9f8e7d6c5b4a'));
    const text = JSON.stringify(validateManifests(set));
    expect(text).toContain('SECRET_VALUE_EXPOSED');
    expect(text).not.toContain('tok-9f8e7d6c5b4a');
  });

  test('ignores values shorter than 4 characters', () => {
    const set = [...baseline(), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tiny' }, stringData: { flag: 'on' } }];
    expect(validateManifests(set)).toEqual([]);
  });
});
