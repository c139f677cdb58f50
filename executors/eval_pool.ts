/**
 * The pool of Web Workers behind the `eval` executor.
 *
 * Workers start before they are needed, run one task at a time, and are reused (`pooled`) or
 * replaced after each task (`fresh`). A task that finds no idle worker waits for the first one
 * free, in arrival order. The pool grows while tasks wait and the busy workers make no
 * progress (long or asynchronous snippets); a stream of short tasks is served by the workers it
 * has, which is much cheaper than starting a worker per task (~15–30 ms each). It never holds
 * more workers than its cap: the run's concurrency limit, or `maxWorkers`.
 *
 * @module
 */

import type { ExecutorContext, TaskResult, TaskSpec } from "../src/types.ts";
import { EvalWorker, type EvalWorkerOptions } from "./eval_worker_handle.ts";

/** How the pool runs snippets. */
export interface PoolOptions extends EvalWorkerOptions {
  /** `pooled`: workers are reused; `fresh`: a brand-new worker per task. */
  readonly isolation: "pooled" | "fresh";
  /** The most workers alive at once. */
  readonly maxWorkers: number;
  /** The most workers starting at once (each start is CPU-bound). */
  readonly maxStarting: number;
}

/** Waiting this long with no worker finishing a task means the busy ones are slow: grow. */
const GROW_AFTER_MS = 20;

interface Waiter {
  readonly signal: AbortSignal;
  readonly resolve: (worker: EvalWorker | undefined) => void;
}

/** The tasks waiting under one abort signal, and the one listener watching it. */
interface SignalGroup {
  readonly waiters: Set<Waiter>;
  readonly onAbort: () => void;
}

/** Workers, each running one snippet at a time. */
export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #live = new Set<EvalWorker>();
  readonly #idle: EvalWorker[] = [];
  #waiting: Waiter[] = [];
  /**
   * Waiting tasks by abort signal. Many tasks share the run's signal, and each listener
   * added to and removed from one signal costs a scan of its listeners: one listener per
   * signal keeps thousands of waiting tasks from costing quadratic time.
   */
  readonly #groups = new Map<AbortSignal, SignalGroup>();
  #cap: number;
  #starting = 0;
  #busy = 0;
  /** Tasks announced by `prepare` that have not asked for a worker yet. */
  #remaining = 0;
  /** When a worker last started or finished a task, or became ready. */
  #lastProgress = 0;
  #growTimer: ReturnType<typeof setTimeout> | undefined;
  #topUpQueued = false;
  /** Set when a worker died before it was ready: the pool cannot work. */
  #brokenBy: string | undefined;
  #nextId = 0;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#cap = options.maxWorkers;
  }

  /** The number of workers alive, starting, idle or busy. */
  get size(): number {
    return this.#live.size;
  }

  /** Takes note of the run's eval tasks and its concurrency limit, and starts workers. */
  prepare(taskCount: number, concurrency = Infinity): void {
    this.#remaining = taskCount;
    this.#cap = Math.max(1, Math.min(this.#options.maxWorkers, concurrency));
    this.#brokenBy = undefined;
    const warm = Math.min(taskCount, this.#cap, this.#options.maxStarting);
    // `new Worker()` blocks this thread for a while (~15 ms here): let the scheduler start the
    // first tasks (exec processes) before the workers, which then start alongside them.
    queueMicrotask(() => {
      while (this.#live.size < warm && this.#starting < this.#options.maxStarting) this.#spawn();
    });
  }

  /** Runs one task on a worker of the pool. */
  async run(task: TaskSpec, context: ExecutorContext): Promise<TaskResult> {
    if (this.#remaining > 0) this.#remaining--;
    if (context.signal.aborted) return { ok: false, error: "interrupted" };
    if (this.#brokenBy) return { ok: false, error: this.#brokenBy };
    let worker = this.#idle.pop();
    if (worker) {
      this.#busy++;
      this.#lastProgress = performance.now();
    } else {
      worker = await this.#wait(context.signal); // counted busy when handed over
    }
    if (!worker) return { ok: false, error: this.#brokenBy ?? "interrupted" };
    const result = await worker.run(
      { kind: "run", id: this.#nextId++, name: task.name, code: String(task.arguments) },
      context,
    );
    this.#busy--;
    this.#lastProgress = performance.now();
    if (worker.gone) return result;
    if (this.#options.isolation === "fresh" || worker.retiring) worker.terminate();
    else this.#offer(worker);
    return result;
  }

  /** Terminates every worker; tasks still waiting for one end as interrupted. */
  dispose(): void {
    this.#remaining = 0;
    this.#failWaiting();
    for (const worker of [...this.#live]) worker.terminate();
    this.#idle.length = 0;
    if (this.#growTimer !== undefined) clearTimeout(this.#growTimer);
    this.#growTimer = undefined;
  }

  #wait(signal: AbortSignal): Promise<EvalWorker | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = { signal, resolve };
      let group = this.#groups.get(signal);
      if (!group) {
        group = { waiters: new Set(), onAbort: () => this.#abortWaiting(signal) };
        this.#groups.set(signal, group);
        signal.addEventListener("abort", group.onAbort, { once: true });
      }
      group.waiters.add(waiter);
      this.#waiting.push(waiter);
      this.#topUp();
    });
  }

  /** Removes the first waiting task from the queue and its signal's group. */
  #takeWaiting(): Waiter | undefined {
    const waiter = this.#waiting.shift();
    if (!waiter) return undefined;
    const group = this.#groups.get(waiter.signal)!;
    group.waiters.delete(waiter);
    if (group.waiters.size === 0) {
      this.#groups.delete(waiter.signal);
      waiter.signal.removeEventListener("abort", group.onAbort);
    }
    return waiter;
  }

  /** The tasks waiting under an aborted signal end as interrupted. */
  #abortWaiting(signal: AbortSignal): void {
    const group = this.#groups.get(signal);
    if (!group) return;
    this.#groups.delete(signal);
    this.#waiting = this.#waiting.filter((waiter) => !group.waiters.has(waiter));
    for (const waiter of group.waiters) waiter.resolve(undefined);
  }

  /** Every waiting task ends without a worker. */
  #failWaiting(): void {
    for (const [signal, group] of this.#groups) signal.removeEventListener("abort", group.onAbort);
    this.#groups.clear();
    for (const waiter of this.#waiting.splice(0)) waiter.resolve(undefined);
  }

  /** Hands a free worker to the first waiting task, or keeps it idle. */
  #offer(worker: EvalWorker): void {
    const waiter = this.#takeWaiting();
    if (!waiter) return void this.#idle.push(worker);
    this.#busy++;
    this.#lastProgress = performance.now();
    waiter.resolve(worker);
  }

  #spawn(): void {
    this.#starting++;
    const worker: EvalWorker = new EvalWorker(this.#options, {
      ready: () => {
        this.#starting--;
        this.#lastProgress = performance.now();
        this.#offer(worker);
        this.#topUp();
      },
      gone: (startError) => this.#discard(worker, startError),
    });
    this.#live.add(worker);
  }

  #discard(worker: EvalWorker, startError: string | undefined): void {
    if (!this.#live.delete(worker)) return;
    const index = this.#idle.indexOf(worker);
    if (index !== -1) this.#idle.splice(index, 1);
    if (!worker.ready) this.#starting--;
    if (startError !== undefined) {
      // Starting another would fail the same way: fail the waiting tasks instead.
      this.#brokenBy = `Cannot start an eval worker: ${startError}`;
      this.#failWaiting();
      return;
    }
    this.#topUp(); // replaces it while tasks wait or are still to come
  }

  /** Starts workers while tasks need them, after the current task starts (see `prepare`). */
  #topUp(): void {
    if (this.#topUpQueued) return;
    this.#topUpQueued = true;
    queueMicrotask(() => {
      this.#topUpQueued = false;
      this.#grow();
    });
  }

  /** Starts workers while tasks need them, within the cap and the start limit. */
  #grow(): void {
    if (this.#brokenBy) return;
    const fresh = this.#options.isolation === "fresh";
    const wanted = this.#waiting.length + (fresh ? this.#remaining : Math.min(this.#remaining, 1));
    while (
      this.#idle.length + this.#starting < wanted && this.#live.size < this.#cap &&
      this.#starting < this.#options.maxStarting
    ) {
      // Busy pooled workers that keep finishing tasks will serve the waiting ones sooner
      // than a new worker could start.
      const sinceProgress = performance.now() - this.#lastProgress;
      if (!fresh && this.#busy > 0 && sinceProgress < GROW_AFTER_MS) {
        this.#growLater(GROW_AFTER_MS - sinceProgress);
        return;
      }
      this.#spawn();
    }
  }

  #growLater(ms: number): void {
    if (this.#growTimer !== undefined) return;
    const timer = setTimeout(() => {
      this.#growTimer = undefined;
      this.#topUp();
    }, Math.ceil(ms));
    Deno.unrefTimer(timer);
    this.#growTimer = timer;
  }
}
