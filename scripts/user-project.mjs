// What the check scripts' throwaway projects share: TypeScript set up as an application's would be.

/** Compiler options of a user's ESM project on Node; each check adds its own strictness. */
export const userCompilerOptions = {
  target: 'ES2023',
  lib: ['ES2023', 'ESNext.Disposable'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  types: ['node'],
  strict: true,
  outDir: 'out',
};
