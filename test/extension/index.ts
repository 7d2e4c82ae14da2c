// Room: extension tests (run INSIDE VS Code). May touch: mocha, vscode.
// The test entry VS Code loads (extensionTestsPath): run() resolves when mocha passes and rejects otherwise, as
// @vscode/test-electron and the VS Code server harness (scripts/vscode/run-tests.ts) both expect. With
// MUTUAL_TEST_PAIR set (by the harness) this instance runs its part of the two-instance test instead.
import Mocha from 'mocha';
import { suite } from './extension.test.ts';
import { pairSuite, type PairPart } from './pair.test.ts';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'extension', mocha);
  const pair = process.env.MUTUAL_TEST_PAIR;
  if (pair !== undefined && pair !== '') pairSuite(JSON.parse(pair) as PairPart);
  else suite();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
}
