export * from './algorithm';
export * from './schema';
export * from './validate';
