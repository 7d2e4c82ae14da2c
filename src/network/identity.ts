// Room: network. May touch: node:fs, @libp2p/crypto, @libp2p/peer-id.
// The headless peer's identity: an Ed25519 private key in <data dir>/identity.key (protobuf, libp2p's format),
// mode 0600. It is written to a temporary file (fsync) and then linked into place, which fails when the key exists:
// a crash never leaves half a key, and of two processes creating an identity at once one wins and the other loads it.
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const IDENTITY_FILE = 'identity.key';

export async function loadIdentity(dataDir: string): Promise<PrivateKey | undefined> {
  const path = join(dataDir, IDENTITY_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Named: "EISDIR: illegal operation on a directory, read" did not say which file (found by an operator pass).
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (error) {
    throw new Error(`${path} is not a valid identity key (${bytes.length} bytes: ${(error as Error).message})`, { cause: error });
  }
  if (key.type !== 'Ed25519') throw new Error(`${path} holds a ${key.type} key, not Ed25519`);
  return key;
}

/**
 * Writes `bytes` to `path` unless it exists, complete or not at all: temporary file, fsync, then link(2), which never
 * replaces a file. Resolves to false when `path` exists already. (Also the headless peer's data-dir lock.)
 */
export async function writeFileExclusive(path: string, bytes: Uint8Array, mode: number): Promise<boolean> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

/** Loads the identity, or creates one when there is none. `created` says which. */
export async function loadOrCreateIdentity(dataDir: string): Promise<{ privateKey: PrivateKey; peerId: string; created: boolean }> {
  const existing = await loadIdentity(dataDir);
  if (existing !== undefined) return { privateKey: existing, peerId: peerIdFromPrivateKey(existing).toString(), created: false };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const privateKey = await generateKeyPair('Ed25519');
  // Named by the file wanted: the error named the temporary file it is written through (found by an operator pass).
  const written = await writeFileExclusive(join(dataDir, IDENTITY_FILE), privateKeyToProtobuf(privateKey), 0o600).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot create ${join(dataDir, IDENTITY_FILE)}: ${error.code ?? error.message}`, { cause: error });
  });
  if (!written) {
    // Another process created the identity first: use that one, so both run under the same peer id.
    const winner = await loadIdentity(dataDir);
    if (winner === undefined) throw new Error(`${join(dataDir, IDENTITY_FILE)} vanished while it was created`);
    return { privateKey: winner, peerId: peerIdFromPrivateKey(winner).toString(), created: false };
  }
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), created: true };
}
