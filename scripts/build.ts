// Room: build script. Bundles with esbuild: the CLI (node ESM), and — when present — the extension (node CJS,
// vscode external) and the webview (browser). `--watch` rebuilds on change.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const root = join(import.meta.dirname, '..');
const production = process.argv.includes('--production');

const targets: esbuild.BuildOptions[] = [
  {
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: join(root, 'dist/cli.js'),
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __mutualCreateRequire } from 'node:module'; const require = __mutualCreateRequire(import.meta.url);" },
    // write-file-atomic (CommonJS) reads __filename, which an ESM bundle does not define: load it from node_modules.
    external: ['write-file-atomic'],
  },
  {
    entryPoints: [join(root, 'src/extension/extension.ts')],
    outfile: join(root, 'dist/extension.cjs'),
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['vscode'],
  },
  {
    entryPoints: [join(root, 'webview/src/main.ts')],
    outfile: join(root, 'dist/webview.js'),
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
  },
];

const present = targets.filter((target) => existsSync((target.entryPoints as string[])[0]!));
await Promise.all(
  present.map((target) =>
    esbuild.build({ bundle: true, sourcemap: true, minify: production, logLevel: 'warning', ...target }),
  ),
);
console.log(`built ${present.map((target) => target.outfile!.slice(root.length + 1)).join(', ')}`);
