// Room: test (protocol). Proves the PUBLISHED schema files with an independent validator (ajv, draft 2020-12), checks
// that zod agrees, that semantic-only cases are caught by the protocol's own checks, and that the committed vectors are
// exactly what the reference implementation produces.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { buildVectors, evaluateClockCase } from '../../scripts/conformance-vectors.ts';
import { canonicalJson } from '../../src/protocol/encoding.ts';
import { simulate } from '../../src/protocol/allocation/index.ts';
import { Scenario } from '../../src/protocol/schemas.ts';
import { verifyRecord } from '../../src/protocol/signature.ts';
import { isMessageKind, parseMessage } from '../../src/protocol/validate.ts';

const root = join(import.meta.dirname, '..', '..');
const schemasDir = join(root, 'schemas');
const vectorsDir = join(root, 'spec', 'conformance');
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

function ajvFor(schemaFile: string) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(schemasDir, schemaFile), 'utf8')));
}

interface MessageVectors {
  kind: string;
  schema: string;
  cases: { name: string; valid: boolean; why?: string; semanticOnly?: boolean; value: unknown }[];
}

describe('conformance vectors', () => {
  const messageFiles = readdirSync(join(vectorsDir, 'messages')).filter((name) => name.endsWith('.json'));

  it('cover every message kind of the wire, and slots and causal clocks on their own', () => {
    const kinds = messageFiles.map((name) => name.replace(/\.json$/, '')).sort();
    assert.deepEqual(kinds, ['causal-clock', 'coordination', 'lookup-request', 'lookup-response', 'record', 'relationships', 'results', 'slot', 'state', 'sync-request']);
  });

  for (const file of messageFiles) {
    const vectors = JSON.parse(readFileSync(join(vectorsDir, 'messages', file), 'utf8')) as MessageVectors;
    describe(`${vectors.kind} (${vectors.schema})`, () => {
      const validate = ajvFor(vectors.schema);
      it('has valid and invalid cases, each invalid one saying why', () => {
        assert.ok(vectors.cases.some((entry) => entry.valid));
        assert.ok(vectors.cases.some((entry) => !entry.valid));
        for (const entry of vectors.cases.filter((item) => !item.valid)) assert.ok(entry.why && entry.why.length > 5, entry.name);
      });
      for (const entry of vectors.cases) {
        it(`${entry.valid ? 'accepts' : 'rejects'}: ${entry.name}`, async () => {
          // The published JSON Schema alone: semantic-only cases are structurally fine.
          const schemaAccepts = validate(entry.value);
          assert.equal(schemaAccepts, entry.valid || entry.semanticOnly === true, JSON.stringify(validate.errors));
          // zod agrees with the published file.
          assert.ok(isMessageKind(vectors.kind));
          // The Zod schemas also hold the semantic rules of a payload (unique slot ids); a record's rules (signature,
          // author spelling) are verifyRecord's.
          const zodAccepts = parseMessage(vectors.kind, entry.value).ok;
          assert.equal(zodAccepts, vectors.kind === 'record' ? schemaAccepts : entry.valid);
          if (vectors.kind === 'record' && schemaAccepts) {
            const verified = await verifyRecord(entry.value);
            assert.equal(verified.ok, entry.valid, verified.ok ? 'verified' : verified.reason);
          }
        });
      }
    });
  }

  it('clock vectors hold for the reference implementation', () => {
    const clocks = JSON.parse(readFileSync(join(vectorsDir, 'clocks.json'), 'utf8')) as { cases: { name: string; expected: unknown }[] };
    assert.ok(clocks.cases.length >= 10);
    for (const entry of clocks.cases) assert.deepEqual(evaluateClockCase(entry as never), entry.expected, entry.name);
  });

  it('signature vectors verify and are reproducible from the test key', async () => {
    const vectors = JSON.parse(readFileSync(join(vectorsDir, 'signatures.json'), 'utf8')) as {
      seedHex: string;
      publicKeyHex: string;
      peerId: string;
      cases: { name: string; record: Record<string, unknown>; canonical: string; messageHex: string; signature: string }[];
    };
    const key = await generateKeyPairFromSeed('Ed25519', Buffer.from(vectors.seedHex, 'hex'));
    assert.equal(Buffer.from(key.publicKey.raw).toString('hex'), vectors.publicKeyHex);
    assert.equal(peerIdFromPrivateKey(key).toString(), vectors.peerId);
    assert.ok(vectors.cases.length >= 2);
    for (const entry of vectors.cases) {
      const verified = await verifyRecord(entry.record);
      assert.ok(verified.ok, entry.name);
      const { signature: _signature, ...unsigned } = entry.record;
      assert.equal(canonicalJson(unsigned), entry.canonical, entry.name);
      const message = Buffer.from(entry.messageHex, 'hex');
      assert.equal(message.toString('utf8'), `mutual/record/v1\u0000${entry.canonical}`);
      // Ed25519 is deterministic: signing the message with the seed's key gives exactly the published signature.
      assert.equal(Buffer.from(await key.sign(new Uint8Array(message))).toString('base64url'), entry.signature, entry.name);
      assert.equal(entry.record.signature, entry.signature);
    }
  });

  describe('allocation vectors', () => {
    const files = readdirSync(join(vectorsDir, 'allocation')).filter((name) => name.endsWith('.json'));
    const scenarioSchema = ajvFor('Scenario.schema.json');
    const resultSchema = ajvFor('SimulationResult.schema.json');
    it('cover the required situations', () => {
      for (const name of ['single-provider-water-filling', 'tier-overflow', 'caps-re-divided-within-tier', 'under-capacity', 'providers-sharing-recipients', 'incompatible-slots', 'self-recognition']) {
        assert.ok(files.includes(`${name}.json`), name);
      }
    });
    for (const file of files) {
      it(`${file}: valid against the published schemas, and simulate reproduces it within epsilon`, () => {
        const vector = JSON.parse(readFileSync(join(vectorsDir, 'allocation', file), 'utf8')) as { epsilon: number; scenario: unknown; expected: { allocations: { provider: string; capacity: string; recipient: string; need: string; quantity: number; tier: string }[] } };
        assert.ok(scenarioSchema(vector.scenario), JSON.stringify(scenarioSchema.errors));
        assert.ok(resultSchema(vector.expected), JSON.stringify(resultSchema.errors));
        const result = simulate(Scenario.parse(vector.scenario));
        assert.ok(result.converged);
        const key = (entry: { provider: string; capacity: string; recipient: string; need: string }) => `${entry.provider}/${entry.capacity}>${entry.recipient}/${entry.need}`;
        const expected = new Map(vector.expected.allocations.map((entry) => [key(entry), entry]));
        assert.equal(result.allocations.length, expected.size);
        for (const entry of result.allocations) {
          const wanted = expected.get(key(entry));
          assert.ok(wanted, `unexpected flow ${key(entry)}`);
          assert.equal(entry.tier, wanted.tier);
          assert.ok(Math.abs(entry.quantity - wanted.quantity) <= vector.epsilon * 100, `${key(entry)}: ${entry.quantity} vs ${wanted.quantity}`);
        }
      });
    }
  });

  it('committed vector files equal what the reference implementation generates (run scripts/generate-vectors.ts)', async () => {
    for (const [path, text] of await buildVectors()) {
      assert.equal(readFileSync(join(vectorsDir, path), 'utf8'), text, `spec/conformance/${path} is stale`);
    }
  });
});
