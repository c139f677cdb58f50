/**
 * Reading an input file whole (a task file, a report to resume from): a regular file at its
 * length, and anything else — a FIFO of the user's, a character device such as /dev/zero,
 * standard input by one of its names — as a stream, read up to a bound.
 *
 * @module
 */

import { osErrorReason, TaskFileError } from "./errors.ts";
import { type EndingSignal, exitStatusOf, listenForEndingSignals } from "./ignored_signals.ts";

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
    const exactly = (bytes: number) => `${bytes.toLocaleString("en-US")} bytes`;
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
 * directory), {@linkcode FileTooLongError} for a regular file too long to decode,
 * {@linkcode InputTooLongError}, or {@linkcode InputReadInterrupted} when a signal ends the
 * wait for a stream (see {@linkcode interruptStreamReadsBySignals}).
 */
export async function readInputFile(path: string, asStream = false): Promise<InputBytes> {
  if (path === "-") {
    return {
      bytes: await readStream(path, () => Promise.resolve(Deno.stdin.readable)),
      stream: true,
    };
  }
  if (!asStream) {
    const info = Deno.statSync(path);
    if (info.isDirectory) throw new Deno.errors.IsADirectory("Is a directory (os error 21)");
    if (info.isFile) {
      if (info.size > MAX_FILE_INPUT_BYTES) throw new FileTooLongError(info.size);
      return { bytes: Deno.readFileSync(path), stream: false };
    }
  }
  // Opened off the main thread: a FIFO's open waits for its writer, and a thread blocked in
  // it would hear no signal. The stream's end closes the file.
  return {
    bytes: await readStream(path, async () => (await Deno.open(path)).readable),
    stream: true,
  };
}

/**
 * Where the command line records that a signal ends a read of a stream (see below): a global
 * under a registered symbol, not a variable of this module, as `dist/dagrun.js` holds its own
 * copy of this module and loads `src/cli_program.ts` (`dagrun run`, `validate`, `graph`) with
 * the sources' copy beside it. A variable set in one copy left the other's reads deaf to a
 * signal, and dagrun died of it without a word.
 */
const STREAM_READS_INTERRUPTIBLE = Symbol.for("dagrun.streamReadsInterruptible");

/** Whether {@linkcode interruptStreamReadsBySignals} was called, by any copy of this module. */
function streamReadsInterruptible(): boolean {
  return (globalThis as Record<symbol, unknown>)[STREAM_READS_INTERRUPTIBLE] === true;
}

/**
 * Makes every later read of a stream by {@linkcode readInputFile} (a FIFO waiting for its
 * writer, standard input a terminal or a pipe not yet written) listen to SIGINT, SIGTERM and
 * SIGHUP while it waits, and end with {@linkcode InputReadInterrupted} at the first one: the
 * command line then says so in one line and exits with the signal's status, as it does when a
 * report FIFO waits for its reader. Without it (the library's default), the signals are left
 * to their owner: dagrun installs no listener of its own in a program that loads a task file.
 * A regular file's read listens to nothing, and costs nothing more.
 */
export function interruptStreamReadsBySignals(): void {
  (globalThis as Record<symbol, unknown>)[STREAM_READS_INTERRUPTIBLE] = true;
}

/**
 * What `read()` gives; its failure worded as `cannot read WHAT: REASON`, naming `file`, except
 * a signal that ended the wait for a stream, passed on as itself (said as such, not as an input
 * left unread).
 *
 * @throws {TaskFileError} `cannot read WHAT: REASON`.
 * @throws {InputReadInterrupted} as `read()` threw it.
 */
export async function readAs<T>(what: string, file: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof InputReadInterrupted) throw error;
    throw new TaskFileError(`cannot read ${what}: ${osErrorReason(error)}`, { file });
  }
}

/** A read of a stream was ended by a signal (see {@linkcode interruptStreamReadsBySignals}). */
export class InputReadInterrupted extends Error {
  /**
   * Builds the error for the input at `path` (`-` for standard input), ended by `signal`
   * while it waited for the stream's writer to open it (`opened` false) or for its data.
   */
  constructor(readonly path: string, readonly signal: EndingSignal, opened: boolean) {
    const name = path === "-" ? "standard input" : path;
    super(
      opened
        ? `interrupted while reading ${name}`
        : `interrupted while waiting for a writer to open ${name}`,
    );
    this.name = "InputReadInterrupted";
  }

  /** The exit status of a process the signal ended: 130 for SIGINT, 143, 129. */
  get exitCode(): number {
    return exitStatusOf(this.signal);
  }
}

/**
 * Reads the stream `open` opens, bounded; while it waits, listening to the interrupting
 * signals when the command line asked for it.
 */
async function readStream(
  path: string,
  open: () => Promise<ReadableStream<Uint8Array>>,
): Promise<Uint8Array> {
  if (!streamReadsInterruptible()) return readBoundedStream(await open());
  let opened = false;
  let interrupted = false;
  const interruption = Promise.withResolvers<never>();
  // Listened to before the open starts: its thread may wait for the writer at once.
  const stopListening = listenForEndingSignals((signal) => {
    interrupted = true;
    interruption.reject(new InputReadInterrupted(path, signal, opened));
  });
  const reading = (async () => {
    const readable = await open();
    opened = true;
    // A writer that came after the signal: its file is closed, not read.
    if (interrupted) {
      await readable.cancel();
      return new Uint8Array();
    }
    return readBoundedStream(readable);
  })();
  try {
    // race() subscribes to both: the read's failure after a signal is not left unhandled.
    return await Promise.race([reading, interruption.promise]);
  } finally {
    stopListening();
  }
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
