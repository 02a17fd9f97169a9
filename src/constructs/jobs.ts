/**
 * Options of the app's Jobs: a migration before the rollout, and a smoke test through the balancer after it.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';

/** A Job that runs before the app (database migrations and the like). It gets the app's config and secrets. */
export interface MigrationJobOptions {
  /** The migration container; its image must be pinned. */
  readonly container: kplus.ContainerProps;
  /**
   * Pods running at once.
   * @default 1
   */
  readonly parallelism?: number;
  /**
   * Successful pods needed.
   * @default 1
   */
  readonly completions?: number;
  /**
   * Retries before the Job fails.
   * @default 3
   */
  readonly backoffLimit?: number;
  /**
   * Longest run.
   * @default Duration.minutes(10)
   */
  readonly activeDeadline?: Duration;
}

/** A Job that sends requests through the balancer until every ready backend answered. */
export interface SmokeTestOptions {
  /**
   * How long one run may wait for every ready backend to answer (`--smoke-timeout-ms`); give the rollout time.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
  /**
   * Retries before the Job fails.
   * @default 2
   */
  readonly backoffLimit?: number;
  /**
   * Longest run.
   * @default Duration.minutes(5)
   */
  readonly activeDeadline?: Duration;
}

