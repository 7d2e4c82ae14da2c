// Room: cli (edge). Reads a JSON document from a file path or standard input ('-'), bounded in size: never more than
// the bound plus one chunk is read into memory, whatever the file's size (a 1 GB file or /dev/zero is refused early).
import { open } from 'node:fs/promises';
import { decodeJson, DecodeError } from '../protocol/encoding.ts';

/** Up to maxBytes + 1 bytes of `source` ('-' = stdin); throws for a source that is neither a regular file nor a pipe. */
async function readBounded(source: string, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => new DecodeError(`input is larger than ${maxBytes} bytes`);
  const readStream = async (stream: AsyncIterable<unknown>): Promise<Uint8Array> => {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      // Stop reading early: the decoder would refuse it anyway, and the rest may be unbounded.
      if (total > maxBytes) throw tooLarge();
      chunks.push(buffer);
    }
    return new Uint8Array(Buffer.concat(chunks));
  };
  if (source === '-') return readStream(process.stdin);
  const handle = await open(source, 'r');
  try {
    const info = await handle.stat();
    // A pipe by name, as the shell's process substitution gives (`mutual validate <(…)`): read like standard input.
    if (info.isFIFO()) return await readStream(handle.createReadStream({ autoClose: false }));
    if (!info.isFile()) throw new Error(`${source} is not a file or a pipe`);
    if (info.size > maxBytes) throw new DecodeError(`input is ${info.size} bytes, larger than ${maxBytes}`);
    // The size can change after stat: read at most one byte more than the bound, never the whole file blindly.
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge();
      if (length === buffer.length) throw new Error(`${source} grew while it was read`);
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
  } finally {
    await handle.close();
  }
}

/** Reads `source` ('-' = stdin) and decodes JSON with the protocol's decoder (size, depth and key checks). */
export async function readJsonInput(source: string, maxBytes: number): Promise<unknown> {
  // Files people edit may start with a byte order mark; network input may not (spec 4).
  return decodeJson(await readBounded(source, maxBytes), { maxBytes, allowByteOrderMark: true });
}
