export * from './problem';
export { ExternalReferences } from './semantic';
export * from './validate';
