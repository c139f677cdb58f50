/**
 * The pool of Web Workers behind the `eval` executor.
 *
 * Workers start before they are needed and are reused (`pooled`) or replaced after each task
 * (`fresh`). Each runs one task at a time; tasks queue in the pool in arrival order, and a
 * pooled worker is also sent a few of them ahead (`pipeline`), which it starts as soon as its
 * task ends, instead of going to sleep until this thread answers. A worker left idle while
 * another has tasks queued behind a slow one takes them back (at once, through shared memory:
 * see `eval_protocol.ts`), so a slow task holds up only itself. The pool grows
 * while tasks wait and the busy workers make no progress (long or asynchronous snippets); a
 * stream of short tasks is served by the workers it has, which is much cheaper than starting a
 * worker per task (~15–30 ms each). It never holds more workers than its cap: the run's
 * concurrency limit, or `maxWorkers`.
 *
 * @module
 */

import type { ExecutorContext, TaskResult, TaskSpec } from "../src/types.ts";
import type { EvalRequest } from "./eval_protocol.ts";
import {
  type EvalJob,
  EvalWorker,
  evalWorkerModule,
  type EvalWorkerOptions,
} from "./eval_worker_handle.ts";

/** How the pool runs snippets. */
export interface PoolOptions extends EvalWorkerOptions {
  /** `pooled`: workers are reused; `fresh`: a brand-new worker per task. */
  readonly isolation: "pooled" | "fresh";
  /** The most workers alive at once. */
  readonly maxWorkers: number;
  /** The most workers starting at once (each start is CPU-bound). */
  readonly maxStarting: number;
  /** Tasks sent to a pooled worker at once: the running one and those queued behind it. */
  readonly pipeline: number;
}

/** Waiting this long with no worker finishing a task means the busy ones are slow: grow. */
const GROW_AFTER_MS = 20;
/**
 * A worker whose task has run this long is slow: an idle worker takes back the tasks queued
 * behind it. Sooner, it is most likely about to start them itself, without a message, which
 * is what they were queued there for.
 */
const RECLAIM_AFTER_MS = 20;

const INTERRUPTED: TaskResult = { ok: false, error: "interrupted" };

/** A task in the pool; it leaves its signal's group when it ends. */
class Job implements EvalJob {
  readonly request: EvalRequest;
  readonly context: ExecutorContext;
  worker: EvalWorker | undefined = undefined;
  #settled = false;
  readonly #resolve: (result: TaskResult) => void;
  readonly #ended: (job: Job) => void;

  constructor(
    request: EvalRequest,
    context: ExecutorContext,
    resolve: (result: TaskResult) => void,
    ended: (job: Job) => void,
  ) {
    this.request = request;
    this.context = context;
    this.#resolve = resolve;
    this.#ended = ended;
  }

  get settled(): boolean {
    return this.#settled;
  }

  settle(result: TaskResult): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#ended(this);
    this.#resolve(result);
  }
}

/** Workers, each running one snippet at a time. */
export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #live = new Set<EvalWorker>();
  /** Workers that are ready and take tasks. */
  readonly #serving: EvalWorker[] = [];
  /** Tasks not sent to a worker yet, in arrival order (ended ones are skipped lazily). */
  readonly #waiting = new JobQueue();
  /**
   * Unended tasks by abort signal. Many tasks share the run's signal, and each listener
   * added to and removed from one signal costs a scan of its listeners: one listener per
   * signal keeps thousands of tasks from costing quadratic time.
   */
  readonly #groups = new Map<AbortSignal, Set<Job>>();
  /** The listener on each signal of `#groups`: one function, told which by the event. */
  readonly #onAbort = (event: Event) => this.#abort(event.target as AbortSignal);
  #cap: number;
  /** Tasks announced by `prepare` that have not asked for a worker yet. */
  #remaining = 0;
  /** When a worker last started or finished a task, or became ready. */
  #lastProgress = 0;
  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  #topUpQueued = false;
  /** Changed by each `prepare` and `dispose`: workers a `prepare` asked for start only in its own. */
  #generation = 0;
  /** Set when a worker died before it was ready: the pool cannot work. */
  #brokenBy: string | undefined;
  #nextId = 0;
  readonly #jobEnded = (job: Job) => this.#leaveGroup(job);

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#cap = options.maxWorkers;
  }

  /** The number of workers alive, starting, idle or busy. */
  get size(): number {
    return this.#live.size;
  }

  /** Workers started and not ready yet: the live ones that do not serve. */
  get #starting(): number {
    return this.#live.size - this.#serving.length;
  }

  /**
   * Takes note of a run's eval tasks and its concurrency limit, and starts workers. A run
   * `alongside` others under way on the pool adds to theirs: its tasks, and the larger limit.
   */
  prepare(taskCount: number, concurrency = Infinity, alongside = false): void {
    const cap = Math.max(1, Math.min(this.#options.maxWorkers, concurrency));
    this.#remaining = alongside ? this.#remaining + taskCount : taskCount;
    this.#cap = alongside ? Math.max(this.#cap, cap) : cap;
    this.#brokenBy = undefined;
    const warm = Math.min(taskCount, this.#cap, this.#options.maxStarting);
    // `new Worker()` blocks this thread for a while (11–14 ms here): let the scheduler start the
    // first tasks (exec processes) before the workers, which then start alongside them. Not
    // when the pool was disposed meanwhile (a run that failed to start): nothing would end them.
    const generation = ++this.#generation;
    queueMicrotask(() => {
      if (generation !== this.#generation) return;
      // Workers free for these tasks: another run under way may be keeping the rest busy.
      const idle = this.#idleCount();
      while (
        !this.#brokenBy && idle + this.#starting < warm && this.#live.size < this.#cap &&
        this.#starting < this.#options.maxStarting
      ) this.#spawn();
    });
  }

  /** Runs one task on a worker of the pool. */
  run(task: TaskSpec, context: ExecutorContext): Promise<TaskResult> {
    if (this.#remaining > 0) this.#remaining--;
    if (context.signal.aborted) return Promise.resolve(INTERRUPTED);
    if (this.#brokenBy) return Promise.resolve({ ok: false, error: this.#brokenBy });
    const request: EvalRequest = {
      kind: "run",
      id: this.#nextId++,
      name: task.name,
      code: String(task.arguments),
    };
    return new Promise((resolve) => {
      const job = new Job(request, context, resolve, this.#jobEnded);
      this.#joinGroup(job);
      this.#waiting.push(job);
      this.#dispatch();
      if (this.#waiting.length > 0) this.#topUp();
    });
  }

  /** Whether tasks are in the pool, waiting or running. */
  get busy(): boolean {
    return this.#groups.size > 0 || this.#waiting.length > 0;
  }

  /**
   * Forgets the tasks announced by `prepare` and not started: a run ended with some of them
   * skipped, and the pool cannot tell whose the rest are. Only a warm-up hint is lost.
   */
  forgetRemaining(): void {
    this.#remaining = 0;
  }

  /** Terminates every worker; tasks not ended yet end as interrupted. */
  dispose(): void {
    this.#generation++;
    this.#remaining = 0;
    this.#failWaiting();
    for (const worker of [...this.#live]) worker.terminate();
    this.#failWaiting(); // what the workers handed back
    this.#serving.length = 0;
    if (this.#checkTimer !== undefined) clearTimeout(this.#checkTimer);
    this.#checkTimer = undefined;
  }

  #joinGroup(job: Job): void {
    const signal = job.context.signal;
    let group = this.#groups.get(signal);
    if (!group) {
      group = new Set();
      this.#groups.set(signal, group);
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    group.add(job);
  }

  #leaveGroup(job: Job): void {
    const signal = job.context.signal;
    const group = this.#groups.get(signal);
    if (!group?.delete(job) || group.size > 0) return;
    this.#groups.delete(signal);
    signal.removeEventListener("abort", this.#onAbort);
  }

  /** The tasks of an aborted signal end as interrupted; those running are stopped. */
  #abort(signal: AbortSignal): void {
    const group = this.#groups.get(signal);
    if (!group) return;
    const jobs = [...group];
    // All end first, so that a worker terminated for one does not hand another back.
    for (const job of jobs) job.settle(INTERRUPTED);
    for (const job of jobs) job.worker?.abandon(job);
    this.#waiting.removeSettled();
  }

  /** Every task not sent to a worker ends without one: interrupted, or with `result`. */
  #failWaiting(result: TaskResult = INTERRUPTED): void {
    for (const job of this.#waiting.takeAll()) job.settle(result);
  }

  /**
   * Sends waiting tasks to the least loaded workers, within the pipeline depth. A worker is
   * topped up once half its pipeline has drained, with its share of the waiting tasks in one
   * message: fewer, larger messages, while the tasks still spread over the workers.
   */
  #dispatch(): void {
    const depth = this.#options.isolation === "fresh" ? 1 : Math.max(1, this.#options.pipeline);
    while (this.#waiting.length > 0) {
      const worker = this.#leastLoaded(depth);
      if (!worker || (worker.load > 0 && worker.load > depth / 2)) break;
      const share = Math.ceil(this.#waiting.length / this.#serving.length);
      const jobs: EvalJob[] = [];
      while (jobs.length < Math.min(share, depth - worker.load) && this.#waiting.length > 0) {
        const job = this.#waiting.shift()!;
        if (!job.settled) jobs.push(job);
      }
      if (jobs.length === 0) continue;
      this.#lastProgress = performance.now();
      worker.send(jobs);
    }
    this.#rebalance();
  }

  #leastLoaded(depth: number): EvalWorker | undefined {
    let best: EvalWorker | undefined;
    // From the end: the most recently ready worker first, so one worker serves a sequence.
    for (let i = this.#serving.length - 1; i >= 0; i--) {
      const worker = this.#serving[i]!;
      if (worker.load < depth && (!best || worker.load < best.load)) best = worker;
    }
    return best;
  }

  /**
   * With nothing waiting, each idle worker takes back a task queued behind a slow one (see
   * `RECLAIM_AFTER_MS`); one not slow yet is looked at again when it would be.
   */
  #rebalance(): void {
    for (let idle = this.#idleCount(); idle > 0; idle--) {
      const now = performance.now();
      let busiest: EvalWorker | undefined;
      let soonest = Infinity;
      for (const worker of this.#serving) {
        if (worker.load <= 1) continue;
        const running = now - worker.runningSince;
        if (running < RECLAIM_AFTER_MS) soonest = Math.min(soonest, RECLAIM_AFTER_MS - running);
        else if (!busiest || worker.load > busiest.load) busiest = worker;
      }
      if (!busiest) {
        if (soonest !== Infinity) this.#checkLater(soonest);
        return;
      }
      if (!busiest.reclaim()) return;
    }
  }

  /** Ready workers with no task. */
  #idleCount(): number {
    let idle = 0;
    for (const worker of this.#serving) if (worker.load === 0) idle++;
    return idle;
  }

  #spawn(): void {
    let module: URL;
    try {
      module = evalWorkerModule();
    } catch (error) {
      // Missing (a copy of the bundle away from its checkout): the tasks say so, once each,
      // and no worker is made, for which Deno would print a line of its own.
      return this.#cannotStart((error as Error).message);
    }
    const worker: EvalWorker = new EvalWorker(module, this.#options, {
      ready: () => {
        this.#lastProgress = performance.now();
        this.#serving.push(worker);
        this.#dispatch();
        this.#topUp();
      },
      freed: () => this.#freed(worker),
      returned: (jobs) => {
        // They were first in line: they go back to the front.
        this.#waiting.unshift(jobs);
        queueMicrotask(() => this.#dispatch());
      },
      gone: (startError) => this.#discard(worker, startError),
    });
    this.#live.add(worker);
  }

  #freed(worker: EvalWorker): void {
    this.#lastProgress = performance.now();
    if (this.#options.isolation === "fresh" || worker.retiring) worker.terminate();
    else this.#dispatch();
  }

  #discard(worker: EvalWorker, startError: string | undefined): void {
    if (!this.#live.delete(worker)) return;
    const index = this.#serving.indexOf(worker);
    if (index !== -1) this.#serving.splice(index, 1);
    if (startError !== undefined) return this.#cannotStart(startError);
    this.#topUp(); // replaces it while tasks wait or are still to come
  }

  /** No worker can start, for `startError`: fails the waiting tasks, and later ones. */
  #cannotStart(startError: string): void {
    // Starting another would fail the same way: fail the waiting tasks instead.
    this.#brokenBy = `Cannot start an eval worker: ${startError}`;
    this.#failWaiting({ ok: false, error: this.#brokenBy });
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
    let busy = 0, queued = 0, idle = 0;
    for (const worker of this.#serving) {
      if (worker.load > 0) busy++;
      else idle++;
      queued += Math.max(0, worker.load - 1);
    }
    const waiting = this.#waiting.length + queued;
    const wanted = waiting + (fresh ? this.#remaining : Math.min(this.#remaining, 1));
    while (
      idle + this.#starting < wanted && this.#live.size < this.#cap &&
      this.#starting < this.#options.maxStarting
    ) {
      // Busy pooled workers that keep finishing tasks will serve the waiting ones sooner
      // than a new worker could start.
      const sinceProgress = performance.now() - this.#lastProgress;
      if (!fresh && busy > 0 && sinceProgress < GROW_AFTER_MS) {
        this.#checkLater(GROW_AFTER_MS - sinceProgress);
        return;
      }
      this.#spawn();
      if (this.#brokenBy) return;
    }
  }

  /** Looks again at growing and at queues to take back, in `ms`. */
  #checkLater(ms: number): void {
    if (this.#checkTimer !== undefined) return;
    const timer = setTimeout(() => {
      this.#checkTimer = undefined;
      this.#dispatch();
      this.#topUp();
    }, Math.ceil(ms));
    Deno.unrefTimer(timer);
    this.#checkTimer = timer;
  }
}

/**
 * The waiting jobs, first in first out: an array read from a moving head. `Array#shift` is
 * linear in a long array, and 300,000 waiting tasks made dispatching quadratic (69 s; now
 * 5.8 s through `run()`).
 *
 * @example
 * ```ts
 * import { JobQueue } from "./eval_pool.ts";
 * const queue = new JobQueue();
 * queue.length; // 0
 * ```
 */
export class JobQueue {
  #items: (EvalJob | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(job: EvalJob): void {
    this.#items.push(job);
  }

  shift(): EvalJob | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const job = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    // The read part is dropped once it is most of the array.
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return job;
  }

  /** Puts `jobs` back in front, in their order. */
  unshift(jobs: readonly EvalJob[]): void {
    if (this.#head >= jobs.length) {
      this.#head -= jobs.length;
      for (let i = 0; i < jobs.length; i++) this.#items[this.#head + i] = jobs[i];
    } else {
      this.#items = [...jobs, ...this.#items.slice(this.#head)];
      this.#head = 0;
    }
  }

  removeSettled(): void {
    this.#items = this.#items.slice(this.#head).filter((job) => !job!.settled);
    this.#head = 0;
  }

  /** Empties the queue, returning what it held. */
  takeAll(): EvalJob[] {
    const jobs = this.#items.slice(this.#head) as EvalJob[];
    this.#items = [];
    this.#head = 0;
    return jobs;
  }
}
