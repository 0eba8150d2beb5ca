import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

/**
 * Workspace packages export `@ferrite/source` ahead of `default`, so tests run against the
 * TypeScript sources of their dependencies and never against a stale `dist/`.
 */
const conditions = ['@ferrite/source', 'node', 'import', 'module', 'default'];

export function ferriteProject(name: string, test: UserWorkspaceConfig['test'] = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['node', 'import', 'default'] } },
    test: {
      name,
      include: ['src/**/*.test.ts'],
      typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
      // A hang guard, not a speed check: six files share two cores, and a CPU-bound property test
      // that takes a second alone took over vitest's default 5 s beside them. Tests that judge
      // time assert their own bounds.
      testTimeout: 20_000,
      // Likewise for setup: a real 3-node cluster and a driver's first connection took over 10 s
      // beside busy files.
      hookTimeout: 30_000,
      ...test,
    },
  });
}
