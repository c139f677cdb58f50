/// <reference lib="deno.worker" />
/**
 * Console capture for the eval worker: `console.*` formatted by Deno's own console, batched,
 * and posted to the main thread as output of the task that is running.
 *
 * @module
 */

import type { OutputPiece } from "./eval_protocol.ts";

/** Where captured output goes and what it may cost. */
export interface CaptureSink {
  /** Posts a batch of output for the running task. */
  post(pieces: OutputPiece[]): void;
  /** Called once when the running task printed more than its limit. */
  overflow(limit: number): void;
  /** Rewrites stack frames in `console.trace` output to the snippet's own. */
  frames(text: string): string;
}

/** Kept from before any snippet ran: a snippet may replace the global. */
const defer = queueMicrotask;

/** Output batches are posted at the end of the current microtask queue, or past this size. */
const BATCH_CHARS = 64 * 1024;

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Buffers console output of the running task and posts it in order, in batches. */
export class Capture {
  readonly #sink: CaptureSink;
  #pieces: OutputPiece[] = [];
  #batched = 0;
  #printed = 0;
  #limit = Infinity;
  /** Whether to remove colour sequences: those of Deno's console, when unwanted. */
  #strip = false;
  #active = false;
  #overflowed = false;
  #scheduled = false;
  /** Text written to `Deno.stdout`/`Deno.stderr` since the last newline, per stream. */
  #partial = { stdout: "", stderr: "" };

  constructor(sink: CaptureSink) {
    this.#sink = sink;
  }

  /**
   * Sets the colour policy and output limit. Colours are removed only when Deno's console
   * added some (stdout is a terminal, and Deno was not told `NO_COLOR`) and dagrun does not
   * want them: a snippet's own escape sequences in text printed to a pipe are its output.
   */
  configure(colors: boolean, limit: number): void {
    this.#strip = !colors && Deno.stdout.isTerminal() && !Deno.noColor;
    this.#limit = limit;
  }

  /** Starts charging output to a new task. */
  begin(): void {
    this.#active = true;
    this.#printed = 0;
    this.#overflowed = false;
    this.#partial = { stdout: "", stderr: "" };
  }

  /** Posts what is buffered and stops capturing until the next task. */
  end(): void {
    // A last line written without its newline still belongs to the task.
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.#partial[stream] !== "") this.note(stream, `${this.#partial[stream]}\n`);
    }
    this.#partial = { stdout: "", stderr: "" };
    this.flush();
    this.#active = false;
  }

  /**
   * Queues the snippet's text (lines, each ending with `\n`) for a stream, within the limit.
   * `fromConsole` says Deno's console formatted it, and may have coloured it.
   */
  write(stream: "stdout" | "stderr", text: string, fromConsole = true): void {
    if (!this.#active) return; // a finished task's stray output has no one to go to
    // A line begun on Deno.stdout and ended by console.log is one line, as on a terminal.
    if (this.#partial[stream] !== "") {
      text = this.#partial[stream] + text;
      this.#partial[stream] = "";
    }
    if (this.#overflowed) {
      // Throwing stops a snippet printing in a loop, which terminate() alone could not.
      throw new RangeError(`Output limit of ${this.#limit} characters exceeded`);
    }
    if (fromConsole && this.#strip && text.includes("\x1b")) text = text.replace(ANSI, "");
    this.#printed += text.length;
    if (this.#printed > this.#limit) {
      this.#overflowed = true;
      this.flush();
      this.#sink.overflow(this.#limit);
      return;
    }
    this.note(stream, text);
  }

  /**
   * Queues text the snippet wrote to `Deno.stdout` or `Deno.stderr`, which need not end
   * lines: whole lines go out as console output does, the rest waits for its newline (or the
   * task's end).
   */
  writeRaw(stream: "stdout" | "stderr", text: string): void {
    if (!this.#active) return;
    const cut = text.lastIndexOf("\n") + 1;
    // write() puts what waited for its newline in front of the first line.
    // Bytes written to Deno.stdout are the snippet's own, colours included.
    if (cut > 0) this.write(stream, text.slice(0, cut), false);
    this.#partial[stream] += text.slice(cut);
  }

  /** Queues dagrun's own text about the task (an error's details), past any limit. */
  note(stream: "stdout" | "stderr", text: string): void {
    if (!this.#active) return;
    const last = this.#pieces.at(-1);
    if (last && last.stream === stream) {
      this.#pieces[this.#pieces.length - 1] = { stream, text: last.text + text };
    } else {
      this.#pieces.push({ stream, text });
    }
    this.#batched += text.length;
    if (this.#batched >= BATCH_CHARS) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      defer(() => this.flush());
    }
  }

  /** Posts the buffered output now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pieces.length === 0) return;
    const pieces = this.#pieces;
    this.#pieces = [];
    this.#batched = 0;
    this.#sink.post(pieces);
  }

  /** Replaces the worker's `console` methods with capturing ones. */
  install(): void {
    const console = createConsole((text, level) => {
      if (level === 4) text = this.#sink.frames(text); // console.trace
      this.write(level >= 2 ? "stderr" : "stdout", text);
    });
    Object.assign(globalThis.console, console);
    for (const stream of ["stdout", "stderr"] as const) this.#installStdio(stream);
  }

  /**
   * Routes writes to `Deno.stdout` or `Deno.stderr` (`write`, `writeSync`, `writable`) into
   * the capture, so they are the task's output like `console.*`'s, not bare bytes on
   * dagrun's own output in between its lines.
   */
  #installStdio(stream: "stdout" | "stderr"): void {
    const target = Deno[stream];
    const decoder = new TextDecoder();
    const take = (bytes: Uint8Array): number => {
      this.writeRaw(stream, decoder.decode(bytes, { stream: true }));
      return bytes.byteLength;
    };
    let writable: WritableStream<Uint8Array> | undefined;
    Object.defineProperties(target, {
      writeSync: { value: take, configurable: true, writable: true },
      write: {
        value: (bytes: Uint8Array) => Promise.resolve(take(bytes)),
        configurable: true,
        writable: true,
      },
      // Made when first asked for: creating a stream loads the web streams (≈ 2 ms).
      writable: {
        get: () => writable ??= new WritableStream({ write: (chunk) => void take(chunk) }),
        configurable: true,
      },
    });
  }
}

type PrintFunction = (text: string, level: number) => void;

/**
 * A console formatting exactly as Deno's does: Deno's own `Console` class, which takes a
 * print function (level 0 debug, 1 log and info, 2 warn, 3 error, 4 trace). It is reachable
 * only through `Deno[Deno.internal]`; should a release hide it, a plain console built on
 * `Deno.inspect` takes its place.
 */
function createConsole(print: PrintFunction): Partial<Console> {
  const internal = (Deno as unknown as Record<symbol, Record<string, unknown> | undefined>)[
    (Deno as unknown as { internal: symbol }).internal
  ];
  const DenoConsole = internal?.Console as (new (print: PrintFunction) => Console) | undefined;
  if (typeof DenoConsole === "function") {
    const instance = new DenoConsole(print);
    const methods: Record<string, unknown> = {};
    for (const key of Object.keys(instance)) {
      const value = (instance as unknown as Record<string, unknown>)[key];
      if (typeof value === "function") methods[key] = value;
    }
    return methods as Partial<Console>;
  }
  const line = (args: unknown[]) =>
    args.map((arg) => typeof arg === "string" ? arg : Deno.inspect(arg)).join(" ") + "\n";
  return {
    log: (...args: unknown[]) => print(line(args), 1),
    info: (...args: unknown[]) => print(line(args), 1),
    debug: (...args: unknown[]) => print(line(args), 0),
    warn: (...args: unknown[]) => print(line(args), 2),
    error: (...args: unknown[]) => print(line(args), 3),
  };
}
