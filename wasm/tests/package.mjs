// The npm package as a user's project has it: the tarball that wasm/build.sh packs, installed with
// `npm install <tarball>` into a project folder, and loaded from there both ways, `require` and
// `import`. WAAS_NPM_PROJECT names such a folder (bindings/test.sh makes one); without it a
// temporary one is made from target/npm/waas-wasm.tgz (WAAS_NPM_TARBALL) and removed on exit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Installs the tarball into `dir` (a new temporary folder by default) as a user would. */
export function installTarball(tarball = process.env.WAAS_NPM_TARBALL ?? path.join(root, 'target/npm/waas-wasm.tgz'),
  dir = mkdtempSync(path.join(os.tmpdir(), 'waas-npm-'))) {
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'waas-npm-user', private: true }, null, 2));
  // No registry needed: the package has no dependencies.
  execFileSync('npm', ['install', tarball, '--no-audit', '--no-fund', '--offline', '--silent'], { cwd: dir, stdio: 'inherit' });
  return dir;
}

let project = process.env.WAAS_NPM_PROJECT;
if (!project) {
  project = installTarball();
  const made = project;
  process.on('exit', () => rmSync(made, { recursive: true, force: true }));
}
export { project };

// `import 'waas-wasm'` resolves from the importing file: a module inside the project does it.
const entry = path.join(project, 'waas-import.mjs');
writeFileSync(entry, "export * from 'waas-wasm';\nexport { default } from 'waas-wasm';\n");

const requireFromProject = createRequire(path.join(project, 'package.json'));
/** Where the installed package is (its folder in the project's node_modules). */
export const packageDir = path.dirname(requireFromProject.resolve('waas-wasm/package.json'));
if (!packageDir.startsWith(path.join(project, 'node_modules') + path.sep)) {
  throw new Error(`waas-wasm resolves to ${packageDir}, not to the project's node_modules`);
}
/** require('waas-wasm') from the project. */
export const required = requireFromProject('waas-wasm');
/** import * as waas from 'waas-wasm' from the project. */
export const imported = await import(pathToFileURL(entry).href);
