// Room: protocol (pure). May touch: @libp2p/crypto + @libp2p/peer-id (key math only, no networking), ./encoding, ./schemas.
// Application-level signatures (spec/PROTOCOL.md, "Signatures"): Ed25519 over a domain-separated message, so a record
// stays verifiable however it travels (gossip, relay, late-joiner sync). The signer's public key is inside its
// libp2p peer id, so author == signer is checked by verifying with the author's own id.
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey, peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import { canonicalJson, DecodeError, decodeJson, utf8Bytes } from './encoding.ts';
import { majorOf, MAX_RECORD_BYTES, PROTOCOL_MAJOR } from './limits.ts';
import { SignedRecord } from './schemas.ts';
import { describeIssues } from './validate.ts';

export const SIGNATURE_DOMAIN = 'mutual/record/v1';

type WithoutSignature<T> = T extends unknown ? Omit<T, 'signature'> : never;
export type UnsignedRecord = WithoutSignature<SignedRecord>;

/** `raw` is the record as received, members of a newer MINOR included (what the signature covers); `record` is what this version reads of it. */
export type VerifyResult = { ok: true; record: SignedRecord; raw: Record<string, unknown> } | { ok: false; reason: string };

/** UTF-8(SIGNATURE_DOMAIN) || 0x00 || UTF-8(canonical JSON of the record without `signature`). */
export function signingBytes(record: Record<string, unknown>): Uint8Array {
  const { signature: _ignored, ...unsigned } = record;
  const domain = utf8Bytes(SIGNATURE_DOMAIN);
  const body = utf8Bytes(canonicalJson(unsigned));
  const message = new Uint8Array(domain.length + 1 + body.length);
  message.set(domain, 0);
  message[domain.length] = 0;
  message.set(body, domain.length + 1);
  return message;
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** Strict: text that is not the canonical spelling of its bytes (spec 5: unused trailing bits 0, no padding) throws. */
export function fromBase64Url(text: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'));
  if (toBase64Url(bytes) !== text) throw new Error('not canonical base64url');
  return bytes;
}

/** A signature's length and alphabet (Ed25519, base64url without padding), for a record measured or checked before it is signed. */
export const SIGNATURE_PLACEHOLDER = 'A'.repeat(86);

/** A record over the byte bound of spec 3: no peer accepts it, so it cannot be published (not a transport failure). */
export class RecordTooLargeError extends Error {
  override readonly name = 'RecordTooLargeError';
}

/** Signs with the author's key; the record's author must be that key's peer id. */
export async function signRecord(unsigned: UnsignedRecord, privateKey: PrivateKey): Promise<SignedRecord> {
  const signer = peerIdFromPrivateKey(privateKey).toString();
  if (unsigned.author !== signer) throw new Error(`author ${unsigned.author} is not the signing key's peer id ${signer}`);
  // Normalize first (schema defaults filled in, unknown fields dropped) so the record returned is byte for byte the
  // one that was signed; a placeholder signature lets the envelope schema run before the real one exists.
  const { signature: _placeholder, ...normalized } = SignedRecord.parse({ ...unsigned, signature: SIGNATURE_PLACEHOLDER });
  const signature = toBase64Url(await privateKey.sign(signingBytes(normalized)));
  const signed = { ...normalized, signature } as SignedRecord;
  const encodedSize = utf8Bytes(JSON.stringify(signed)).length;
  if (encodedSize > MAX_RECORD_BYTES) throw new RecordTooLargeError(`record is ${encodedSize} bytes encoded, more than ${MAX_RECORD_BYTES}`);
  return signed;
}

/**
 * Checks a received record: size, schema, protocol major version, author is an Ed25519 peer id, signature valid
 * over the record as received (unknown fields of a newer minor version included, before parsing drops them).
 */
export async function verifyRecord(raw: unknown): Promise<VerifyResult> {
  let size: number;
  try {
    size = utf8Bytes(JSON.stringify(raw) ?? '').length;
  } catch {
    return { ok: false, reason: 'record is not JSON-serializable' };
  }
  if (size > MAX_RECORD_BYTES) return { ok: false, reason: `record is ${size} bytes, larger than ${MAX_RECORD_BYTES}` };
  const parsed = SignedRecord.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `record does not match the schema: ${describeIssues(parsed.error).join('; ')}` };
  const record = parsed.data;
  const major = majorOf(record.version);
  if (major !== PROTOCOL_MAJOR) return { ok: false, reason: `protocol version ${record.version} is not major ${PROTOCOL_MAJOR}` };
  let publicKey;
  try {
    publicKey = peerIdFromString(record.author).publicKey;
  } catch {
    return { ok: false, reason: `author ${record.author} is not a libp2p peer id` };
  }
  if (publicKey === undefined || publicKey.type !== 'Ed25519') {
    return { ok: false, reason: `author ${record.author} is not an Ed25519 peer id` };
  }
  // One spelling per key (spec 5): libp2p also reads CIDs, base36 and non-canonical protobufs of the same key, which an
  // implementation that decodes base58btc rejects, and each spelling would be another author here (an implementer's pass).
  const canonical = peerIdFromPublicKey(publicKey).toString();
  if (canonical !== record.author) return { ok: false, reason: `author ${record.author} is not written as its key's peer id ${canonical} (base58btc, identity multihash)` };
  let message: Uint8Array;
  try {
    message = signingBytes(raw as Record<string, unknown>);
  } catch (error) {
    // An unknown member the schema let through may still hold what JSON cannot carry (NaN, Infinity).
    if (error instanceof DecodeError) return { ok: false, reason: `record has no canonical form: ${error.message}` };
    throw error;
  }
  const valid = await publicKey.verify(message, fromBase64Url(record.signature));
  if (!valid) return { ok: false, reason: `signature does not verify for author ${record.author}` };
  return { ok: true, record, raw: raw as Record<string, unknown> };
}

/** verifyRecord for bytes off the wire: the size is checked before anything is parsed. */
export async function verifyRecordBytes(bytes: Uint8Array): Promise<VerifyResult> {
  let raw: unknown;
  try {
    raw = decodeJson(bytes, { maxBytes: MAX_RECORD_BYTES });
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, reason: error.message };
    throw error;
  }
  return verifyRecord(raw);
}
