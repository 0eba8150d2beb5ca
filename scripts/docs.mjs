// `pnpm run docs` (plain `pnpm docs` is pnpm's own command that opens a package's home page): the API reference of every public package (typedoc, one module per package) in
// docs/api. Fails on any warning, an export without TSDoc included, so CI keeps every public
// export documented.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { publicPackages } from './manifests.mjs';

const root = new URL('..', import.meta.url).pathname;
const entryPoints = publicPackages().map((p) => p.rel);
try {
  execFileSync(join(root, 'node_modules/.bin/typedoc'), ['--options', join(root, 'typedoc.json'), ...entryPoints.flatMap((e) => ['--entryPoints', e]), ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
  });
} catch {
  process.exit(1);
}
