// Every fenced `ts` block of every README (the root's, and packages/* and apps/*) is typechecked
// against the built packages (their `dist` types, as a user gets them), and the blocks marked
// runnable run against an emulator. Run after `pnpm build`: `pnpm check:readmes`.
//
// Markers, HTML comments placed on the lines just before a block (GitHub does not render them):
//   <!-- preamble: declare const query: number[]; -->   code put before the block, for the names a
//                                                        fragment uses without declaring them
//   <!-- run -->                                         run the block (it must exit by itself);
//                                                        `redis://127.0.0.1:6380` (or :6379) in it is
//                                                        replaced by the address of an emulator; it
//                                                        passes when its top-level code completes
//                                                        (clients a sample leaves open do not hang it)
import { execFileSync } from 'node:child_process';
import { startEmulatorCli } from './emulator-cli.mjs';
import { userCompilerOptions } from './user-project.mjs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
/** Addresses the samples use, replaced by the emulator's when a sample runs. */
const SAMPLE_URLS = ['redis://127.0.0.1:6380', 'redis://127.0.0.1:6379'];

/** README files this check covers. */
function readmes() {
  const found = [join(root, 'README.md')];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const file = join(root, group, name, 'README.md');
      if (existsSync(file)) found.push(file);
    }
  }
  return found;
}

/** The `ts` blocks of one README with their markers. */
export function extractBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i])) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    // Collect the HTML comments directly above the fence.
    const comments = [];
    let j = start - 1;
    while (j >= 0 && lines[j].trim().endsWith('-->')) {
      let k = j;
      while (k >= 0 && !lines[k].includes('<!--')) k--;
      if (k < 0) break;
      comments.unshift(lines.slice(k, j + 1).join('\n'));
      j = k - 1;
    }
    let preamble = '';
    let run = false;
    for (const comment of comments) {
      const body = comment.replace(/^\s*<!--/, '').replace(/-->\s*$/, '').trim();
      if (body === 'run') run = true;
      else if (body.startsWith('preamble:')) preamble += body.slice('preamble:'.length).trim() + '\n';
    }
    blocks.push({ line: start + 1, code: lines.slice(start + 1, end).join('\n'), preamble, run });
    i = end;
  }
  return blocks;
}

function link(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  if (!existsSync(to)) symlinkSync(from, to);
}

/** A package directory that `name` resolves to from any workspace package, or undefined. */
function findDependency(name) {
  for (const dir of [root, ...['packages', 'apps'].flatMap((g) => readdirSync(join(root, g)).map((n) => join(root, g, n)))]) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
  }
  return undefined;
}

const failures = [];
const work = mkdtempSync(join(tmpdir(), 'ferrite-readmes-'));
let emulator;
try {
  // A project outside the workspace whose node_modules links each workspace package (resolved
  // through `types` and `default`, so the built dist, never the sources) and each third-party
  // package the samples import.
  const files = [];
  const imported = new Set();
  for (const readme of readmes()) {
    const rel = relative(root, readme);
    for (const [n, block] of extractBlocks(readFileSync(readme, 'utf8')).entries()) {
      const name = `${rel.replace(/[/.]/g, '_')}_${n + 1}.ts`;
      // The preamble and block share one module; `export {}` keeps each sample's names its own.
      const source = `${block.preamble}${block.code}\nexport {};\n`;
      for (const m of source.matchAll(/from '([^'.][^']*)'/g)) imported.add(m[1]);
      writeFileSync(join(work, name), source);
      files.push({ name, where: `${rel}:${block.line}`, run: block.run, lines: block.preamble.split('\n').length - 1 });
    }
  }
  for (const specifier of imported) {
    if (specifier.startsWith('node:')) continue;
    const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
    const workspace = name.startsWith('@ferrite/') ? join(root, 'packages', name.slice('@ferrite/'.length)) : undefined;
    const target = workspace && existsSync(workspace) ? workspace : findDependency(name);
    if (target === undefined) failures.push(`a README imports '${specifier}', which nothing in the workspace installs`);
    else link(target, join(work, 'node_modules', name));
  }
  link(findDependency('@types/node'), join(work, 'node_modules/@types/node'));
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'readme-check', private: true, type: 'module' }));
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...userCompilerOptions,
        noUncheckedIndexedAccess: true,
        skipLibCheck: true,
        noUnusedLocals: false,
        preserveSymlinks: false,
      },
      include: ['*.ts'],
    }),
  );

  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', '.', '--pretty', 'false'], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    // Point each diagnostic at the README line it comes from.
    const byName = new Map(files.map((f) => [f.name, f]));
    const text = `${error.stdout ?? ''}${error.stderr ?? ''}`.replace(/^(\S+\.ts)\((\d+),(\d+)\)/gm, (all, name, line, column) => {
      const file = byName.get(name);
      if (!file) return all;
      const [readme, start] = file.where.split(':');
      const inBlock = Number(line) - file.lines;
      return inBlock >= 1 ? `${readme}:${Number(start) + inBlock}:${column}` : `${file.where} (preamble line ${line})`;
    });
    failures.push(`README samples do not typecheck against the built packages:\n${text.trim()}`);
  }

  const runnable = files.filter((f) => f.run);
  if (failures.length === 0 && runnable.length > 0) {
    const started = startEmulatorCli('node', [join(root, 'packages/emulator/dist/cli.js'), '--port', '0']);
    emulator = started.child;
    const url = await started.url;
    for (const file of runnable) {
      const js = join(work, 'out', file.name.replace(/\.ts$/, '.js'));
      writeFileSync(js, SAMPLE_URLS.reduce((code, sample) => code.replaceAll(sample, url), readFileSync(js, 'utf8')));
      const runner = `import(${JSON.stringify(js)}).then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });`;
      try {
        execFileSync('node', ['--input-type=module', '-e', runner], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
        console.log(`check:readmes: ran ${file.where}`);
      } catch (error) {
        failures.push(`${file.where} (runnable) failed:\n${error.stdout ?? ''}${error.stderr ?? ''}${error.signal ? `killed by ${error.signal}` : ''}`);
      }
    }
  }
  console.log(`check:readmes: ${files.length} ts blocks typechecked, ${runnable.length} run`);
} catch (error) {
  failures.push(String(error?.stack ?? error));
} finally {
  emulator?.kill('SIGTERM');
  if (failures.length === 0) rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`check:readmes failed (work dir kept: ${work}):\n${failures.join('\n\n')}`);
  process.exit(1);
}
