#!/usr/bin/env node
// The `mutual` command. The bundle is built by `npm run build` (esbuild, dist/cli.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  console.error('mutual: dist/cli.js is missing; run `npm run build` first.');
  process.exit(2);
}
const { main } = await import(bundle.href);
process.exitCode = await main(process.argv.slice(2));
