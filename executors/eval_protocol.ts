/**
 * Messages between the `eval` executor and its workers, and the claims they share.
 *
 * A worker may be sent requests while it runs one, which it queues. Whether a queued request
 * still runs there is decided by one atomic compare-and-exchange on its claim (a slot of an
 * `Int32Array` over shared memory, one per request sent and not ended): the worker claims it
 * when it starts it, the main thread takes it back (to an idle worker, or because its task was
 * stopped). Whichever comes first wins, without the other thread's help: a worker busy in a
 * long synchronous snippet cannot read a message, so a message asking for a request back
 * would wait for that snippet, and so would the request.
 *
 * Only the config goes through the worker's own messages, with one end of a
 * `MessageChannel`: everything else goes through that port, which the worker's harness keeps
 * to itself. A snippet runs in the same global scope as the harness, and whatever it posts
 * with `self.postMessage` or listens to with `self.onmessage` would otherwise be the
 * protocol's: a message shaped like a `done` could end its task as a success while it still
 * ran, and its listener could read (or break) the requests of the worker's next tasks.
 *
 * @module
 */

/**
 * A claim's value while its request waits is the ticket it was sent with: positive, and new
 * for every send, so that a copy of a request taken back and sent again to the same worker
 * cannot be claimed by the first copy, still queued there.
 */
/** A claim's value once the worker has started its request. */
export const STARTED_CLAIM = -1;
/** A claim's value once the main thread has taken its request back: it never runs there. */
export const TAKEN_CLAIM = -2;

/**
 * Main thread to worker, once, through the worker's own messages, before any request: the
 * private port for everything after it, and how to capture output.
 */
export interface EvalConfig {
  /** Discriminant. */
  readonly kind: "config";
  /** The worker's end of the protocol's channel (transferred): requests come, responses go. */
  readonly port: MessagePort;
  /** Keep the colours Deno's console adds on a terminal; strip them otherwise. */
  readonly colors: boolean;
  /** A task printing more than this many characters fails; the excess is dropped. */
  readonly maxOutputChars: number;
  /** Retire the worker after this many module snippets, whose modules stay in memory. */
  readonly maxModules: number;
  /** The claims of the requests sent (see the module's documentation). */
  readonly claims: SharedArrayBuffer;
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

/** A request as sent to one worker: with the slot of its claim there, and its ticket. */
export interface EvalSent extends EvalRequest {
  /** Its claim's index in the worker's `claims`. */
  readonly slot: number;
  /** The claim's value while the request waits (see above). */
  readonly ticket: number;
}

/** Main thread to worker: several requests in one message, run in order. */
export interface EvalBatch {
  /** Discriminant. */
  readonly kind: "batch";
  /** The requests. */
  readonly requests: readonly EvalSent[];
}

/** Main thread to worker, through the private port. */
export type EvalCommand = EvalSent | EvalBatch;

/** One piece of captured output: text ending with a newline, for one stream. */
export interface OutputPiece {
  /** The stream it goes to. */
  readonly stream: "stdout" | "stderr";
  /** Whole lines, each ending with `\n`. */
  readonly text: string;
}

/** Worker to main thread, through the private port; `ready` answers the config. */
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
    /**
     * The queued request the worker has claimed and starts now; absent when none was left
     * to claim (its queue was empty, or taken back), in which case it claims the next
     * request on arrival.
     */
    readonly next?: number;
  };
