/**
 * One eval worker seen from the main thread: starts it, sends it tasks, passes their output
 * on, and terminates it when its running task is stopped or it can no longer be trusted.
 *
 * The pool may send a worker more requests than the one it runs: they queue in the worker,
 * which starts each as the previous one ends, without waiting for a message from this thread
 * (a message to a sleeping thread wakes it through a system call, the main cost of a trivial
 * task). The worker runs them strictly one at a time, and each `done` names the request that
 * starts next, so this side always knows which task is running: stopping it terminates the
 * worker, and the requests queued behind it go back to the pool unrun. A queued request is
 * taken back at once through its claim in shared memory (see `eval_protocol.ts`), however
 * long the worker's current snippet keeps it from reading messages.
 *
 * @module
 */

import type { ExecutorContext, TaskResult } from "../src/types.ts";
import { missingModule, missingModuleError, mistypedModuleError } from "../src/errors.ts";
import { lateModuleFile } from "../src/deps.ts";
import type { EvalPermissions } from "./eval_permissions.ts";
import {
  type EvalCommand,
  type EvalConfig,
  type EvalRequest,
  type EvalResponse,
  type EvalSent,
  STARTED_CLAIM,
  TAKEN_CLAIM,
} from "./eval_protocol.ts";

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
  /** The most requests sent to a worker and not ended, the running one included; 1 by default. */
  readonly pipeline?: number;
}

/** A task given to the pool, until it ends. */
export interface EvalJob {
  /** What the worker runs. */
  readonly request: EvalRequest;
  /** The task's context: its signal and where its output goes. */
  readonly context: ExecutorContext;
  /** Whether it has ended (`settle` was called). */
  readonly settled: boolean;
  /** Ends the task with a result; later calls are ignored. */
  settle(result: TaskResult): void;
  /** The worker it was sent to, while it is there. */
  worker: EvalWorker | undefined;
}

/** What the pool hears from a worker. */
export interface EvalWorkerEvents {
  /** The worker has loaded and waits for tasks. */
  ready(): void;
  /** A task ended, or a queued one was taken back: the worker can take more. */
  freed(): void;
  /** Tasks sent to the worker that never ran and now need another one. */
  returned(jobs: EvalJob[]): void;
  /** The worker is terminated; `startError` when it died before it was ready. */
  gone(startError?: string): void;
}

// From the root one level up, so that the bundle dist/dagrun.js finds the worker too.
const WORKER_URL = new URL("../executors/eval_worker.ts", import.meta.url);

/** The worker's module as found (see `lateModuleFile`), once a worker is first wanted. */
let workerModule: { url: URL | undefined } | undefined;

/**
 * The eval worker's module, looked for once, when the first worker is made (see
 * `lateModuleFile`): beyond a symbolic link to the bundle too.
 *
 * @throws {TaskFileError} naming the module, when it is missing (a copy of the bundle away
 * from its checkout): made, the worker would fail the same way, with a line of Deno's own.
 */
export function evalWorkerModule(): URL {
  const url = (workerModule ??= { url: lateModuleFile(WORKER_URL) }).url;
  if (url === undefined) throw missingModule(WORKER_URL.href);
  return url;
}

const TERMINATED: TaskResult = { ok: false, error: "the eval worker was terminated" };

/** A worker running one snippet at a time, with requests queued behind it. */
export class EvalWorker {
  readonly #worker: Worker;
  /** This side of the protocol's channel (see `eval_protocol.ts`). */
  readonly #port: MessagePort;
  readonly #events: EvalWorkerEvents;
  /** Sent and not ended, in order; the first runs, or starts when it arrives. */
  readonly #jobs: EvalJob[] = [];
  /** The claims shared with the worker, one slot per job sent and not ended. */
  readonly #claims: Int32Array;
  readonly #claimOf = new Map<EvalJob, { slot: number; ticket: number }>();
  readonly #freeSlots: number[] = [];
  #nextTicket = 1;
  #ready = false;
  #gone = false;
  #runningSince = 0;
  #retiring = false;

  /** Starts a worker of `module` ({@linkcode evalWorkerModule}). */
  constructor(module: URL, options: EvalWorkerOptions, events: EvalWorkerEvents) {
    this.#events = events;
    this.#worker = new Worker(module, {
      type: "module",
      // Only a sandbox passes the unstable option, so the default needs no flag.
      ...(options.permissions === undefined ? {} : { deno: { permissions: options.permissions } }),
    });
    // The worker's own messages are left unheard: the harness answers through the port, so
    // any that came would be a snippet's (whose `postMessage` is refused anyway).
    const channel = new MessageChannel();
    this.#port = channel.port1;
    this.#port.onmessage = (event: MessageEvent<EvalResponse>) => this.#receive(event.data);
    this.#worker.onerror = (event) => {
      // An error the worker itself could not catch: it is no longer trustworthy.
      event.preventDefault();
      // One that never loaded: a copy of the bundle, away from its checkout, has no worker
      // module beside it; the tasks' error says so, and what to run instead.
      // Or one its server sent as a type Deno does not take for TypeScript.
      const missing = this.#ready ? undefined : (missingModuleError(event.message) ??
        mistypedModuleError(event.message, module.href))?.message;
      const message = missing ?? (event.message || "the eval worker crashed");
      this.#jobs[0]?.settle({ ok: false, error: message });
      this.terminate(this.#ready ? undefined : message);
    };
    const slots = Math.max(1, options.pipeline ?? 1);
    const claims = new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT);
    this.#claims = new Int32Array(claims).fill(TAKEN_CLAIM);
    for (let slot = slots - 1; slot >= 0; slot--) this.#freeSlots.push(slot);
    const config: EvalConfig = {
      kind: "config",
      port: channel.port2,
      colors: options.colors,
      maxOutputChars: options.maxOutputChars,
      maxModules: options.maxModules,
      claims,
    };
    this.#worker.postMessage(config, [channel.port2]);
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

  /** Tasks sent and not ended: the running one and those queued behind it. */
  get load(): number {
    return this.#jobs.length;
  }

  /** When its running task started (`performance.now()`), as this thread knows it. */
  get runningSince(): number {
    return this.#runningSince;
  }

  /**
   * Sends tasks, in one message; each runs once those sent before it have ended. No more
   * than the pipeline may be sent and not ended.
   */
  send(jobs: readonly EvalJob[]): void {
    const sent: EvalSent[] = [];
    // An idle worker starts the first on arrival.
    if (this.#jobs.length === 0) this.#runningSince = performance.now();
    for (const job of jobs) {
      const slot = this.#freeSlots.pop();
      if (slot === undefined) throw new Error("Internal error: an eval worker's pipeline is full");
      const ticket = this.#nextTicket;
      this.#nextTicket = ticket === 0x7fffffff ? 1 : ticket + 1;
      Atomics.store(this.#claims, slot, ticket);
      this.#claimOf.set(job, { slot, ticket });
      job.worker = this;
      this.#jobs.push(job);
      sent.push({ ...job.request, slot, ticket });
    }
    if (sent.length === 1) this.#send(sent[0]!);
    else this.#send({ kind: "batch", requests: sent });
  }

  /**
   * Stops a task that was settled from outside: the running one by terminating the worker
   * (a snippet may never yield), a queued one by taking it back. One that the worker has
   * started meanwhile terminates it once its `done` says so (`#startedNext`).
   */
  abandon(job: EvalJob): void {
    if (job.worker !== this) return;
    if (this.#jobs[0] === job) {
      // Its `done` may be on its way: a worker that has started the next task has ended this
      // one, and the next is not to be stopped with it.
      if (this.#movedPast(0)) return;
      return this.terminate();
    }
    if (!this.#takeBack(job)) return;
    this.#remove(job);
    job.worker = undefined;
    queueMicrotask(() => this.#gone || this.#events.freed());
  }

  /**
   * Takes the last queued task back, unrun, for an idle worker, and hands it to the pool;
   * false when there is none left to take.
   */
  reclaim(): boolean {
    for (let i = this.#jobs.length - 1; i >= 1; i--) {
      const job = this.#jobs[i]!;
      // The worker claims in order: once one is its, so are those before it.
      if (!this.#takeBack(job)) return false;
      this.#remove(job);
      if (job.settled) continue; // stopped meanwhile: nothing to hand over
      this.#return([job]);
      return true;
    }
    return false;
  }

  /** Stops the worker (a snippet spinning in a loop keeps its thread, not the pool's slot). */
  terminate(startError?: string): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#worker.terminate();
    this.#port.close(); // a port left open keeps the process alive
    const jobs = this.#jobs.splice(0);
    // Every claim is taken, so that a thread that outlives `terminate()` (one spinning in a
    // loop) starts none of them; the running job, and a queued one it started already, end
    // with it.
    const unstarted = jobs.filter((job, index) => this.#takeBack(job) && index > 0);
    for (const job of jobs) {
      if (unstarted.includes(job)) continue;
      this.#release(job);
      job.settle(TERMINATED);
    }
    this.#return(unstarted);
    this.#events.gone(startError);
  }

  #send(command: EvalCommand): void {
    this.#port.postMessage(command);
  }

  /** Whether a queued task was taken back before the worker claimed it (then it never runs). */
  #takeBack(job: EvalJob): boolean {
    const claim = this.#claimOf.get(job);
    if (claim === undefined) return false;
    const { slot, ticket } = claim;
    return Atomics.compareExchange(this.#claims, slot, ticket, TAKEN_CLAIM) === ticket;
  }

  /**
   * Whether the worker has started the job after `#jobs[index]`, and so has ended that one
   * (it runs one at a time, claiming in order), though its `done` has not arrived yet.
   */
  #movedPast(index: number): boolean {
    const next = this.#jobs[index + 1];
    const claim = next && this.#claimOf.get(next);
    return claim !== undefined && Atomics.load(this.#claims, claim.slot) === STARTED_CLAIM;
  }

  /** Forgets a job and frees its slot; its claim no longer names it. */
  #remove(job: EvalJob): void {
    const index = this.#jobs.indexOf(job);
    if (index !== -1) this.#jobs.splice(index, 1);
    this.#release(job);
  }

  #release(job: EvalJob): void {
    const claim = this.#claimOf.get(job);
    if (claim === undefined) return;
    this.#claimOf.delete(job);
    this.#freeSlots.push(claim.slot);
  }

  /** Hands tasks that never ran back to the pool. */
  #return(jobs: EvalJob[]): void {
    for (const job of jobs) {
      job.worker = undefined;
      this.#release(job);
    }
    const unended = jobs.filter((job) => !job.settled);
    if (unended.length > 0) this.#events.returned(unended);
  }

  #take(id: number): EvalJob | undefined {
    const index = this.#jobs[0]?.request.id === id
      ? 0
      : this.#jobs.findIndex((job) => job.request.id === id);
    if (index === -1) return undefined;
    const job = this.#jobs.splice(index, 1)[0]!;
    this.#release(job);
    return job;
  }

  #receive(message: EvalResponse): void {
    if (message.kind === "ready") {
      this.#ready = true;
      this.#events.ready();
      return;
    }
    if (this.#gone) return;
    if (message.kind === "output") {
      const job = this.#jobs[0]?.request.id === message.id
        ? this.#jobs[0]
        : this.#jobs.find((candidate) => candidate.request.id === message.id);
      if (!job || job.settled) return; // output of a task stopped meanwhile
      for (const piece of message.pieces) {
        const text = piece.text.endsWith("\n") ? piece.text.slice(0, -1) : piece.text;
        for (const line of text.split("\n")) job.context.output(piece.stream, line);
      }
    } else if (message.kind === "done") {
      this.#take(message.id)?.settle(
        message.ok ? { ok: true } : { ok: false, error: message.error ?? "eval failed" },
      );
      if (message.retire) {
        // The worker dropped its queue and runs nothing more.
        this.#retiring = true;
        const queued = this.#jobs.splice(0);
        for (const job of queued) this.#takeBack(job);
        this.#return(queued);
      } else if (!this.#startedNext()) {
        return;
      }
      this.#events.freed();
    }
  }

  /**
   * The first queued task now runs (the `done` named it, or the worker was idle and starts
   * it on arrival). One stopped meanwhile must not run on: the worker is terminated. Returns
   * false then.
   */
  #startedNext(): boolean {
    const next = this.#jobs[0];
    this.#runningSince = performance.now();
    if (!next || !next.settled) return true;
    // Stopped after the worker had claimed it; if it has moved past it already, its `done`
    // is on its way, and what runs now is the next task, not to be stopped.
    if (this.#movedPast(0)) return true;
    this.terminate();
    return false;
  }
}
