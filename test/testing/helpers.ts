export * from './fixtures';
export * from './expect-problems';
