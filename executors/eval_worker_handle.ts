/**
 * One eval worker seen from the main thread: starts it, sends it a task, passes its output on,
 * and terminates it when the task is stopped or the worker can no longer be trusted.
 *
 * @module
 */

import type { ExecutorContext, TaskResult } from "../src/types.ts";
import type { EvalPermissions } from "./eval_permissions.ts";
import type { EvalCommand, EvalRequest, EvalResponse } from "./eval_protocol.ts";

/** How each worker is started and captures output. */
export interface EvalWorkerOptions {
  /** Deno's `deno.permissions` worker option; left out (so inherited) when undefined. */
  readonly permissions: EvalPermissions | undefined;
  /** Keep the colours Deno's console adds on a terminal. */
  readonly colors: boolean;
  /** A task printing more than this many characters fails. */
  readonly maxOutputChars: number;
  /** A worker is replaced after this many module snippets (their modules stay loaded). */
  readonly maxModules: number;
}

/** What the pool hears from a worker. */
export interface EvalWorkerEvents {
  /** The worker has loaded and waits for tasks. */
  ready(): void;
  /** The worker is terminated; `startError` when it died before it was ready. */
  gone(startError?: string): void;
}

const WORKER_URL = new URL("./eval_worker.ts", import.meta.url);

interface Pending {
  readonly id: number;
  readonly context: ExecutorContext;
  readonly resolve: (result: TaskResult) => void;
}

/** A worker running one snippet at a time. */
export class EvalWorker {
  readonly #worker: Worker;
  readonly #events: EvalWorkerEvents;
  #pending: Pending | undefined;
  #ready = false;
  #gone = false;
  #retiring = false;

  constructor(options: EvalWorkerOptions, events: EvalWorkerEvents) {
    this.#events = events;
    this.#worker = new Worker(WORKER_URL, {
      type: "module",
      // Only a sandbox passes the unstable option, so the default needs no flag.
      ...(options.permissions === undefined ? {} : { deno: { permissions: options.permissions } }),
    });
    this.#worker.onmessage = (event: MessageEvent<EvalResponse>) => this.#receive(event.data);
    this.#worker.onerror = (event) => {
      // An error the worker itself could not catch: it is no longer trustworthy.
      event.preventDefault();
      const message = event.message || "the eval worker crashed";
      this.#finish({ ok: false, error: message });
      this.terminate(this.#ready ? undefined : message);
    };
    this.#send({
      kind: "config",
      colors: options.colors,
      maxOutputChars: options.maxOutputChars,
      maxModules: options.maxModules,
    });
  }

  /** Whether the worker has loaded. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Whether the worker was terminated. */
  get gone(): boolean {
    return this.#gone;
  }

  /** Whether the worker asked not to be given another task. */
  get retiring(): boolean {
    return this.#retiring;
  }

  /** Runs one snippet; stopping the task through `context.signal` terminates the worker. */
  run(request: EvalRequest, context: ExecutorContext): Promise<TaskResult> {
    return new Promise((resolve) => {
      if (this.#gone) return resolve({ ok: false, error: "interrupted" });
      const stop = () => {
        this.#finish({ ok: false, error: "interrupted" });
        this.terminate();
      };
      context.signal.addEventListener("abort", stop, { once: true });
      this.#pending = {
        id: request.id,
        context,
        resolve: (result) => {
          context.signal.removeEventListener("abort", stop);
          resolve(result);
        },
      };
      this.#send(request);
    });
  }

  /** Stops the worker (a snippet spinning in a loop keeps its thread, not the pool's slot). */
  terminate(startError?: string): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#worker.terminate();
    this.#finish({ ok: false, error: "the eval worker was terminated" });
    this.#events.gone(startError);
  }

  #send(command: EvalCommand): void {
    this.#worker.postMessage(command);
  }

  #receive(message: EvalResponse): void {
    if (message.kind === "ready") {
      this.#ready = true;
      this.#events.ready();
      return;
    }
    const pending = this.#pending;
    if (!pending || message.id !== pending.id) return; // late output of a finished task
    if (message.kind === "output") {
      for (const piece of message.pieces) {
        const text = piece.text.endsWith("\n") ? piece.text.slice(0, -1) : piece.text;
        for (const line of text.split("\n")) pending.context.output(piece.stream, line);
      }
    } else if (message.kind === "done") {
      if (message.retire) this.#retiring = true;
      this.#finish(
        message.ok ? { ok: true } : { ok: false, error: message.error ?? "eval failed" },
      );
    }
  }

  #finish(result: TaskResult): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve(result);
  }
}
