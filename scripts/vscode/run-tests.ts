// Room: VS Code test harness. May touch: esbuild, ./server.ts, ../peer-process.ts, test/extension (bundled into out/).
// `npm run test:vscode`: bundles test/extension into out/extension-tests.cjs and runs it inside the real VS Code
// server (code-server's) in headless Chromium, twice:
//   1. the extension suite in one VS Code (commands, views, panel, a headless peer over libp2p);
//   2. two VS Code instances at once (two servers, two identities) joined through a headless bootstrap peer on
//      127.0.0.1, each running its part of the pair suite: both must converge to the same allocations.
// Exit code 0 only when both pass. Every run is bounded by a hard timeout.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { format } from 'node:util';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { keygen, startHeadlessPeer, stopChildren } from '../peer-process.ts';
import { launchBrowser, newPage, ROOT, startServer, withTimeout, workbenchUrl } from './server.ts';
import type { Browser } from 'playwright-core';

const HARD_TIMEOUT_MS = Number(process.env.MUTUAL_VSCODE_TEST_TIMEOUT_MS ?? 240_000);
const verbose = process.argv.includes('--verbose');
const TESTS = join(ROOT, 'out/extension-tests.cjs');

// index.ts for the VS Code server (run() entry); desktop.ts for desktop VS Code via @vscode/test-cli (.vscode-test.mjs).
for (const [entry, outfile] of [['index.ts', TESTS], ['desktop.ts', join(ROOT, 'out/extension-desktop-tests.cjs')]] as const) {
  await esbuild.build({
    entryPoints: [join(ROOT, 'test/extension', entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    sourcemap: true,
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
}
if (process.argv.includes('--bundle-only')) process.exit(0);

function workspaceWith(settings: Record<string, unknown>): string {
  const workspace = mkdtempSync(join(tmpdir(), 'mutual-workspace-'));
  mkdirSync(join(workspace, '.vscode'));
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  return workspace;
}

/** Runs the test bundle in one VS Code server; resolves to mocha's exit code (0 pass). */
async function runInVsCode(browser: Browser, label: string, options: { settings: Record<string, unknown>; env?: Record<string, string>; disableWorkspaceTrust?: boolean }): Promise<number> {
  const prefix = label === '' ? '' : `[${label}] `;
  const server = await startServer({ log: verbose ? (line) => console.log(prefix + line) : undefined, env: options.env, disableWorkspaceTrust: options.disableWorkspaceTrust });
  const page = await newPage(browser);
  try {
    const exited = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const line = format(...(Array.isArray(args) ? args : [args]));
      // Built-in extensions fail to reach the marketplace offline; that noise is not ours.
      if (!verbose && /github\.com|open-vsx|marketplace|ChatModelSelection|queryGallery|getExtensions|workbench\.js:\d+|AgentHost|AccountPolicyGate|socket|connection token|grace time|Service Worker|builtin extensions cache/.test(line)) return;
      if (type === 'error') console.error(prefix + line);
      else console.log(prefix + line);
    });
    await page.goto(workbenchUrl(server, workspaceWith(options.settings), { extensionPath: ROOT, testsPath: TESTS }));
    return await withTimeout(exited, HARD_TIMEOUT_MS, `the extension tests${label === '' ? '' : ` (${label})`} to finish in VS Code`);
  } finally {
    // The page goes first, or its workbench logs reconnection attempts to the stopped server.
    await page.context().close().catch(() => undefined);
    await server.stop();
  }
}

/** Two VS Code instances with their own identities, joined through a headless bootstrap peer. */
async function runPair(browser: Browser): Promise<number> {
  const folder = mkdtempSync(join(tmpdir(), 'mutual-pair-'));
  const network = 'mutual-pair-test';
  const children: ChildProcess[] = [];
  try {
    const bootstrap = await startHeadlessPeer(join(folder, 'bootstrap'), network, [], (child) => children.push(child));
    const ids = { ada: keygen(join(folder, 'ada')), bo: keygen(join(folder, 'bo')) };
    const declared = { ada: { capacity: 4, need: 5 }, bo: { capacity: 6, need: 3 } };
    const settings = {
      'mutual.engine.coordinationGossipMs': 300,
      'mutual.network.transport': 'libp2p',
      'mutual.network.name': network,
      'mutual.network.bootstrapPeers': [bootstrap],
      'mutual.network.listenAddresses': ['/ip4/127.0.0.1/tcp/0'],
      'mutual.network.mdns': false,
    };
    const part = (name: 'ada' | 'bo', partner: 'ada' | 'bo') => ({
      MUTUAL_IDENTITY_FILE: join(folder, name, 'identity.key'),
      MUTUAL_TEST_PAIR: JSON.stringify({ name, partner: ids[partner], capacity: declared[name].capacity, need: declared[name].need, partnerCapacity: declared[partner].capacity, partnerNeed: declared[partner].need }),
    });
    const codes = await Promise.all([
      runInVsCode(browser, 'ada', { settings, env: part('ada', 'bo'), disableWorkspaceTrust: true }),
      runInVsCode(browser, 'bo', { settings, env: part('bo', 'ada'), disableWorkspaceTrust: true }),
    ]);
    return codes.every((code) => code === 0) ? 0 : 1;
  } finally {
    await stopChildren(children);
  }
}

const browser = await launchBrowser();
let exitCode = 1;
try {
  // The suite keeps everything on 127.0.0.1 with mDNS off (see its before()); faster gossip keeps it short.
  const single = await runInVsCode(browser, '', { settings: { 'mutual.engine.coordinationGossipMs': 300, 'mutual.network.mdns': false } });
  console.log(`\ntwo VS Code instances (ada and bo):`);
  const pair = await runPair(browser);
  exitCode = single === 0 && pair === 0 ? 0 : 1;
  if (pair !== 0) console.error('the two-instance test failed');
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  await browser.close().catch(() => undefined);
}
console.log(`VS Code tests ${exitCode === 0 ? 'passed' : `failed (exit ${exitCode})`}`);
process.exit(exitCode);
