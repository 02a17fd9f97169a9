/**
 * `cdk8s-balancer/testing`: validate synthesized manifests against the Kubernetes 1.27 schema, semantic rules, the
 * Pod Security "restricted" profile, hardening rules and secret hygiene; and snapshot them without the proxy bundle.
 *
 * @module cdk8s-balancer/testing
 */
export { formatProblem, ManifestValidationError } from './problem';
export type { ManifestProblem, ProblemCode, ProblemRule } from './problem';
export type { ExternalReferences } from './semantic';
export { bundlePlaceholder, manifestsForSnapshot, synthForSnapshot } from './snapshot';
export { assertValidManifests, validateManifests } from './validate';
export type { ValidateManifestsOptions } from './validate';
