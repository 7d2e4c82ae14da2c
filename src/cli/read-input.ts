// Room: cli (edge). Reads a JSON document from a file path or standard input ('-'), bounded in size.
import { readFile, stat } from 'node:fs/promises';
import { decodeJson } from '../protocol/encoding.ts';

/** Reads `source` ('-' = stdin) and decodes JSON with the protocol's decoder (size, depth and key checks). */
export async function readJsonInput(source: string, maxBytes: number): Promise<unknown> {
  if (source === '-') {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of process.stdin) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      // Stop reading early: the decoder would refuse it anyway, and the rest may be unbounded.
      if (total > maxBytes) return decodeJson(new Uint8Array(total), { maxBytes });
      chunks.push(buffer);
    }
    return decodeJson(new Uint8Array(Buffer.concat(chunks)), { maxBytes });
  }
  const info = await stat(source);
  if (!info.isFile()) throw new Error(`${source} is not a file`);
  if (info.size > maxBytes) return decodeJson(new Uint8Array(info.size), { maxBytes });
  return decodeJson(new Uint8Array(await readFile(source)), { maxBytes });
}
