// Room: VS Code test harness. May touch: esbuild, ./server.ts, test/extension (bundled into out/).
// `npm run test:vscode`: bundles test/extension into out/extension-tests.cjs and runs it inside the real VS Code
// server (code-server's) in headless Chromium. Exit code = mocha's result (0 pass). Bounded by a hard timeout.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { format } from 'node:util';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { launchBrowser, newPage, ROOT, startServer, withTimeout, workbenchUrl } from './server.ts';

const HARD_TIMEOUT_MS = Number(process.env.MUTUAL_VSCODE_TEST_TIMEOUT_MS ?? 240_000);
const verbose = process.argv.includes('--verbose');

await esbuild.build({
  entryPoints: [join(ROOT, 'test/extension/index.ts')],
  outfile: join(ROOT, 'out/extension-tests.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: true,
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});

const workspace = mkdtempSync(join(tmpdir(), 'mutual-workspace-'));
mkdirSync(join(workspace, '.vscode'));
// Faster gossip keeps the suite short. (The suite itself keeps everything on 127.0.0.1 with mDNS off; see its before().)
writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'mutual.engine.coordinationGossipMs': 300, 'mutual.network.mdns': false }, null, 2));

const server = await startServer({ log: verbose ? (line) => console.log(line) : undefined });
const browser = await launchBrowser();
let exitCode = 1;
try {
  const page = await newPage(browser);
  const exited = new Promise<number>((resolve) => {
    void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
  });
  await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
    const line = format(...(Array.isArray(args) ? args : [args]));
    // Built-in extensions fail to reach the marketplace offline; that noise is not ours.
    if (!verbose && /github\.com|open-vsx|marketplace|ChatModelSelection|queryGallery|getExtensions|workbench\.js:\d+/.test(line)) return;
    if (type === 'error') console.error(line);
    else console.log(line);
  });
  await page.goto(workbenchUrl(server, workspace, { extensionPath: ROOT, testsPath: join(ROOT, 'out/extension-tests.cjs') }));
  exitCode = await withTimeout(exited, HARD_TIMEOUT_MS, 'the extension tests to finish in VS Code');
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  await browser.close().catch(() => undefined);
  await server.stop();
}
console.log(`VS Code tests ${exitCode === 0 ? 'passed' : `failed (exit ${exitCode})`}`);
process.exit(exitCode);
