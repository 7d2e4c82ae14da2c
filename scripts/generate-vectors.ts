// Room: build script. Writes spec/conformance/{messages/*.json,clocks.json,signatures.json,allocation/*.json} from
// scripts/conformance-vectors.ts (allocation expectations come from simulate; allocation/README.md is not touched).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildVectors } from './conformance-vectors.ts';

const root = join(import.meta.dirname, '..', 'spec', 'conformance');
const files = await buildVectors();
for (const [path, text] of files) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}
console.log(`wrote ${files.size} vector files to spec/conformance/`);
