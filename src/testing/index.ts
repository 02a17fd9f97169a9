export * from './problem';
export type { ExternalReferences } from './semantic';
export * from './validate';
