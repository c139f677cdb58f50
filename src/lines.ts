/**
 * Splitting a byte stream into lines as it arrives, with a bound on memory.
 *
 * @module
 */

import type { ExecutorContext, OutputOptions, OutputStream } from "./types.ts";

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
 * Called with a run of complete lines (joined by `\n`, without the final newline), or, with
 * `continues` true, with a piece of a line longer than {@linkcode MAX_LINE_LENGTH}: the
 * line goes on in the next call. Only a piece is flagged so, which is how a piece is told
 * from a whole line of the same length.
 */
export type OnLines = (lines: string, continues: boolean) => void;

/**
 * What a line splitter hands on, passed to an executor's `output` for `stream`: a piece of a
 * cut line flagged as one (`continues`), which the `output` event then says.
 */
export function passOutput(context: ExecutorContext, stream: OutputStream): OnLines {
  return (lines, continues) =>
    continues ? context.output(stream, lines, CONTINUES) : context.output(stream, lines);
}

/** The options of a piece of a long line: one object for them all. */
const CONTINUES: OutputOptions = { continues: true };

/**
 * Reads a byte stream to its end, calling `onLines` with every run of complete lines as it
 * arrives: the lines of one read, joined by `\n`, without the final newline. Handing on a
 * block per read instead of an object per line keeps a task printing 200 MB of short lines
 * from churning the garbage collector into a large heap.
 *
 * Invalid UTF-8 becomes U+FFFD; a final line without a newline is passed on at the end;
 * `\r\n` endings lose their `\r`; a line longer than {@linkcode MAX_LINE_LENGTH} is passed
 * on in pieces of at most that size, each alone in its call, flagged `continues` (see
 * {@linkcode OnLines}). Aborting `signal` stops the reading (and cancels the
 * stream): what was read is passed on, and the promise resolves.
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
  onLines: OnLines,
  signal?: AbortSignal,
): Promise<void> {
  const splitter = new LineBlockSplitter(onLines);
  for await (const chunk of chunks(stream, signal)) splitter.push(chunk);
  splitter.end();
}

/**
 * Splits bytes handed over in pieces into runs of complete lines, with the rules of
 * {@linkcode forEachLineBlock}: for a reader that is given its chunks rather than pulling
 * them from a stream. A chunk is decoded before {@linkcode LineBlockSplitter.push} returns,
 * so its buffer may be reused at once.
 *
 * @example
 * ```ts
 * import { LineBlockSplitter } from "./lines.ts";
 *
 * const blocks: string[] = [];
 * const splitter = new LineBlockSplitter((lines) => blocks.push(lines));
 * splitter.push(new TextEncoder().encode("a\nb\nc"));
 * splitter.end();
 * blocks; // ["a\nb", "c"]
 * ```
 */
export class LineBlockSplitter {
  readonly #onLines: OnLines;
  // Made on the first chunk: most tasks print nothing.
  #decoder: TextDecoder | undefined;
  #pending = "";
  // Whether pending holds a \r. Searching the decoded text, which is flat, costs nothing;
  // searching the joined block would first copy it whole.
  #pendingReturn = false;

  /** Creates a splitter passing each run of complete lines to `onLines`. */
  constructor(onLines: OnLines) {
    this.#onLines = onLines;
  }

  /** Takes the next piece of the byte stream. */
  push(chunk: Uint8Array): void {
    this.#decoder ??= new TextDecoder();
    this.#take(this.#decoder.decode(chunk, { stream: true }));
  }

  /** Ends the byte stream: passes on what is left, a final line without a newline included. */
  end(): void {
    if (this.#decoder) this.#take(this.#decoder.decode());
    if (this.#pending !== "") this.#pass(this.#pending, this.#pendingReturn);
    this.#pending = "";
  }

  #pass(block: string, hasReturn: boolean): void {
    // Not /\r$/gm: in a multiline pattern `$` also matches before a \r, U+2028 or U+2029,
    // so `a\r\rb` would lose a \r that ends no line.
    this.#onLines(hasReturn ? block.replace(/\r(?=\n)|\r$/g, "") : block, false);
  }

  #take(text: string): void {
    const textReturn = text.includes("\r");
    const last = text.lastIndexOf("\n");
    if (last === -1) {
      this.#pending += text;
      this.#pendingReturn ||= textReturn;
    } else {
      let from = 0;
      const first = text.indexOf("\n");
      if (this.#pending.length + first > MAX_LINE_LENGTH) {
        // The long line this text ends is cut as if its newline had not come yet: joined
        // whole to the block, its last piece could be up to twice the bound.
        this.#pending += text.slice(0, first);
        this.#pendingReturn ||= textReturn;
        this.#passPieces();
        from = first;
      }
      this.#pass(this.#pending + text.slice(from, last), this.#pendingReturn || textReturn);
      this.#pending = text.slice(last + 1);
      this.#pendingReturn = textReturn && this.#pending.includes("\r");
    }
    this.#passPieces();
  }

  /** Passes on pieces of the pending line until what is left is within the bound. */
  #passPieces(): void {
    while (this.#pending.length > MAX_LINE_LENGTH) {
      // Never between the halves of a surrogate pair: each piece would carry half a
      // character, which prints as U+FFFD and is not valid in the NDJSON report.
      const high = this.#pending.charCodeAt(MAX_LINE_LENGTH - 1);
      const cut = high >= 0xd800 && high <= 0xdbff ? MAX_LINE_LENGTH - 1 : MAX_LINE_LENGTH;
      // Something of the line is always left: the piece continues.
      this.#onLines(this.#pending.slice(0, cut), true);
      this.#pending = this.#pending.slice(cut);
    }
  }
}

/**
 * Reads a byte stream to its end, calling `onLine` for every line (without its newline) as
 * soon as it is complete, with the rules of {@linkcode forEachLineBlock}: a piece of a line
 * longer than {@linkcode MAX_LINE_LENGTH} comes with `continues` true.
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
  onLine: (line: string, continues: boolean) => void,
): Promise<void> {
  return forEachLineBlock(stream, (lines, continues) => {
    if (continues) return onLine(lines, true);
    for (const line of lines.split("\n")) onLine(line, false);
  });
}

const CHUNK_SIZE = 64 * 1024;

/**
 * The chunks of a byte stream, read into one reused buffer when the stream allows it: a new
 * buffer per read would leave 3,000 dead buffers per 200 MB for the collector to find.
 * Each chunk is valid until the next is asked for.
 */
async function* chunks(
  stream: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    yield* stream; // not a byte stream
    return;
  }
  // Stopping ends the read under way (as the end of the stream would) and the stream.
  signal?.addEventListener("abort", () => void reader.cancel().catch(() => {}), { once: true });
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
