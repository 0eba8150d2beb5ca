// Checks (and with --fix applies) the publishing conventions to every public package in
// packages/*: MIT LICENSE file, repository/homepage/bugs, `files` that ship no tests, a build that
// starts from an empty dist, and @ferrite/core as a peer with a range a core 0.x minor stays in.
//   node scripts/manifests.mjs         # exit 1 and list what is wrong
//   node scripts/manifests.mjs --fix   # rewrite the package.json files and copy LICENSE
import { existsSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPOSITORY = 'https://github.com/ferrite-sdk/ferrite-ts';
/**
 * pnpm publishes `workspace:<range>` as `<range>`. `workspace:^` would publish `^0.1.0`, which a core
 * 0.2.0 leaves, and changesets then bumps every dependent to 1.0.0. Core's 0.x promise (the plugin
 * and transport contract only grows within 0.x) lets dependents accept any core 0.x at or above the
 * floor they need; raise the floor when a package starts using a newer core feature.
 */
export const CORE_PEER_RANGE = 'workspace:>=0.0.0 <1';
const BUILD_PREFIX = 'node ../../scripts/clean-dist.mjs && ';
const TEST_EXCLUDES = ['!src/**/*.test.ts', '!src/**/*.test-d.ts', '!dist/**/*.tsbuildinfo'];

const root = new URL('..', import.meta.url).pathname;

/** Every public package directory under packages/, with its parsed manifest. */
export function publicPackages() {
  return readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, rel: dir.slice(root.length).replace(/\/$/, ''), manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true);
}

function expected(pkg) {
  const m = structuredClone(pkg.manifest);
  m.license = 'MIT';
  m.repository = { type: 'git', url: `git+${REPOSITORY}.git`, directory: pkg.rel };
  m.homepage = `${REPOSITORY}/tree/main/${pkg.rel}#readme`;
  m.bugs = { url: `${REPOSITORY}/issues` };
  // pnpm always packs readme* files found under a listed directory; listing `src/**/*.ts` instead
  // of `src` keeps a `src/readme.test.ts` out of the tarball.
  const files = (m.files ?? ['dist']).map((f) => (f === 'src' ? 'src/**/*.ts' : f));
  for (const ex of TEST_EXCLUDES) if (!files.includes(ex)) files.push(ex);
  m.files = files;
  if (m.scripts?.build && !m.scripts.build.startsWith(BUILD_PREFIX)) m.scripts.build = BUILD_PREFIX + m.scripts.build;
  if (m.name !== '@ferrite/core') {
    const usesCore = ['dependencies', 'peerDependencies', 'devDependencies'].some((k) => m[k]?.['@ferrite/core']);
    if (usesCore) {
      if (m.dependencies) {
        delete m.dependencies['@ferrite/core'];
        if (Object.keys(m.dependencies).length === 0) delete m.dependencies;
      }
      m.peerDependencies = { ...m.peerDependencies, '@ferrite/core': CORE_PEER_RANGE };
      m.devDependencies = { ...m.devDependencies, '@ferrite/core': 'workspace:*' };
    }
  }
  return reorder(m);
}

// Keep the conventional key order so a --fix diff stays small.
const ORDER = ['name', 'version', 'private', 'description', 'keywords', 'license', 'repository', 'homepage', 'bugs', 'type', 'sideEffects', 'engines', 'exports', 'main', 'types', 'files', 'bin', 'scripts', 'dependencies', 'peerDependencies', 'peerDependenciesMeta', 'devDependencies', 'publishConfig'];
function reorder(m) {
  const out = {};
  for (const k of ORDER) if (k in m) out[k] = m[k];
  for (const k of Object.keys(m)) if (!(k in out)) out[k] = m[k];
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();

function main() {
  const fix = process.argv.includes('--fix');
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  const problems = [];
  for (const pkg of publicPackages()) {
    const want = expected(pkg);
    const before = JSON.stringify(pkg.manifest, null, 2) + '\n';
    const after = JSON.stringify(want, null, 2) + '\n';
    if (JSON.stringify(reorder(structuredClone(pkg.manifest))) !== JSON.stringify(want)) {
      if (fix) writeFileSync(join(pkg.dir, 'package.json'), after);
      else problems.push(`${pkg.rel}/package.json does not follow the publishing conventions`);
    } else if (fix && before !== after) {
      writeFileSync(join(pkg.dir, 'package.json'), after);
    }
    const licensePath = join(pkg.dir, 'LICENSE');
    if (!existsSync(licensePath) || readFileSync(licensePath, 'utf8') !== license) {
      if (fix) copyFileSync(join(root, 'LICENSE'), licensePath);
      else problems.push(`${pkg.rel}/LICENSE is missing or differs from the root LICENSE`);
    }
  }
  if (problems.length) {
    console.error(problems.join('\n') + '\nRun `node scripts/manifests.mjs --fix` and review the diff.');
    process.exit(1);
  }
}
