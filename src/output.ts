/**
 * Writing text to stdout and stderr: coalesced per turn of the event loop, in order, and
 * synchronous, so a slow reader slows the run down instead of filling memory. The first piece
 * after a quiet spell is written at once, so a line is not held back by the work that follows
 * it in the same turn.
 *
 * @module
 */

import { isGranted } from "./permissions.ts";

/**
 * Carriage return, then erase the whole line: on a terminal, what is written next starts on a
 * clean line (the status line's, an echoed `^C` gone).
 */
export const ERASE_LINE = "\r\x1b[2K";

/**
 * Where formatters write.
 *
 * @example
 * ```ts
 * import { createHumanFormatter, type TextSink } from "@dagrun/dagrun";
 *
 * const lines: string[] = [];
 * const sink: TextSink = { out: (text) => lines.push(text), err: (text) => lines.push(text), flush() {} };
 * createHumanFormatter(sink)({ event: "task_started", task: "a", type: "exec", time: 0 });
 * lines; // ["Started: a\n"]
 * ```
 */
export interface TextSink {
  /** Queues text for standard output. */
  out(text: string): void;
  /** Queues text for standard error. */
  err(text: string): void;
  /** Writes everything queued. */
  flush(): void;
}

/**
 * A stream a sink can write to synchronously.
 *
 * @example
 * ```ts
 * import { createSink, type SyncWriter } from "@dagrun/dagrun";
 *
 * const chunks: Uint8Array[] = [];
 * const writer: SyncWriter = {
 *   writeSync(bytes) {
 *     chunks.push(bytes.slice());
 *     return bytes.length;
 *   },
 * };
 * createSink({ stdout: writer }).out("hello\n");
 * ```
 */
export interface SyncWriter {
  /** Writes some of the bytes, returning how many. */
  writeSync(bytes: Uint8Array): number;
}

/**
 * Options of {@linkcode createSink}.
 *
 * @example
 * ```ts
 * import { createSink, type SinkOptions } from "@dagrun/dagrun";
 *
 * const options: SinkOptions = { onClosed: () => console.error("stdout went away") };
 * const sink = createSink(options);
 * ```
 */
export interface SinkOptions {
  /**
   * Standard output; `Deno.stdout` by default (or, when it is a non-blocking pipe or terminal,
   * the same one opened afresh, blocking).
   */
  readonly stdout?: SyncWriter;
  /** Standard error; `Deno.stderr` by default, or opened afresh as standard output is. */
  readonly stderr?: SyncWriter;
  /**
   * Called once when standard output can no longer be written (its reader went away, the
   * disk is full), with the error; nothing more is written to it. Standard error failing is
   * not reported (there is nowhere left to say so): its text is dropped from then on.
   */
  readonly onClosed?: (error: unknown) => void;
}

/** How long without a write makes the next piece go out at once, in milliseconds. */
const QUIET_MS = 2;

/** `O_NONBLOCK` in Linux's open flags. */
const O_NONBLOCK = 0o4000;

/**
 * The writer for standard output (fd 1) or error (fd 2): `Deno.stdout` or `Deno.stderr`,
 * unless it is non-blocking. `O_NONBLOCK` is a flag of the open file description, which every
 * process sharing the pipe or terminal shares: one that set it for itself (a program that
 * crashed, leaving a terminal so; an event loop on the pipe dagrun's parent writes to) sets it
 * for dagrun too. Such a stream says `EAGAIN` when full, which `Deno.stdout` reports as an
 * error even after it has taken some of the bytes into its own line buffer, so that neither
 * stopping (a slow reader is not a closed output) nor writing again (lines twice) is right.
 * The pipe or terminal is then opened afresh through `/proc/self/fd`, a description of its
 * own, blocking, written to directly. A file never says `EAGAIN`; a socket cannot be opened
 * so, nor anything off Linux: those keep Deno's writer (a full one still ends the run as a
 * failed output).
 */
function stdioWriter(fd: 1 | 2): SyncWriter {
  const deno = fd === 1 ? Deno.stdout : Deno.stderr;
  try {
    // Without the permission, asking would prompt a library's user on a terminal: not worth it.
    if (!isGranted({ name: "read", path: "/proc/self" })) return deno;
    const info = new TextDecoder().decode(Deno.readFileSync(`/proc/self/fdinfo/${fd}`));
    const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
    if (flags === undefined || (parseInt(flags, 8) & O_NONBLOCK) === 0) return deno;
    const path = `/proc/self/fd/${fd}`;
    const kind = Deno.statSync(path);
    if (!kind.isFifo && !kind.isCharDevice) return deno;
    if (!isGranted({ name: "write", path })) return deno;
    return Deno.openSync(path, { write: true });
  } catch {
    return deno;
  }
}

/**
 * A sink that gathers text and writes it at the end of the current microtask queue, keeping
 * the order of stdout and stderr pieces; the first piece after 2 ms without a write goes out
 * at once.
 *
 * @example
 * ```ts
 * import { createSink } from "@dagrun/dagrun";
 *
 * const sink = createSink();
 * sink.out("to stdout\n");
 * sink.err("to stderr\n");
 * sink.flush(); // or let the end of the microtask queue write them
 * ```
 */
export function createSink(options: SinkOptions = {}): TextSink {
  const stdout = options.stdout ?? stdioWriter(1);
  const stderr = options.stderr ?? stdioWriter(2);
  const encoder = new TextEncoder();
  const queue: { writer: SyncWriter; text: string }[] = [];
  let scheduled = false;
  // Each stream stops on its own: a broken stderr must not take stdout (and the run) with it.
  let outClosed = false, errClosed = false;

  // One buffer for all writes: encoding each piece into a new one would leave a dead buffer
  // per write for the collector, and a task printing 200 MB makes thousands.
  const buffer = new Uint8Array(64 * 1024);
  const writeAll = (writer: SyncWriter, text: string) => {
    while (text.length > 0) {
      const { read, written } = encoder.encodeInto(text, buffer);
      let bytes = buffer.subarray(0, written);
      while (bytes.length > 0) bytes = bytes.subarray(writer.writeSync(bytes));
      text = text.slice(read);
    }
  };
  let lastWrite = -Infinity;
  let unreported: { error: unknown } | undefined;
  const write = () => {
    lastWrite = performance.now();
    let i = 0;
    while (i < queue.length) {
      // Adjacent pieces for the same stream go out in one write.
      const writer = queue[i]!.writer;
      let text = "";
      while (i < queue.length && queue[i]!.writer === writer) text += queue[i++]!.text;
      const toStdout = writer === stdout;
      if (toStdout ? outClosed : errClosed) continue;
      try {
        writeAll(writer, text);
      } catch (error) {
        if (toStdout) {
          outClosed = true;
          unreported = { error };
        } else {
          errClosed = true;
        }
      }
    }
    queue.length = 0;
  };
  const report = () => {
    if (!unreported) return;
    const { error } = unreported;
    unreported = undefined;
    options.onClosed?.(error);
  };
  const flush = () => {
    scheduled = false;
    write();
    report();
  };
  const push = (writer: SyncWriter, text: string) => {
    queue.push({ writer, text });
    if (scheduled) return;
    if (performance.now() - lastWrite >= QUIET_MS) {
      // The first piece after a quiet spell goes out at once: a task's "Started:" line is
      // seen before its process is spawned, not after. What follows it in the same burst
      // is coalesced as usual. A closed stream is reported after the caller's work, as a
      // write in a microtask would.
      write();
      if (unreported) queueMicrotask(report);
      return;
    }
    scheduled = true;
    queueMicrotask(flush);
  };
  return {
    out: (text) => push(stdout, text),
    err: (text) => push(stderr, text),
    flush,
  };
}
