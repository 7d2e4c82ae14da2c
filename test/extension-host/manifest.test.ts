// Room: test (extension host side, plain mocha). The menus package.json contributes, against its commands.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

interface MenuItem {
  readonly command: string;
  readonly when?: string;
}
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { contributes: { commands: { command: string }[]; menus: Record<string, MenuItem[]> } };
const { commands, menus } = manifest.contributes;

describe('extension manifest: menus', function () {
  it('names only contributed commands', function () {
    const contributed = new Set(commands.map((entry) => entry.command));
    const unknown = Object.values(menus).flat().filter((item) => !contributed.has(item.command));
    assert.deepEqual(unknown, []);
  });

  it('offers both declarations in the Peers view\'s title bar (it had Declare Capacity only: a usability pass)', function () {
    const title = (menus['view/title'] ?? []).filter((item) => item.when?.startsWith('view == mutual.peers')).map((item) => item.command);
    assert.ok(title.includes('mutual.declareCapacity') && title.includes('mutual.declareNeed'), title.join(', '));
  });

  it('gives a peer\'s row a context menu: Set Recognition for that peer (views.ts: contextValue mutualPeer)', function () {
    const rows = (menus['view/item/context'] ?? []).filter((item) => item.when === 'view == mutual.peers && viewItem == mutualPeer').map((item) => item.command);
    assert.deepEqual(rows, ['mutual.setRecognition']);
  });
});
