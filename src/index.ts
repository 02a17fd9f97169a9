export * from './config';
export * from './constructs';
export * from './testing';
