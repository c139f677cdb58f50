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

/**
 * Main thread to worker: do not run a request still queued (its task was stopped, or it is
 * taken back for an idle worker). A request already started is not affected.
 */
export interface EvalCancel {
  /** Discriminant. */
  readonly kind: "cancel";
  /** The request's id. */
  readonly id: number;
}

/** Main thread to worker: several requests in one message, run in order. */
export interface EvalBatch {
  /** Discriminant. */
  readonly kind: "batch";
  /** The requests. */
  readonly requests: readonly EvalRequest[];
}

/** Main thread to worker. */
export type EvalCommand = EvalConfig | EvalRequest | EvalBatch | EvalCancel;

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
  /** A cancelled request was dropped from the queue: it never ran. */
  | { readonly id: number; readonly kind: "cancelled" }
  | {
    readonly id: number;
    readonly kind: "done";
    readonly ok: boolean;
    readonly error?: string;
    /** The worker should not run another task (it was told to exit, or is full). */
    readonly retire?: boolean;
    /**
     * The queued request the worker starts now; absent when its queue was empty, in which
     * case it starts the next request on arrival.
     */
    readonly next?: number;
  };
