// Room: test (network). The address book of followed peers: bounded, bound to each peer, saved late and on flush,
// and a damaged saved book is ignored rather than fatal.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import assert from 'node:assert/strict';
import { memoryStorage } from '../../src/engine/index.ts';
import { ADDRESS_BOOK_KEY, ADDRESS_BOOK_LIMITS, AddressBook } from '../../src/network/address-book.ts';

const newPeerId = async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString();

describe('network: address book', () => {
  it('binds addresses to their peer, drops another peer\'s, keeps at most 8, and saves on flush; a new book loads it', async () => {
    const [ana, ben] = [await newPeerId(), await newPeerId()];
    const storage = memoryStorage();
    const book = new AddressBook(storage);
    const many = Array.from({ length: 12 }, (_, index) => `/ip4/127.0.0.1/tcp/${4000 + index}`);
    book.remember(ana, [`/ip4/10.0.0.1/tcp/4001/p2p/${ben}`, ...many]);
    assert.equal(book.addressesOf(ana).length, ADDRESS_BOOK_LIMITS.maxAddresses);
    assert.ok(book.addressesOf(ana).every((address) => address.endsWith(`/p2p/${ana}`)), 'bound to ana; ben\'s address dropped');
    assert.equal(storage.data.has(ADDRESS_BOOK_KEY), false, 'saved late, not at once');
    await book.flush();
    const reloaded = new AddressBook(storage);
    await reloaded.load();
    assert.deepEqual(reloaded.addressesOf(ana), book.addressesOf(ana));
    assert.deepEqual(reloaded.addressesOf(ben), []);
  });

  it('forgets the least recently identified peer beyond the bound', async () => {
    const book = new AddressBook(undefined);
    const peers = await Promise.all(Array.from({ length: ADDRESS_BOOK_LIMITS.maxPeers + 1 }, newPeerId));
    for (const peer of peers) book.remember(peer, ['/ip4/127.0.0.1/tcp/4001']);
    assert.deepEqual(book.addressesOf(peers[0]!), []);
    assert.equal(book.addressesOf(peers.at(-1)!).length, 1);
  });

  it('ignores a damaged saved book, and a failed save is reported, not thrown, and tried again at the next flush', async () => {
    const damaged = new AddressBook(memoryStorage({ [ADDRESS_BOOK_KEY]: { not: 'a book' } }));
    await damaged.load();
    const failures: string[] = [];
    let saves = 0;
    const failing = new AddressBook({ load: async () => undefined, save: async () => (saves++, Promise.reject(new Error('disk full'))) }, (error) => failures.push(error.message));
    failing.remember(await newPeerId(), ['/ip4/127.0.0.1/tcp/4001']);
    await failing.flush();
    await failing.flush();
    assert.deepEqual(failures, ['disk full', 'disk full']);
    assert.equal(saves, 2, 'the changes stay to be saved');
  });

  it('one peer\'s overlong address is not remembered, and a bad saved entry costs only itself (found by a review)', async () => {
    const [honest, long] = [await newPeerId(), await newPeerId()];
    const storage = memoryStorage();
    const book = new AddressBook(storage);
    book.remember(honest, ['/ip4/127.0.0.1/tcp/4001']);
    book.remember(long, [`/dns4/${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.example/tcp/4001`]);
    assert.deepEqual(book.addressesOf(long), []);
    await book.flush();
    const saved = storage.data.get(ADDRESS_BOOK_KEY) as unknown[];
    saved.push(['not a peer id!', ['x']], 42);
    const reloaded = new AddressBook(storage);
    await reloaded.load();
    assert.deepEqual(reloaded.addressesOf(honest), book.addressesOf(honest));
  });

  it('backs off after failed dials and forgets a peer after six, and a save under way is awaited by flush (found by a review)', async () => {
    const peer = await newPeerId();
    let finishSave: () => void = () => {};
    let saved = false;
    const book = new AddressBook({ load: async () => undefined, save: () => new Promise<void>((resolve) => (finishSave = () => ((saved = true), resolve()))) });
    book.remember(peer, ['/ip4/127.0.0.1/tcp/4001']);
    let now = 1_000_000;
    const delays: number[] = [];
    for (let failure = 1; failure <= ADDRESS_BOOK_LIMITS.maxFailures; failure++) {
      assert.equal(book.dialable(peer, now).length, 1, `dialable before failure ${failure}`);
      book.unreached(peer, now);
      let waited = 0;
      while (book.dialable(peer, now + waited).length === 0 && waited < 3_600_000) waited += 1_000;
      delays.push(waited);
      now += waited;
    }
    assert.deepEqual(delays.slice(0, 5), [3_000, 6_000, 12_000, 24_000, 48_000]);
    assert.deepEqual(book.addressesOf(peer), [], 'forgotten after six failed dials');
    // A save under way (as the 5 s timer starts one), then the flush of stop(): it resolves only once that save is done.
    const underWay = book.flush();
    const onStop = book.flush();
    let done = false;
    void onStop.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(done, false, 'the flush on stop waits for the save under way');
    finishSave();
    await Promise.all([underWay, onStop]);
    assert.equal(saved, true);
  });
});
