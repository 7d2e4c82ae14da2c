// Room: extension tests (run INSIDE VS Code). May touch: mocha, vscode.
// The test entry VS Code loads (extensionTestsPath): run() resolves when mocha passes and rejects otherwise, as
// @vscode/test-electron and the VS Code server harness (scripts/vscode/run-tests.ts) both expect.
import Mocha from 'mocha';
import { suite } from './extension.test.ts';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'extension', mocha);
  suite();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
}
