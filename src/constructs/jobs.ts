/**
 * The app's Jobs: a migration before the rollout, and a smoke test through the balancer after it.
 */
import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { checkInt, invalid } from './errors';
import { checkPinnedImage } from './images';
import { MigrationJobOptions, SmokeTestOptions } from './options';
import { addProxyContainer, ProxyContainerSpec } from './proxy';
import { addRuntimeDefaultSeccomp, mountTmp, restrictedContainer, restrictedPod } from './security';

/** What both Jobs share. */
export interface JobSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

function newJob(
  scope: Construct,
  id: string,
  spec: JobSpec,
  user: number,
  group: number,
  backoffLimit: number,
  activeDeadline: Duration,
): kplus.Job {
  const job = new kplus.Job(scope, id, {
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    select: false,
    backoffLimit,
    activeDeadline,
    ttlAfterFinished: Duration.hours(1),
    restartPolicy: kplus.RestartPolicy.NEVER,
    securityContext: restrictedPod(user, group),
    automountServiceAccountToken: false,
  });
  for (const [k, v] of Object.entries(spec.labels)) job.podMetadata.addLabel(k, v);
  for (const [k, v] of Object.entries(spec.annotations)) job.podMetadata.addAnnotation(k, v);
  addRuntimeDefaultSeccomp(job);
  return job;
}

/** The migration Job: the user's container with the app's env sources, under restricted security. */
export function createMigrationJob(
  scope: Construct,
  spec: JobSpec,
  options: MigrationJobOptions,
  envFrom: kplus.EnvFrom[],
  defaults: Pick<kplus.ContainerProps, 'resources'>,
): kplus.Job {
  checkPinnedImage(scope, 'migration.container.image', options.container.image);
  checkInt(scope, 'migration.parallelism', options.parallelism, 1);
  checkInt(scope, 'migration.completions', options.completions, 1);
  checkInt(scope, 'migration.backoffLimit', options.backoffLimit, 0);
  const user = options.container.securityContext?.user ?? 65532;
  const group = options.container.securityContext?.group ?? user;
  checkInt(scope, 'migration.container.securityContext.user', user, 1);
  const job = newJob(
    scope,
    'Migration',
    spec,
    user,
    group,
    options.backoffLimit ?? 3,
    options.activeDeadline ?? Duration.minutes(10),
  );
  const container = job.addContainer({
    name: 'migrate',
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    resources: defaults.resources,
    ...options.container,
    envFrom: [...(options.container.envFrom ?? []), ...envFrom],
    securityContext: restrictedContainer(user, group),
  });
  mountTmp(job, container, 'tmp');
  const obj = ApiObject.of(job);
  obj.addJsonPatch(JsonPatch.add('/spec/parallelism', options.parallelism ?? 1));
  obj.addJsonPatch(JsonPatch.add('/spec/completions', options.completions ?? 1));
  return job;
}

/** The smoke-test Job: the proxy bundle in `--smoke` mode with a balancer config mounted. */
export function createSmokeJob(
  scope: Construct,
  spec: JobSpec,
  options: SmokeTestOptions,
  proxy: Omit<ProxyContainerSpec, 'name' | 'volumePrefix' | 'smoke'>,
): kplus.Job {
  checkInt(scope, 'smokeTest.backoffLimit', options.backoffLimit, 0);
  const timeout = options.timeout ?? Duration.minutes(2);
  const deadline = options.activeDeadline ?? Duration.minutes(5);
  if (timeout.toMilliseconds() >= deadline.toMilliseconds()) {
    invalid(scope, 'smokeTest.timeout', timeout.toHumanString(), `make it shorter than activeDeadline (${deadline.toHumanString()}), or raise activeDeadline`);
  }
  const job = newJob(scope, 'SmokeTest', spec, proxy.image.user, proxy.image.group, options.backoffLimit ?? 2, deadline);
  addProxyContainer(job, {
    ...proxy,
    name: 'smoke',
    volumePrefix: 'lb',
    smoke: true,
    extraArgs: ['--smoke-timeout-ms', String(timeout.toMilliseconds())],
  });
  return job;
}
