/**
 * Messages between the `eval` executor and its workers.
 *
 * @module
 */

/** Main thread to worker, once, before any request: how to capture output. */
export interface EvalConfig {
  /** Discriminant. */
  readonly kind: "config";
  /** Keep the colours Deno's console adds on a terminal; strip them otherwise. */
  readonly colors: boolean;
  /** A task printing more than this many characters fails; the excess is dropped. */
  readonly maxOutputChars: number;
  /** Retire the worker after this many module snippets, whose modules stay in memory. */
  readonly maxModules: number;
}

/** Main thread to worker: run one snippet. */
export interface EvalRequest {
  /** Discriminant. */
  readonly kind: "run";
  /** Identifies the task run in the responses. */
  readonly id: number;
  /** Task name, for stack frames. */
  readonly name: string;
  /** The snippet. */
  readonly code: string;
}

/** Main thread to worker. */
export type EvalCommand = EvalConfig | EvalRequest;

/** One piece of captured output: text ending with a newline, for one stream. */
export interface OutputPiece {
  /** The stream it goes to. */
  readonly stream: "stdout" | "stderr";
  /** Whole lines, each ending with `\n`. */
  readonly text: string;
}

/** Worker to main thread. */
export type EvalResponse =
  | { readonly kind: "ready" }
  | { readonly id: number; readonly kind: "output"; readonly pieces: readonly OutputPiece[] }
  | {
    readonly id: number;
    readonly kind: "done";
    readonly ok: boolean;
    readonly error?: string;
    /** The worker should not run another task (it was told to exit, or is full). */
    readonly retire?: boolean;
  };
