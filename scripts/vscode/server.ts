// Room: VS Code test harness. May touch: child processes (the VS Code server from code-server), playwright-core,
// Debian chromium, temporary folders. Everything listens on 127.0.0.1; every wait is bounded.
// Starts the real VS Code server bundled in the npm package code-server (see scripts/vscode/setup.sh) and opens its
// workbench in headless Chromium, optionally with a development payload (extension under development, tests).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = join(import.meta.dirname, '..', '..');
const TOOLS = process.env.MUTUAL_TOOLS ?? join(homedir(), '.cache', 'mutual-tools');
const CODE_SERVER_VERSION = process.env.CODE_SERVER_VERSION ?? '4.139.1';
export const SERVER_MAIN = join(TOOLS, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function requireTools(): void {
  if (!existsSync(SERVER_MAIN) || !existsSync(CHROMIUM)) {
    throw new Error(`the VS Code server or chromium is missing; run: bash scripts/vscode/setup.sh (looked for ${SERVER_MAIN} and ${CHROMIUM})`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface VsCodeServer {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Installs a packaged extension (.vsix) into `extensionsDir` as a user's VS Code would (the server's
 * --install-extension); throws with the server's output unless it says so.
 */
export function installExtension(vsix: string, extensionsDir: string): void {
  requireTools();
  const run = spawnSync(process.execPath, [SERVER_MAIN, '--install-extension', vsix, '--extensions-dir', extensionsDir, '--accept-server-license-terms'], { encoding: 'utf8', timeout: 60_000 });
  const output = `${run.stdout}${run.stderr}`;
  if (run.status !== 0 || !/successfully installed/.test(output)) throw new Error(`installing ${vsix} failed (exit ${run.status}): ${output.trim()}`);
}

/** `env` adds to the server's environment, which its extension host inherits (e.g. MUTUAL_IDENTITY_FILE). */
/** `disableWorkspaceTrust`: for the demo and UI tests, whose generated workspaces would otherwise open restricted. */
/** `extensionsDir`: where its installed extensions are (installExtension), instead of the server data dir's. */
export async function startServer(options: { port?: number; dataDir?: string; log?: (line: string) => void; timeoutMs?: number; env?: Record<string, string>; disableWorkspaceTrust?: boolean; extensionsDir?: string } = {}): Promise<VsCodeServer> {
  requireTools();
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'mutual-vscode-'));
  const child = spawn(
    process.execPath,
    [SERVER_MAIN, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token', '--accept-server-license-terms', '--enable-smoke-test-driver', '--disable-telemetry', '--server-data-dir', dataDir, ...(options.disableWorkspaceTrust === true ? ['--disable-workspace-trust'] : []), ...(options.extensionsDir === undefined ? [] : ['--extensions-dir', options.extensionsDir])],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: false, env: { ...process.env, ...options.env } },
  );
  const log = options.log ?? (() => {});
  let ready = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the VS Code server did not start within the timeout')), options.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) log(`[server] ${line}`);
      if (!ready && /Extension host agent listening|Server bound to|listening on/i.test(chunk.toString())) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`the VS Code server exited with ${code} before it was ready`));
    });
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** The workbench URL for a folder, with a development payload for an extension (and optionally its tests). */
export function workbenchUrl(server: VsCodeServer, folder: string, development?: { extensionPath: string; testsPath?: string }): string {
  const remote = (path: string) => `vscode-remote://127.0.0.1:${server.port}${path}`;
  const payload: [string, string][] = [];
  if (development) {
    payload.push(['extensionDevelopmentPath', remote(development.extensionPath)]);
    if (development.testsPath) payload.push(['extensionTestsPath', remote(development.testsPath)]);
  }
  payload.push(['skipWelcome', 'true']);
  return `${server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export async function launchBrowser(headless = true): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  return context.newPage();
}

/** Resolves with the value, or rejects after the timeout with the description. */
export function withTimeout<T>(promise: Promise<T>, ms: number, description: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${description}`)), ms)))]).finally(() => clearTimeout(timer));
}
