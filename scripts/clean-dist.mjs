// Removes the package's `dist` before `tsc -b`, so the output of a deleted or renamed source file
// can never be packed. Run from the package directory (its `build` script).
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
