// Proves the packages work as a user gets them: packs every public package in packages/*, checks
// each tarball, installs the tarballs à la carte into projects outside the workspace (core + one
// plugin + one transport and its driver, for each transport; and every public package together),
// typechecks and runs a small program against the emulator started from its own tarball, then
// upgrades core alone (a packed minor) and proves there is still one core, types and `instanceof`.
// Run after `pnpm build`: `pnpm check:packages`.
import { execFileSync } from 'node:child_process';
import { startEmulatorCli } from './emulator-cli.mjs';
import { userCompilerOptions } from './user-project.mjs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicPackages } from './manifests.mjs';

const root = new URL('..', import.meta.url).pathname;
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const keep = process.argv.includes('--keep');

/** Each transport with the code that builds a Transport from `url` (driver clients are closed by `closeClient`). */
const TRANSPORTS = {
  '@ferrite/ioredis': {
    driver: 'ioredis',
    setup: `import { ioredisTransport } from '@ferrite/ioredis';
import { Redis } from 'ioredis';
const makeTransport = async (url: string) => ioredisTransport(new Redis(url), { closeClient: true });`,
  },
  '@ferrite/node-redis': {
    driver: 'redis',
    setup: `import { nodeRedisTransport } from '@ferrite/node-redis';
import { createClient } from 'redis';
const makeTransport = async (url: string) => {
  const client = createClient({ url });
  await client.connect();
  return nodeRedisTransport(client, { closeClient: true });
};`,
  },
  '@ferrite/valkey-glide': {
    driver: '@valkey/valkey-glide',
    setup: `import { glideTransport } from '@ferrite/valkey-glide';
import { GlideClient, Logger, type GlideClientConfiguration } from '@valkey/valkey-glide';
const makeTransport = async (url: string) => {
  Logger.init('error');
  const { hostname, port } = new URL(url);
  const configuration: GlideClientConfiguration = { addresses: [{ host: hostname, port: Number(port) }], requestTimeout: 15_000 };
  return glideTransport(await GlideClient.createClient(configuration), { configuration, closeClient: true });
};`,
  },
};

const PROGRAM = (setup) => `import { createFerrite, FerriteValidationError, isFerriteError, type AnyPlugin } from '@ferrite/core';
import { vector, type SearchHit } from '@ferrite/vector';
${setup}

// Types: the plugin built against the installed core is a plugin of the app's core.
const plugin: AnyPlugin = vector();
void plugin;

const url = process.env['FERRITE_URL'];
if (url === undefined) throw new Error('FERRITE_URL is not set');
await using ferrite = createFerrite({ transport: await makeTransport(url), plugins: [vector()] });
const index = \`check-packages:\${process.pid}\`;
await ferrite.vector.ensureIndex(index, { dim: 3, distance: 'COSINE' });
await ferrite.vector.add(index, 'a', [1, 0, 0], { kind: 'x' });
await ferrite.vector.add(index, 'b', [0, 1, 0], { kind: 'y' });
const hits: SearchHit[] = await ferrite.vector.search(index, [1, 0.1, 0], { topK: 1 });
if (hits.length !== 1 || hits[0]?.id !== 'a') throw new Error(\`unexpected hits: \${JSON.stringify(hits)}\`);
// Runtime: an error raised inside the plugin is an instance of the app's core classes.
const error: unknown = await ferrite.vector.search(index, [1, 0, 0], { topK: -1 }).then(() => undefined, (e: unknown) => e);
if (!(error instanceof FerriteValidationError) || !isFerriteError(error)) throw new Error(\`not a FerriteValidationError: \${String(error)}\`);
console.log('program ok');
`;

const TSCONFIG = {
  // The packed type declarations are checked too.
  compilerOptions: { ...userCompilerOptions, skipLibCheck: false },
  include: ['*.ts'],
};

function run(cmd, args, cwd, env = {}) {
  return execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, ...env } });
}

function step(message) {
  console.log(`check:packages: ${message}`);
}

const failures = [];
function check(condition, message) {
  if (!condition) failures.push(message);
}

const work = mkdtempSync(join(tmpdir(), 'ferrite-packages-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
let emulator;
try {
  // 1. Pack every public package and look inside each tarball.
  const packages = publicPackages();
  const tarballOf = new Map();
  for (const pkg of packages) {
    const before = new Set(readdirSync(tarballs));
    run('pnpm', ['pack', '--pack-destination', tarballs], pkg.dir);
    const file = readdirSync(tarballs).find((f) => !before.has(f));
    tarballOf.set(pkg.manifest.name, join(tarballs, file));
    const entries = run('tar', ['tzf', join(tarballs, file)], work).split('\n').filter(Boolean).map((e) => e.replace(/^package\//, ''));
    const name = pkg.manifest.name;
    for (const required of ['LICENSE', 'README.md', 'package.json']) check(entries.includes(required), `${name}: tarball lacks ${required}`);
    for (const e of entries) check(!/\.test(-d)?\.ts$/.test(e), `${name}: tarball ships the test file ${e}`);
    for (const e of entries.filter((e) => e.startsWith('dist/') && e.endsWith('.js'))) {
      const source = e.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
      check(entries.includes(source) || !entries.some((x) => x.startsWith('src/')), `${name}: ${e} has no source (${source}): a stale output`);
    }
    const packed = JSON.parse(run('tar', ['xzf', join(tarballs, file), '-O', 'package/package.json'], work));
    check(!JSON.stringify(packed).includes('workspace:'), `${name}: packed manifest still has a workspace: range`);
    for (const field of ['repository', 'homepage', 'bugs', 'license']) check(packed[field] !== undefined, `${name}: no ${field}`);
    if (name !== '@ferrite/core' && (packed.peerDependencies?.['@ferrite/core'] ?? packed.dependencies?.['@ferrite/core'])) {
      check(packed.dependencies?.['@ferrite/core'] === undefined, `${name}: @ferrite/core is a dependency; it must be a peer`);
      check(packed.peerDependencies?.['@ferrite/core'] === '>=0.0.0 <1' || /^>=0\.\d+\.\d+ <1$/.test(packed.peerDependencies?.['@ferrite/core'] ?? ''), `${name}: core peer range ${packed.peerDependencies?.['@ferrite/core']} is not '>=0.x <1'`);
    }
  }
  step(`packed ${packages.length} packages into ${tarballs}`);

  const versionOf = (pkgName, dep) => {
    const m = packages.find((p) => p.manifest.name === pkgName)?.manifest;
    return m?.peerDependencies?.[dep] ?? m?.devDependencies?.[dep];
  };
  // A package that depends on another of ours (the client on its plugins) names a version no
  // registry has yet: every @ferrite/* name resolves to its tarball, or to the one this project picked.
  const writeManifest = (dir, dependencies) => {
    const ours = Object.fromEntries([...tarballOf].map(([n, f]) => [n, `file:${f}`]));
    const picked = Object.fromEntries(Object.entries(dependencies).filter(([n]) => n.startsWith('@ferrite/')));
    const pnpm = { overrides: { ...ours, ...picked } };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'ferrite-check', private: true, type: 'module', dependencies, pnpm }, null, 2));
  };
  // One retry: a registry round trip that fails once is not what this check is about.
  const install = (dir, flags) => {
    // --no-frozen-lockfile: under CI=true pnpm freezes the lockfile, and upgrading core changes it.
    const args = ['install', '--prefer-offline', '--no-frozen-lockfile', '--reporter=silent', '--config.strict-peer-dependencies=true', ...flags];
    try {
      run('pnpm', args, dir);
    } catch {
      run('pnpm', args, dir);
    }
  };
  const project = (dir, dependencies) => {
    mkdirSync(dir, { recursive: true });
    writeManifest(dir, dependencies);
    install(dir, ['--config.auto-install-peers=true']);
  };
  const toolchain = { typescript: rootManifest.devDependencies.typescript, '@types/node': rootManifest.devDependencies['@types/node'] };
  // Declarations of our dependencies that import modules without depending on their types: with
  // skipLibCheck off (so our own .d.ts are checked) an app needs them too. @ai-sdk/provider imports
  // 'json-schema'; ioredis from 6.1 imports 'redis-errors'.
  const missingTypes = { '@types/json-schema': '^7.0.15', '@types/redis-errors': '^1.2.3' };

  // 2. Every public package installed together: each imports and typechecks.
  const all = join(work, 'all');
  project(all, { ...Object.fromEntries([...tarballOf].map(([n, f]) => [n, `file:${f}`])), ...toolchain, ...missingTypes });
  writeFileSync(join(all, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  const names = [...tarballOf.keys()];
  // Two packages may export one name only when it is the same value: @ferrite/client re-exports
  // the plugins' bindings, which is one object, not a clash.
  writeFileSync(
    join(all, 'imports.ts'),
    names.map((n, i) => `import * as m${i} from '${n}';`).join('\n') +
      `\nconst modules: Array<[string, Record<string, unknown>]> = [${names.map((n, i) => `['${n}', m${i}]`).join(', ')}];\n` +
      `const owner = new Map<string, [string, unknown]>();\nconst clashes: string[] = [];\n` +
      `for (const [name, mod] of modules) for (const [key, value] of Object.entries(mod)) {\n` +
      `  const first = owner.get(key);\n` +
      `  if (!first) owner.set(key, [name, value]);\n` +
      `  else if (first[1] !== value) clashes.push(\`\${first[0]} and \${name} both export '\${key}' (different values)\`);\n` +
      `}\n` +
      `console.log(JSON.stringify({ counts: modules.map(([, mod]) => Object.keys(mod).length), clashes }));\n`,
  );
  run(join(all, 'node_modules/.bin/tsc'), ['-p', '.'], all);
  const { counts, clashes } = JSON.parse(run('node', ['out/imports.js'], all));
  counts.forEach((count, i) => check(count > 0, `${names[i]} exports nothing`));
  failures.push(...clashes);
  step(`all ${tarballOf.size} packages install together, import and typecheck`);

  // 3. The emulator from its own tarball, in its own project.
  const server = join(work, 'server');
  project(server, { '@ferrite/core': `file:${tarballOf.get('@ferrite/core')}`, '@ferrite/emulator': `file:${tarballOf.get('@ferrite/emulator')}` });
  const started = startEmulatorCli(join(server, 'node_modules/.bin/ferrite-emulator'), ['--port', '0'], { cwd: server });
  emulator = started.child;
  const url = await started.url;
  step(`packed emulator listening on ${url}`);

  // 4. Core + vector + one transport, for each transport; then core upgraded alone.
  const bumped = join(work, 'core-next');
  mkdirSync(bumped);
  run('tar', ['xzf', tarballOf.get('@ferrite/core'), '-C', bumped], work);
  const coreManifest = JSON.parse(readFileSync(join(bumped, 'package/package.json'), 'utf8'));
  const [major, minor] = coreManifest.version.split('.').map(Number);
  coreManifest.version = `${major}.${minor + 1}.0`;
  writeFileSync(join(bumped, 'package/package.json'), JSON.stringify(coreManifest, null, 2));
  const coreNext = join(work, `ferrite-core-${coreManifest.version}.tgz`);
  run('tar', ['czf', coreNext, '-C', bumped, 'package'], work);

  for (const [transport, { driver, setup }] of Object.entries(TRANSPORTS)) {
    if (!tarballOf.has(transport)) continue;
    const dir = join(work, `app-${transport.split('/')[1]}`);
    const deps = {
      '@ferrite/core': `file:${tarballOf.get('@ferrite/core')}`,
      '@ferrite/vector': `file:${tarballOf.get('@ferrite/vector')}`,
      [transport]: `file:${tarballOf.get(transport)}`,
      [driver]: versionOf(transport, driver),
      ...toolchain,
      ...missingTypes,
    };
    project(dir, deps);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    writeFileSync(join(dir, 'main.ts'), PROGRAM(setup));
    const cores = () => readdirSync(join(dir, 'node_modules/.pnpm')).filter((d) => d.startsWith('@ferrite+core@'));
    for (const phase of ['as packed', `with core ${coreManifest.version} installed alone`]) {
      if (phase !== 'as packed') {
        deps['@ferrite/core'] = `file:${coreNext}`;
        writeManifest(dir, deps);
        install(dir, []);
        // An old core left in the store directory is harmless; what matters is which one each package resolves.
        const resolved = run('node', ['-e', `
          const { createRequire } = require('node:module');
          const { realpathSync } = require('node:fs');
          const app = createRequire(process.cwd() + '/');
          const core = (from) => realpathSync(createRequire(realpathSync(app.resolve(from + '/package.json')))
            .resolve('@ferrite/core/package.json'));
          console.log(JSON.stringify([realpathSync(app.resolve('@ferrite/core/package.json')), core('@ferrite/vector'), core('${transport}')]));
        `], dir);
        const paths = JSON.parse(resolved);
        check(new Set(paths).size === 1, `${transport}: more than one @ferrite/core after upgrading core alone: ${paths.join(', ')}`);
        check(JSON.parse(readFileSync(paths[0], 'utf8')).version === coreManifest.version, `${transport}: core was not upgraded (${cores().join(', ')})`);
      }
      rmSync(join(dir, 'out'), { recursive: true, force: true });
      try {
        run(join(dir, 'node_modules/.bin/tsc'), ['-p', '.'], dir);
        const out = run('node', ['out/main.js'], dir, { FERRITE_URL: url });
        check(out.includes('program ok'), `${transport} (${phase}): program did not finish`);
        step(`core + vector + ${transport} ${phase}: typechecks and runs`);
      } catch (error) {
        failures.push(`${transport} (${phase}): ${error.stdout ?? ''}${error.message}`);
      }
    }
  }
} catch (error) {
  failures.push(String(error?.stack ?? error));
} finally {
  emulator?.kill('SIGTERM');
  if (!keep && failures.length === 0) rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`check:packages failed (work dir kept: ${work}):\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
step('all good');
