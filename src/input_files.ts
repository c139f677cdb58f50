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

/** What {@linkcode readInputFile} read, and whether it was a stream rather than a file. */
export interface InputBytes {
  readonly bytes: Uint8Array;
  /** Not a regular file: a FIFO, a character device, a socket's name for standard input. */
  readonly stream: boolean;
}

/**
 * Reads the file at `path` whole. The type comes from the `fstat` of the open file, which the
 * read of a regular file needs anyway for its length (`Deno.readFileSync` makes the same
 * calls): a regular file costs no syscall more than before. Anything but a regular file or a
 * directory is read as a stream, up to {@linkcode MAX_STREAMED_INPUT_BYTES}; so is every path
 * when `asStream` is set. A FIFO is waited on for its writer, as `cat` waits.
 *
 * @throws the OS error of the open or the read (`Deno.errors.IsADirectory` for a directory),
 * or {@linkcode InputTooLongError}.
 */
export async function readInputFile(path: string, asStream = false): Promise<InputBytes> {
  const file = Deno.openSync(path);
  let closed = false;
  try {
    const info = asStream ? undefined : file.statSync();
    if (info?.isDirectory) throw new Deno.errors.IsADirectory("Is a directory (os error 21)");
    if (info?.isFile) return { bytes: readRegularFile(file, info.size), stream: false };
    closed = true; // The stream's end closes the file.
    return { bytes: await readBoundedStream(file.readable), stream: true };
  } finally {
    if (!closed) file.close();
  }
}

/** A regular file's bytes, read into a buffer of its length and one byte more (to see the end). */
function readRegularFile(file: Deno.FsFile, size: number): Uint8Array {
  let buffer = new Uint8Array(size + 1);
  let length = 0;
  for (;;) {
    // Grown when the file is longer than its stat said (it is being written, or it is of
    // /sys, whose files say 4096).
    if (length === buffer.length) {
      const larger = new Uint8Array(buffer.length * 2);
      larger.set(buffer);
      buffer = larger;
    }
    const read = file.readSync(buffer.subarray(length));
    if (read === null) break;
    length += read;
  }
  return buffer.subarray(0, length);
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
