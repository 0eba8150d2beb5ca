// Proves the changesets settings do what the root README promises: a core minor bumps core alone
// (no dependent forced to a major, no private package versioned). Runs `changeset version` on a
// copy of the manifests with one synthetic changeset. Part of `pnpm check:packages`.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'ferrite-release-plan-'));
const manifests = new Map();
try {
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset/config.json']) cpSync(join(root, file), join(work, file), { recursive: true });
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const manifest = join(root, group, name, 'package.json');
      if (!existsSync(manifest)) continue;
      mkdirSync(join(work, group, name), { recursive: true });
      cpSync(manifest, join(work, group, name, 'package.json'));
      manifests.set(`${group}/${name}`, JSON.parse(readFileSync(manifest, 'utf8')));
    }
  }
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
  const core = [...manifests.values()].find((m) => m.name === '@ferrite/core');
  writeFileSync(join(work, '.changeset/core-minor.md'), `---\n'@ferrite/core': minor\n---\n\nA core minor.\n`);
  execFileSync(join(root, 'node_modules/.bin/changeset'), ['version'], { cwd: work, stdio: 'pipe' });

  const failures = [];
  const [major, minor] = core.version.split('.').map(Number);
  for (const [dir, before] of manifests) {
    const after = JSON.parse(readFileSync(join(work, dir, 'package.json'), 'utf8'));
    if (before.name === '@ferrite/core') {
      if (after.version !== `${major}.${minor + 1}.0`) failures.push(`core went from ${before.version} to ${after.version}, not a minor`);
    } else if (after.version !== before.version) {
      failures.push(`a core minor also bumped ${before.name} from ${before.version} to ${after.version}`);
    }
    if (JSON.stringify(after.peerDependencies) !== JSON.stringify(before.peerDependencies)) failures.push(`a core minor rewrote the peer ranges of ${before.name}`);
    if (before.private && existsSync(join(work, dir, 'CHANGELOG.md'))) failures.push(`private ${before.name} got a CHANGELOG`);
  }
  if (failures.length > 0) {
    console.error(`check-release-plan failed:\n- ${failures.join('\n- ')}`);
    process.exitCode = 1;
  } else {
    console.log('check-release-plan: a core minor bumps core alone');
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
