/**
 * Reading an input file whole (a task file, a report to resume from): a regular file at its
 * length, and anything else — a FIFO of the user's, a character device such as /dev/zero,
 * standard input by one of its names — as a stream, read up to a bound.
 *
 * @module
 */

/**
 * The most an input read from a stream may hold: 256 MiB, about 2.5 million tasks, well below
 * the longest string V8 makes (≈ 512 MiB).
 */
export const MAX_STREAMED_INPUT_BYTES = 256 * 1024 * 1024;

/** A stream went on past {@linkcode MAX_STREAMED_INPUT_BYTES}. */
export class InputTooLongError extends Error {
  constructor() {
    super(
      `it goes on past ${MAX_STREAMED_INPUT_BYTES / 1024 / 1024} MiB (a stream such as /dev/zero?)`,
    );
    this.name = "InputTooLongError";
  }
}

/**
 * The longest regular file read whole: V8's longest string, 2²⁹ − 24 characters (a file's
 * bytes never decode to more characters than that). A longer one would fail in the decoding,
 * and be reported as what it is not (invalid UTF-8), after a read of all of it.
 */
export const MAX_FILE_INPUT_BYTES = 2 ** 29 - 24;

/** A regular file is longer than {@linkcode MAX_FILE_INPUT_BYTES}. */
export class FileTooLongError extends Error {
  constructor(size: number) {
    const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
    const exactly = (bytes: number) => `${String(bytes).replace(/\B(?=(\d{3})+$)/g, ",")} bytes`;
    // The limit is 24 bytes short of 512 MiB: a file just past it rounds to the same MiB,
    // which would read "it is 512 MiB, more than … (512 MiB)"; bytes then tell them apart.
    const inMib = mib(size) !== mib(MAX_FILE_INPUT_BYTES);
    const shown = inMib ? mib : exactly;
    super(
      `it is ${shown(size)}, more than a file read whole can be (${shown(MAX_FILE_INPUT_BYTES)})`,
    );
    this.name = "FileTooLongError";
  }
}

/** What {@linkcode readInputFile} read, and whether it was a stream rather than a file. */
export interface InputBytes {
  /** The whole content, undecoded. */
  readonly bytes: Uint8Array;
  /** Not a regular file: a FIFO, a character device, a socket's name for standard input. */
  readonly stream: boolean;
}

/**
 * Reads the file at `path` whole. Its type comes from a `stat` of the path (which follows
 * links, so a link to a FIFO is a FIFO): a regular file is then read by `Deno.readFileSync`,
 * one call (an `open`, an `fstat` for its length and reads, in Rust), which costs ≈ 0.2 ms
 * less on the way to the first task than reading the open file from JavaScript; the `stat`
 * itself is the first of the run, which the history's would otherwise be (it loads the time
 * zone for the dates it holds). Anything but a regular file or a directory is read as a
 * stream, up to {@linkcode MAX_STREAMED_INPUT_BYTES}; so is every path when `asStream` is set.
 * A FIFO is waited on for its writer, as `cat` waits. `-` is standard input, read as a stream.
 *
 * @throws the OS error of the stat, the open or the read (`Deno.errors.IsADirectory` for a
 * directory), {@linkcode FileTooLongError} for a regular file too long to decode, or
 * {@linkcode InputTooLongError}.
 */
export async function readInputFile(path: string, asStream = false): Promise<InputBytes> {
  if (path === "-") return { bytes: await readBoundedStream(Deno.stdin.readable), stream: true };
  if (!asStream) {
    const info = Deno.statSync(path);
    if (info.isDirectory) throw new Deno.errors.IsADirectory("Is a directory (os error 21)");
    if (info.isFile) {
      if (info.size > MAX_FILE_INPUT_BYTES) throw new FileTooLongError(info.size);
      return { bytes: Deno.readFileSync(path), stream: false };
    }
  }
  // The stream's end closes the file.
  const file = Deno.openSync(path);
  return { bytes: await readBoundedStream(file.readable), stream: true };
}

/** Reads a stream to its end, refusing one longer than {@linkcode MAX_STREAMED_INPUT_BYTES}. */
export async function readBoundedStream(
  readable: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of readable) {
    length += chunk.length;
    if (length > MAX_STREAMED_INPUT_BYTES) throw new InputTooLongError();
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
