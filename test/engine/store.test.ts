// Room: test (engine). The store factory: validation, the conflict rules of spec 8.3, ordered debounced persistence.
import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { createStore, memoryStorage, resolveConflict, VirtualScheduler } from '../../src/engine/index.ts';
import type { SignedRecord } from '../../src/protocol/schemas.ts';
import { signRecord, type UnsignedRecord } from '../../src/protocol/signature.ts';
import { flushMicrotasks } from './harness.ts';

async function author() {
  const key = await generateKeyPair('Ed25519');
  const id = peerIdFromPrivateKey(key).toString();
  const sign = (sequence: number, displayName: string, clock: Record<string, number> = { [id]: sequence }) =>
    signRecord({ version: '1.0', network: 'team', kind: 'state', author: id, sequence, clock, issuedAt: '2026-11-24T10:00:00Z', payload: { displayName } } as UnsignedRecord, key);
  return { id, sign };
}

describe('store factory', () => {
  it('applies the conflict rules: higher sequence replaces, lower is stale, identical is a duplicate', async () => {
    const scheduler = new VirtualScheduler();
    const store = createStore({ kind: 'state', persistDebounceMs: 100, cacheable: true, storage: memoryStorage(), scheduler });
    const ana = await author();
    const first = await ana.sign(1, 'Ana');
    const second = await ana.sign(2, 'Ana B.');
    assert.equal(store.set(first), 'accepted');
    assert.equal(store.set(second), 'accepted');
    assert.equal(store.set(first), 'stale');
    assert.equal(store.set(second), 'duplicate');
    assert.equal(store.get(ana.id)?.payload.displayName, 'Ana B.');
    assert.deepEqual({ ...store.counters }, { accepted: 2, stale: 1, duplicate: 1, equivocations: 0, invalid: 0 });
  });

  it('resolves equivocation by causal clock, then deterministically by signature, the same on every peer', async () => {
    const ana = await author();
    const earlier = await ana.sign(3, 'one', { [ana.id]: 3 });
    const later = await ana.sign(3, 'two', { [ana.id]: 3, other: 1 });
    assert.equal(resolveConflict(earlier, later), 'equivocation-replaced');
    assert.equal(resolveConflict(later, earlier), 'equivocation-ignored');
    const x = await ana.sign(4, 'x', { a: 1 });
    const y = await ana.sign(4, 'y', { b: 1 });
    const [low, high] = x.signature < y.signature ? [x, y] : [y, x];
    assert.equal(resolveConflict(low, high), 'equivocation-replaced');
    assert.equal(resolveConflict(high, low), 'equivocation-ignored');
  });

  it('rejects and counts invalid input without touching the records', async () => {
    const reasons: string[] = [];
    const store = createStore({ kind: 'state', persistDebounceMs: 10, cacheable: true, storage: memoryStorage(), scheduler: new VirtualScheduler(), onInvalid: (reason) => reasons.push(reason) });
    const ana = await author();
    const record = await ana.sign(1, 'Ana');
    assert.equal(store.set({ ...record, payload: { displayName: 5 } }), 'invalid');
    assert.equal(store.set({ ...record, kind: 'relationships', payload: { recognition: {} } }), 'invalid');
    assert.equal(store.set('nonsense'), 'invalid');
    assert.equal(store.records.value.size, 0);
    assert.equal(store.counters.invalid, 3);
    assert.equal(reasons.length, 3);
  });

  it('persists after the debounce, in order, without losing updates that arrive during a write', async () => {
    const scheduler = new VirtualScheduler();
    const storage = memoryStorage();
    const saved: string[] = [];
    const gates: (() => void)[] = [];
    const slowStorage = {
      load: storage.load,
      save: async (key: string, value: unknown) => {
        await new Promise<void>((resolve) => gates.push(resolve));
        saved.push((value as SignedRecord[]).map((entry) => (entry.payload as { displayName: string }).displayName).join(','));
        await storage.save(key, value);
      },
    };
    const store = createStore({ kind: 'state', persistDebounceMs: 100, cacheable: true, storage: slowStorage, scheduler });
    const ana = await author();
    store.set(await ana.sign(1, 'v1'));
    scheduler.advance(50);
    await flushMicrotasks();
    assert.equal(gates.length, 0, 'no write before the debounce');
    scheduler.advance(60);
    await flushMicrotasks();
    assert.equal(gates.length, 1, 'the write started after the debounce');
    // An update while the first write is still in flight: it is queued behind it, not lost and not reordered.
    store.set(await ana.sign(2, 'v2'));
    scheduler.advance(200);
    await flushMicrotasks();
    assert.equal(gates.length, 1, 'the second write waits for the first');
    gates.shift()!();
    for (let attempt = 0; attempt < 20 && gates.length === 0; attempt++) await flushMicrotasks();
    assert.deepEqual(saved, ['v1']);
    gates.shift()!();
    for (let attempt = 0; attempt < 20 && saved.length < 2; attempt++) await flushMicrotasks();
    assert.deepEqual(saved, ['v1', 'v2']);
    const reloaded = createStore({ kind: 'state', persistDebounceMs: 100, cacheable: true, storage, scheduler });
    await reloaded.initialize();
    assert.equal(reloaded.get(ana.id)?.payload.displayName, 'v2');
  });

  it('subscribeToPeer hears only that author, and dispose stops it', async () => {
    const store = createStore({ kind: 'state', persistDebounceMs: 10, cacheable: false, storage: memoryStorage(), scheduler: new VirtualScheduler() });
    const ana = await author();
    const ben = await author();
    const heard: (string | undefined)[] = [];
    const subscription = store.subscribeToPeer(ana.id, (record) => heard.push(record?.payload.displayName));
    store.set(await ben.sign(1, 'Ben'));
    store.set(await ana.sign(1, 'Ana'));
    subscription.dispose();
    store.set(await ana.sign(2, 'Ana 2'));
    assert.deepEqual(heard, [undefined, 'Ana']);
  });
});
