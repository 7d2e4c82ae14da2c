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

  it('ignores a damaged saved book, and a failed save is reported, not thrown', async () => {
    const damaged = new AddressBook(memoryStorage({ [ADDRESS_BOOK_KEY]: { not: 'a book' } }));
    await damaged.load();
    const failures: string[] = [];
    const failing = new AddressBook({ load: async () => undefined, save: async () => Promise.reject(new Error('disk full')) }, (error) => failures.push(error.message));
    failing.remember(await newPeerId(), ['/ip4/127.0.0.1/tcp/4001']);
    await failing.flush();
    assert.deepEqual(failures, ['disk full']);
  });
});
