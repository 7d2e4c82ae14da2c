// Room: extension tests (run INSIDE VS Code, one of two instances). May touch: vscode, mocha globals, node:assert.
// Two VS Code instances converge: scripts/vscode/run-tests.ts starts two VS Code servers, each with its own identity
// (MUTUAL_IDENTITY_FILE) and this suite, told the partner's peer id and its own part (MUTUAL_TEST_PAIR). Both join the
// same libp2p network through a headless bootstrap peer on 127.0.0.1, declare through commands, recognize each other,
// and each waits until both flows (mine to the partner, the partner's to me) reach the expected amounts.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MutualExtensionApi } from '../../src/extension/extension.ts';

const EXTENSION_ID = 'mutual-dev.mutual';

export interface PairPart {
  readonly name: string;
  readonly partner: string;
  /** What this instance declares: one capacity and one need of type review. */
  readonly capacity: number;
  readonly need: number;
  readonly partnerCapacity: number;
  readonly partnerNeed: number;
}

async function until(description: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function pairSuite(part: PairPart): void {
  describe(`two VS Code instances (this one: ${part.name})`, function () {
    let api: MutualExtensionApi;

    before(async function () {
      api = await vscode.extensions.getExtension<MutualExtensionApi>(EXTENSION_ID)!.activate();
    });

    after(async function () {
      await vscode.commands.executeCommand('mutual.leaveNetwork');
    });

    it('declare through commands, recognize each other, and converge to the same allocations', async function () {
      this.timeout(120_000);
      await vscode.commands.executeCommand('mutual.joinNetwork');
      assert.match(api.service.myAddress() ?? '', /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);
      const self = api.service.selfId()!;
      assert.notEqual(self, part.partner);
      await vscode.commands.executeCommand('mutual.declareCapacity', { id: `${part.name}-review`, type: 'review', quantity: part.capacity });
      await vscode.commands.executeCommand('mutual.declareNeed', { id: `${part.name}-needs-review`, type: 'review', quantity: part.need });
      await vscode.commands.executeCommand('mutual.setRecognition', { peer: part.partner, weight: 1 });
      // One mutual partner and no self-recognition: each capacity goes to the partner, capped by the partner's need.
      const mine = Math.min(part.capacity, part.partnerNeed);
      const theirs = Math.min(part.partnerCapacity, part.need);
      const flow = (provider: string, recipient: string) =>
        api.service
          .viewModel()
          .allocations.filter((row) => row.provider === provider && row.recipient === recipient)
          .reduce((sum, row) => sum + row.quantity, 0);
      await until(
        `my ${mine} to the partner and the partner's ${theirs} to me, converged`,
        () => Math.abs(flow(self, part.partner) - mine) < 1e-6 && Math.abs(flow(part.partner, self) - theirs) < 1e-6 && api.service.viewModel().converged,
        90_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; saw ${flow(self, part.partner)} and ${flow(part.partner, self)}, converged ${api.service.viewModel().converged}`);
      });
      const partner = api.service.viewModel().peers.find((peer) => peer.id === part.partner);
      assert.equal(partner?.tier, 'primary', 'mutual recognition makes the partner a primary peer');
      console.log(`      ${part.name}: gives ${mine} to the partner and receives ${theirs}, converged in round ${api.service.viewModel().round}`);
    });
  });
}
