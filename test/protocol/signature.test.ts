// Room: test (protocol). Record signatures: sign/verify round trip, tampering, author != signer, replayed bytes stay
// verifiable, unknown fields of a newer minor version are covered, other majors are refused.
import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { encodeJson } from '../../src/protocol/encoding.ts';
import { signingBytes, signRecord, verifyRecord, verifyRecordBytes, type UnsignedRecord } from '../../src/protocol/signature.ts';

async function author() {
  const key = await generateKeyPair('Ed25519');
  return { key, id: peerIdFromPrivateKey(key).toString() };
}

function unsignedState(id: string): UnsignedRecord {
  return {
    version: '1.0',
    network: 'team',
    kind: 'state',
    author: id,
    sequence: 1,
    clock: { [id]: 1 },
    issuedAt: '2026-11-24T10:00:00Z',
    payload: { displayName: 'Ana', capacities: [{ id: 'c1', type: 'review', quantity: 3, skills: [] }], needs: [] },
  };
}

describe('record signatures', () => {
  it('verifies what it signed, from objects and from bytes', async () => {
    const { key, id } = await author();
    const record = await signRecord(unsignedState(id), key);
    assert.deepEqual(await verifyRecord(record), { ok: true, record, raw: record });
    assert.equal((await verifyRecordBytes(encodeJson(record))).ok, true);
  });

  it('returns exactly the record it signed (schema defaults filled in before signing)', async () => {
    const { key, id } = await author();
    const unsigned = unsignedState(id);
    const record = await signRecord({ ...unsigned, payload: { displayName: 'Bo' } } as UnsignedRecord, key);
    assert.deepEqual(record.payload, { displayName: 'Bo', capacities: [], needs: [] });
    assert.equal((await verifyRecord(JSON.parse(JSON.stringify(record)))).ok, true);
  });

  it('rejects a tampered payload and a record whose author is not the signer', async () => {
    const { key, id } = await author();
    const other = await author();
    const record = await signRecord(unsignedState(id), key);
    const tampered = { ...record, payload: { ...record.payload, displayName: 'Eve' } };
    assert.match((await verifyRecord(tampered) as { reason: string }).reason, /does not verify/);
    const impersonated = { ...record, author: other.id };
    assert.match((await verifyRecord(impersonated) as { reason: string }).reason, /does not verify/);
    await assert.rejects(signRecord({ ...unsignedState(other.id) }, key), /not the signing key/);
  });

  it('rejects a signature respelled in its unused trailing bits, which a lenient decoder reads as the same bytes (found with FC_SEED=337431314)', async () => {
    const { key, id } = await author();
    const record = await signRecord(unsignedState(id), key);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(record.signature.at(-1)!);
    assert.equal(last % 16, 0, 'a canonical signature ends in A, Q, g or w');
    for (let spare = 1; spare < 16; spare++) {
      const respelled = { ...record, signature: record.signature.slice(0, -1) + alphabet[last + spare] };
      assert.deepEqual(Buffer.from(respelled.signature, 'base64url'), Buffer.from(record.signature, 'base64url'));
      assert.equal((await verifyRecord(respelled)).ok, false, respelled.signature.at(-1));
    }
    assert.equal((await verifyRecord(record)).ok, true);
  });

  it('covers unknown fields: a newer minor version verifies, and changing such a field breaks it', async () => {
    const { key, id } = await author();
    const raw = { ...unsignedState(id), version: '1.7', futureField: { x: 1 } };
    const signature = Buffer.from(await key.sign(signingBytes(raw))).toString('base64url');
    const received = { ...raw, signature };
    const verified = await verifyRecord(received);
    assert.equal(verified.ok, true);
    assert.equal(verified.ok && 'futureField' in verified.record, false);
    assert.equal((await verifyRecord({ ...received, futureField: { x: 2 } })).ok, false);
  });

  it('refuses another major version and non-Ed25519 or non-peer-id authors', async () => {
    const { key, id } = await author();
    const raw = { ...unsignedState(id), version: '2.0' };
    const signature = Buffer.from(await key.sign(signingBytes(raw))).toString('base64url');
    assert.match((await verifyRecord({ ...raw, signature }) as { reason: string }).reason, /not major 1/);
    const record = await signRecord(unsignedState(id), key);
    assert.match((await verifyRecord({ ...record, author: 'alice' }) as { reason: string }).reason, /not a libp2p peer id/);
  });

  it('accepts one spelling of the author: a CID of the signing key is refused, though it verifies (spec 5; found by an implementer\'s pass)', async () => {
    const { key, id } = await author();
    const peerId = peerIdFromPrivateKey(key);
    // The CID in base32 (bafz…); the vectors hold one too.
    for (const spelling of [peerId.toCID().toString()]) {
      const raw = { ...unsignedState(id), author: spelling };
      const signature = Buffer.from(await key.sign(signingBytes(raw))).toString('base64url');
      const verified = await verifyRecord({ ...raw, signature });
      assert.equal(verified.ok, false, spelling);
      assert.match((verified as { reason: string }).reason, new RegExp(`author ${spelling} is not written as its key's peer id ${id}`));
    }
  });

  it('measures a record as received and in its canonical form: numbers short on the wire can be long canonically (spec 3)', async () => {
    const { key, id } = await author();
    // 3,000 x 1e20 is about 18 KB on the wire and 66 KB canonically (100000000000000000000 each).
    const raw = { ...unsignedState(id), note: Array.from({ length: 3_000 }, () => 1e20) };
    const signature = Buffer.from(await key.sign(signingBytes(raw))).toString('base64url');
    const wire = new TextEncoder().encode(JSON.stringify({ ...raw, signature }).replaceAll('100000000000000000000', '1e20'));
    assert.ok(wire.byteLength < 20_000);
    const verified = await verifyRecordBytes(wire);
    assert.equal(verified.ok, false);
    assert.match((verified as { reason: string }).reason, /record is \d+ bytes, larger than 65536/);
  });
});
