/**
 * Messages between the `eval` executor and its workers.
 *
 * @module
 */

/** Main thread to worker: run one snippet. */
export interface EvalRequest {
  /** Identifies the task run in the responses. */
  readonly id: number;
  /** Task name, for stack frames. */
  readonly name: string;
  /** The snippet. */
  readonly code: string;
}

/** Worker to main thread. */
export type EvalResponse =
  | { readonly id: -1; readonly kind: "ready" }
  | {
    readonly id: number;
    readonly kind: "output";
    readonly stream: "stdout" | "stderr";
    readonly text: string;
  }
  | { readonly id: number; readonly kind: "done"; readonly ok: boolean; readonly error?: string };
