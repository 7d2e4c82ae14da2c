// Room: VS Code demo launcher (`npm start`). May touch: ./server.ts, ./demo-team.ts, ./setup.sh, child processes,
// ~/.cache/mutual-demo.
// Builds the extension and opens it in a real VS Code joined to a local demo network of headless peers (the embedded
// sample team as `mutual peer` processes on 127.0.0.1): desktop `code` when installed, otherwise the VS Code server
// from code-server on http://127.0.0.1:<port>. Stop it with Ctrl+C (it stops the teammates too). Its data lives in
// ~/.cache/mutual-demo (MUTUAL_DEMO_DIR): the teammates' data dirs and logs, your demo identity, the workspace and the
// server's data. `--smoke`: opens the workbench in headless Chromium, waits for convergence, saves
// docs/extension-panel.png and exits.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startDemoTeam } from './demo-team.ts';
import { CHROMIUM, freePort, launchBrowser, newPage, ROOT, SERVER_MAIN, startServer, withTimeout, workbenchUrl } from './server.ts';

const smoke = process.argv.includes('--smoke');
const forceServer = smoke || process.argv.includes('--server') || process.env.MUTUAL_START_SERVER === '1';
const demoDir = process.env.MUTUAL_DEMO_DIR ?? join(homedir(), '.cache', 'mutual-demo');
const workspace = join(demoDir, 'workspace');

/** Whether 127.0.0.1:port can be listened on (checked before anything starts, so a busy port leaves nothing behind). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

const requestedPort = process.env.MUTUAL_PORT === undefined ? undefined : Number(process.env.MUTUAL_PORT);
if (requestedPort !== undefined && !(Number.isInteger(requestedPort) && requestedPort > 0 && requestedPort < 65536)) {
  console.error(`npm start: MUTUAL_PORT=${process.env.MUTUAL_PORT} is not a port number`);
  process.exit(1);
}
if (!smoke && !(await portIsFree(requestedPort ?? 8765))) {
  console.error(
    `npm start: port ${requestedPort ?? 8765} on 127.0.0.1 is in use (another \`npm start\`?). Stop that, or pick another port: MUTUAL_PORT=8766 npm start`,
  );
  process.exit(1);
}

console.log('building the extension and the mutual command…');
execFileSync(process.execPath, [join(ROOT, 'scripts/build.ts')], { stdio: 'inherit' });

console.log('starting the demo team (Ana, Ben, Chen, Dara) as headless peers on 127.0.0.1…');
const team = await startDemoTeam(join(demoDir, 'team'));
for (const teammate of team.teammates) console.log(`  ${teammate.name.padEnd(5)} ${teammate.peerId}  (log: ${join(teammate.dataDir, 'peer.log')})`);
console.log(`  you   ${team.userPeerId}`);
mkdirSync(join(workspace, '.vscode'), { recursive: true });
writeFileSync(
  join(workspace, '.vscode', 'settings.json'),
  JSON.stringify({ ...team.workspaceSettings, 'mutual.autoJoin': true, 'mutual.openPanelOnStart': true, 'mutual.displayName': 'You' }, null, 2),
);
writeFileSync(
  join(workspace, 'README.md'),
  '# Mutual demo workspace\n\nThe Mutual panel shows the demo team (four headless peers on this machine). Try "Mutual: Declare Need" and "Mutual: Set Recognition" from the command palette (F1).\n',
);
const userEnv = { MUTUAL_IDENTITY_FILE: team.userIdentityFile };

const hasDesktopCode = !forceServer && spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasDesktopCode) {
  console.log(`opening desktop VS Code with the extension under development (workspace ${workspace})`);
  spawn('code', ['--new-window', `--extensionDevelopmentPath=${ROOT}`, workspace], { stdio: 'inherit', detached: true, env: { ...process.env, ...userEnv } }).unref();
  console.log(`\nThe demo team keeps running until Ctrl+C. Data: ${demoDir}\n`);
  const stopTeam = async () => {
    await team.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stopTeam());
  process.on('SIGTERM', () => void stopTeam());
  await new Promise(() => {});
}

if (!existsSync(SERVER_MAIN) || !existsSync(CHROMIUM)) {
  console.log('installing the VS Code server (code-server) and chromium once: scripts/vscode/setup.sh');
  execFileSync('bash', [join(ROOT, 'scripts/vscode/setup.sh')], { stdio: 'inherit' });
}

const port = requestedPort ?? (smoke ? await freePort() : 8765);
let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer({ port, dataDir: join(demoDir, 'server-data'), env: userEnv, disableWorkspaceTrust: true });
} catch (error) {
  // The teammates are ours: a server that did not come up must not leave them running.
  console.error(`npm start: the VS Code server did not start on port ${port}: ${error instanceof Error ? error.message : String(error)}`);
  await team.stop();
  process.exit(1);
}
const url = workbenchUrl(server, workspace, { extensionPath: ROOT });
const stop = async () => {
  await server.stop();
  await team.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

if (!smoke) {
  console.log(`\nMutual demo: open this address in a browser (VS Code, joined to the demo team):\n\n  ${url}\n\nData: ${demoDir}   Stop: Ctrl+C\n`);
  server.process.once('exit', (code) => void team.stop().then(() => process.exit(code ?? 0)));
} else {
  const browser = await launchBrowser();
  let code = 0;
  try {
    const page = await newPage(browser);
    await page.goto(url);
    await withTimeout(
      (async () => {
        // Converged with the whole team in view: "converged" alone can come before every teammate is known.
        await page.locator('.statusbar-item', { hasText: /\b4 peers\b.*converged/ }).first().waitFor({ timeout: 60_000 });
        // The panel opens by itself (mutual.openPanelOnStart); wait for its content.
        for (let tries = 0; tries < 120; tries++) {
          const frames = page.frames();
          let found = false;
          for (const frame of frames) if ((await frame.locator('mutual-app').count().catch(() => 0)) > 0) found = true;
          if (found) break;
          await page.waitForTimeout(250);
        }
        await page.waitForTimeout(1500);
      })(),
      90_000,
      'the demo to converge',
    );
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'docs/extension-panel.png') });
    console.log('smoke: converged; screenshot docs/extension-panel.png');
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    code = 1;
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
    await team.stop();
  }
  process.exit(code);
}
