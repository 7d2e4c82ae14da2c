// Room: protocol (pure). May touch: zod, ./schemas.
// Turns the Zod sources into the published JSON Schema documents (draft 2020-12), one per schema with an id.
import { z } from 'zod';
import { PUBLISHED_SCHEMAS } from './schemas.ts';

export const SCHEMA_BASE_URI = 'https://mutual.dev/schemas/';

/** file name -> JSON text (2-space indented, trailing newline), in a stable order. */
export function generateJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
    // io 'input' describes what may be sent: fields with defaults are optional, and objects keep
    // additionalProperties open, which is the protocol's forward-compatibility rule.
    const document = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'throw',
    }) as Record<string, unknown>;
    const withId = { $schema: document.$schema, $id: `${SCHEMA_BASE_URI}${name}.schema.json`, ...document };
    files.set(`${name}.schema.json`, `${JSON.stringify(withId, null, 2)}\n`);
  }
  return files;
}
