/**
 * The `eval` executor: runs a task's arguments as a JavaScript or TypeScript snippet in a Web
 * Worker inside this process, from a pool of warm workers reused across tasks.
 *
 * @module
 */

import type { Executor, ExecutorContext, TaskResult, TaskSpec } from "../src/types.ts";
import type { EvalRequest, EvalResponse } from "./eval_protocol.ts";

/**
 * Options of {@linkcode createEvalExecutor}.
 *
 * @example
 * ```ts
 * import { createEvalExecutor, type EvalExecutorOptions } from "@dagrun/dagrun";
 *
 * const options: EvalExecutorOptions = { prewarm: 4 };
 * const evaluator = createEvalExecutor(options);
 * ```
 */
export interface EvalExecutorOptions {
  /** Workers started before the first eval task is ready; at most one per eval task. */
  readonly prewarm?: number;
}

/**
 * Creates the `eval` executor with its own worker pool.
 *
 * @example
 * ```ts
 * import { createEvalExecutor } from "@dagrun/dagrun";
 *
 * const evaluator = createEvalExecutor();
 * const result = await evaluator.run(
 *   { name: "hello", type: "eval", arguments: "console.log('hi')", dependencies: [] },
 *   {
 *     signal: new AbortController().signal,
 *     timeoutMs: undefined,
 *     env: undefined,
 *     cwd: Deno.cwd(),
 *     baseDir: Deno.cwd(),
 *     output: (stream, text) => console.log(stream, text),
 *   },
 * );
 * evaluator.dispose?.();
 * ```
 */
export function createEvalExecutor(options: EvalExecutorOptions = {}): Executor {
  const pool = new WorkerPool();
  return {
    type: "eval",
    argumentsSchema: { type: "string" },
    prepare(tasks) {
      const count = Math.min(tasks.length, options.prewarm ?? 2);
      for (let i = 0; i < count; i++) pool.release(pool.spawn());
    },
    run: (task, context) => pool.run(task, context),
    dispose: () => pool.dispose(),
  };
}

const WORKER_URL = new URL("./eval_worker.ts", import.meta.url);

/** Workers, each running one snippet at a time; idle ones wait for the next task. */
class WorkerPool {
  readonly #idle: PooledWorker[] = [];
  readonly #all = new Set<PooledWorker>();
  #nextId = 0;

  spawn(): PooledWorker {
    const worker = new PooledWorker(() => this.#discard(worker));
    this.#all.add(worker);
    return worker;
  }

  release(worker: PooledWorker): void {
    if (this.#all.has(worker)) this.#idle.push(worker);
  }

  async run(task: TaskSpec, context: ExecutorContext): Promise<TaskResult> {
    if (context.signal.aborted) return { ok: false, error: "interrupted" };
    const worker = this.#idle.pop() ?? this.spawn();
    const result = await worker.run(
      { id: this.#nextId++, name: task.name, code: task.arguments as string },
      context,
    );
    this.release(worker);
    return result;
  }

  #discard(worker: PooledWorker): void {
    this.#all.delete(worker);
    const index = this.#idle.indexOf(worker);
    if (index !== -1) this.#idle.splice(index, 1);
  }

  dispose(): void {
    for (const worker of this.#all) worker.terminate();
    this.#all.clear();
    this.#idle.length = 0;
  }
}

interface Pending {
  readonly id: number;
  readonly context: ExecutorContext;
  readonly resolve: (result: TaskResult) => void;
}

class PooledWorker {
  readonly #worker: Worker;
  readonly #onGone: () => void;
  #pending: Pending | undefined;
  #terminated = false;

  constructor(onGone: () => void) {
    this.#onGone = onGone;
    this.#worker = new Worker(WORKER_URL, { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<EvalResponse>) => this.#receive(event.data);
    this.#worker.onerror = (event) => {
      // An error the worker itself could not catch: it is no longer trustworthy.
      event.preventDefault();
      this.#finish({ ok: false, error: event.message || "the eval worker crashed" });
      this.terminate();
    };
  }

  run(request: EvalRequest, context: ExecutorContext): Promise<TaskResult> {
    return new Promise((resolve) => {
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
      this.#worker.postMessage(request);
    });
  }

  #receive(message: EvalResponse): void {
    const pending = this.#pending;
    if (!pending || message.id !== pending.id) return;
    if (message.kind === "output") {
      for (const line of message.text.split("\n")) pending.context.output(message.stream, line);
    } else if (message.kind === "done") {
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

  terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#worker.terminate();
    this.#onGone();
  }
}
