/**
 * Splitting a byte stream into lines as it arrives, with a bound on memory.
 *
 * @module
 */

/**
 * A line longer than this is passed on in pieces, so one endless line cannot exhaust memory.
 *
 * @example
 * ```ts
 * import { MAX_LINE_LENGTH } from "@dagrun/dagrun";
 *
 * MAX_LINE_LENGTH; // 65536
 * ```
 */
export const MAX_LINE_LENGTH = 64 * 1024;

/**
 * Reads a byte stream to its end, calling `onLines` with every run of complete lines as it
 * arrives: the lines of one read, joined by `\n`, without the final newline. Handing on a
 * block per read instead of an object per line keeps a task printing 200 MB of short lines
 * from churning the garbage collector into a large heap.
 *
 * Invalid UTF-8 becomes U+FFFD; a final line without a newline is passed on at the end;
 * `\r\n` endings lose their `\r`; a line longer than {@linkcode MAX_LINE_LENGTH} is passed
 * on in pieces of about that size.
 *
 * @example
 * ```ts
 * import { forEachLineBlock } from "./lines.ts";
 *
 * const child = new Deno.Command("sh", { args: ["-c", "echo a; echo b"], stdout: "piped" }).spawn();
 * await forEachLineBlock(child.stdout, (lines) => console.log(lines.split("\n")));
 * await child.status;
 * ```
 */
export async function forEachLineBlock(
  stream: ReadableStream<Uint8Array>,
  onLines: (lines: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  // Whether pending holds a \r. Searching the decoded text, which is flat, costs nothing;
  // searching the joined block would first copy it whole.
  let pendingReturn = false;
  const pass = (block: string, hasReturn: boolean) =>
    onLines(hasReturn ? block.replace(/\r$/gm, "") : block);
  const take = (text: string) => {
    const textReturn = text.includes("\r");
    const last = text.lastIndexOf("\n");
    if (last === -1) {
      pending += text;
      pendingReturn ||= textReturn;
    } else {
      pass(pending + text.slice(0, last), pendingReturn || textReturn);
      pending = text.slice(last + 1);
      pendingReturn = textReturn && pending.includes("\r");
    }
    while (pending.length > MAX_LINE_LENGTH) {
      onLines(pending.slice(0, MAX_LINE_LENGTH));
      pending = pending.slice(MAX_LINE_LENGTH);
    }
  };
  for await (const chunk of chunks(stream)) take(decoder.decode(chunk, { stream: true }));
  take(decoder.decode());
  if (pending !== "") pass(pending, pendingReturn);
}

/**
 * Reads a byte stream to its end, calling `onLine` for every line (without its newline) as
 * soon as it is complete, with the rules of {@linkcode forEachLineBlock}.
 *
 * @example
 * ```ts
 * import { forEachLine } from "@dagrun/dagrun";
 *
 * const child = new Deno.Command("sh", { args: ["-c", "echo a; echo b"], stdout: "piped" }).spawn();
 * await forEachLine(child.stdout, (line) => console.log(`> ${line}`));
 * await child.status;
 * ```
 */
export function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  return forEachLineBlock(stream, (lines) => {
    for (const line of lines.split("\n")) onLine(line);
  });
}

const CHUNK_SIZE = 64 * 1024;

/**
 * The chunks of a byte stream, read into one reused buffer when the stream allows it: a new
 * buffer per read would leave 3,000 dead buffers per 200 MB for the collector to find.
 * Each chunk is valid until the next is asked for.
 */
async function* chunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    yield* stream; // not a byte stream
    return;
  }
  let buffer = new ArrayBuffer(CHUNK_SIZE);
  try {
    while (true) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done || !value) return;
      yield value;
      buffer = value.buffer as ArrayBuffer;
    }
  } finally {
    reader.releaseLock();
  }
}
