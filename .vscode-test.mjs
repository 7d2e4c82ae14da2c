// Desktop VS Code via @vscode/test-cli (`npm run test:vscode:desktop`), where VS Code can be downloaded. The same
// suite runs here in the VS Code server (`npm run test:vscode`). The bundle is built by scripts/vscode/run-tests.ts
// --bundle-only.
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  files: 'out/extension-desktop-tests.cjs',
  version: 'stable',
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  mocha: { ui: 'bdd', timeout: 60_000 },
});
