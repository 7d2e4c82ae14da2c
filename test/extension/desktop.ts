// Room: extension tests (run INSIDE desktop VS Code by @vscode/test-cli). May touch: mocha globals.
// @vscode/test-cli loads test files into its own mocha, so this entry declares the same suite at the top level.
// (scripts/vscode/run-tests.ts runs it in the VS Code server through index.ts instead.)
import { suite } from './extension.test.ts';

suite();
