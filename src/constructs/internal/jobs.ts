/**
 * Builds the app's Jobs: a migration before the rollout, and a smoke test through the balancer after it.
 */
import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { DiscoveryBinding } from '../discovery';
import type { ResolvedMigration, ResolvedSmokeTest } from '../resolved-props';
import { DEFAULTS } from './defaults';
import { addProxyContainer, ProxyContainerSpec } from './proxy-container';
import { addRuntimeDefaultSeccomp, mountTmp, PodApiAccess, podApiAccess, restrictedContainer, restrictedPod } from './security';

/** What both Jobs share. */
export interface JobSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

interface JobRun {
  readonly user: number;
  readonly group: number;
  readonly backoffLimit: number;
  readonly activeDeadline: Duration;
  readonly apiAccess: PodApiAccess;
}

function newJob(scope: Construct, id: string, spec: JobSpec, run: JobRun): kplus.Job {
  const job = new kplus.Job(scope, id, {
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    select: false,
    backoffLimit: run.backoffLimit,
    activeDeadline: run.activeDeadline,
    ttlAfterFinished: Duration.hours(1),
    restartPolicy: kplus.RestartPolicy.NEVER,
    securityContext: restrictedPod(run.user, run.group),
    ...run.apiAccess,
  });
  for (const [k, v] of Object.entries(spec.labels)) job.podMetadata.addLabel(k, v);
  for (const [k, v] of Object.entries(spec.annotations)) job.podMetadata.addAnnotation(k, v);
  addRuntimeDefaultSeccomp(job);
  return job;
}

/** The migration Job: the user's container with the app's env sources, under restricted security. */
export function createMigrationJob(scope: Construct, spec: JobSpec, migration: ResolvedMigration, envFrom: readonly kplus.EnvFrom[]): kplus.Job {
  const job = newJob(scope, 'Migration', spec, { ...migration, apiAccess: podApiAccess() });
  const { user, group } = migration;
  const container = job.addContainer({
    name: 'migrate',
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    resources: DEFAULTS.AppContainer.resources,
    ...migration.container,
    envFrom: [...(migration.container.envFrom ?? []), ...envFrom],
    securityContext: restrictedContainer(user, group),
  });
  mountTmp(job, container, 'tmp');
  const obj = ApiObject.of(job);
  obj.addJsonPatch(JsonPatch.add('/spec/parallelism', migration.parallelism));
  obj.addJsonPatch(JsonPatch.add('/spec/completions', migration.completions));
  return job;
}

/** The smoke-test Job: the proxy bundle in `--smoke` mode with a balancer config mounted. */
export function createSmokeJob(
  scope: Construct,
  spec: JobSpec,
  smoke: ResolvedSmokeTest,
  proxy: Omit<ProxyContainerSpec, 'name' | 'volumePrefix' | 'smoke'>,
  discovery: readonly DiscoveryBinding[],
): kplus.Job {
  const run = { ...smoke, user: proxy.image.user, group: proxy.image.group, apiAccess: podApiAccess(discovery) };
  const job = newJob(scope, 'SmokeTest', spec, run);
  addProxyContainer(job, {
    ...proxy,
    name: 'smoke',
    volumePrefix: 'lb',
    smoke: true,
    extraArgs: ['--smoke-timeout-ms', String(smoke.timeout.toMilliseconds())],
  });
  return job;
}
