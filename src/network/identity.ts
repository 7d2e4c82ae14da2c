// Room: network. May touch: node:fs, @libp2p/crypto, @libp2p/peer-id.
// The headless peer's identity: an Ed25519 private key in <data dir>/identity.key (protobuf, libp2p's format),
// mode 0600, written atomically so a crash never leaves half a key.
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

export const IDENTITY_FILE = 'identity.key';

export async function loadIdentity(dataDir: string): Promise<PrivateKey | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dataDir, IDENTITY_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = privateKeyFromProtobuf(bytes);
  if (key.type !== 'Ed25519') throw new Error(`${join(dataDir, IDENTITY_FILE)} holds a ${key.type} key, not Ed25519`);
  return key;
}

/** Loads the identity, or creates one when there is none. `created` says which. */
export async function loadOrCreateIdentity(dataDir: string): Promise<{ privateKey: PrivateKey; peerId: string; created: boolean }> {
  const existing = await loadIdentity(dataDir);
  if (existing !== undefined) return { privateKey: existing, peerId: peerIdFromPrivateKey(existing).toString(), created: false };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const privateKey = await generateKeyPair('Ed25519');
  await writeFileAtomic(join(dataDir, IDENTITY_FILE), Buffer.from(privateKeyToProtobuf(privateKey)), { mode: 0o600, fsync: true });
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), created: true };
}
