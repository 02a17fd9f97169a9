import { ManifestProblem, ProblemCode } from '../../src/testing';

export interface Expected {
  readonly code: ProblemCode;
  readonly object: string;
  readonly path: string;
  /** A fragment of the message. */
  readonly message: string;
  readonly value?: unknown;
}

export interface Case {
  readonly name: string;
  readonly set: () => unknown[];
  readonly problems: readonly Expected[];
}

/** Exactly these problems, in order: proves the rule fires and that nothing else in the set is disturbed. */
export function expectProblems(actual: readonly ManifestProblem[], expected: readonly Expected[]): void {
  expect(actual).toEqual(
    expected.map((e) =>
      expect.objectContaining({
        code: e.code,
        object: e.object,
        path: e.path,
        message: expect.stringContaining(e.message),
        ...('value' in e ? { value: e.value } : {}),
      }),
    ),
  );
}
