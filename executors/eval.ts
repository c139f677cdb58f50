/**
 * The `eval` executor: runs a task's arguments as a JavaScript or TypeScript snippet in a Web
 * Worker inside this process, from a pool of warm workers (see `eval_pool.ts`).
 *
 * @module
 */

import { UsageError } from "../src/errors.ts";
import type { Executor } from "../src/types.ts";
import {
  checkEvalPermissions,
  type EvalPermissions,
  isSandbox,
  workerOptionsEnabled,
} from "./eval_permissions.ts";
import type { PoolOptions, WorkerPool } from "./eval_pool.ts";

export { type EvalPermissions, parseEvalPermissions } from "./eval_permissions.ts";

/**
 * How eval tasks are kept apart: see {@linkcode EvalExecutorOptions.isolation}.
 *
 * @example
 * ```ts
 * import { createEvalExecutor, type EvalIsolation } from "@dagrun/dagrun";
 *
 * const isolation: EvalIsolation = "fresh";
 * createEvalExecutor({ isolation }).dispose?.();
 * ```
 */
export type EvalIsolation = "pooled" | "fresh";

/**
 * Options of {@linkcode createEvalExecutor}.
 *
 * @example
 * ```ts
 * import { createEvalExecutor, type EvalExecutorOptions } from "@dagrun/dagrun";
 *
 * const options: EvalExecutorOptions = { isolation: "fresh", permissions: "none" };
 * const evaluator = createEvalExecutor(options);
 * ```
 */
export interface EvalExecutorOptions {
  /**
   * `pooled` (default): workers are reused, one task at a time; each snippet is its own
   * function or module, but changes to `globalThis` stay for the worker's next tasks.
   * `fresh`: a brand-new worker per task, for full isolation at ~15–30 ms a task.
   */
  readonly isolation?: EvalIsolation;
  /**
   * Permissions of the workers: `inherit` (default), `none`, or an object as Deno's
   * `deno.permissions` worker option takes. Anything but `inherit` needs Deno's
   * `--unstable-worker-options` flag.
   */
  readonly permissions?: EvalPermissions;
  /** The most workers at once; also bounded by the run's concurrency. Default 4 per core, ≥ 16. */
  readonly maxWorkers?: number;
  /** Keep the colours Deno's console adds when writing to a terminal; default `false`. */
  readonly colors?: boolean;
  /** A task printing more characters than this fails; default 16 MiB. */
  readonly maxOutputChars?: number;
}

/**
 * Tasks sent to a pooled worker at once: the running one and those queued behind it. Queued
 * requests start without a message from the main thread (waking a sleeping thread costs far
 * more than a trivial snippet); 8 measured faster than 4 and no slower than 16.
 */
const PIPELINE = 8;

/** Default of {@linkcode EvalExecutorOptions.maxOutputChars}. */
export const DEFAULT_MAX_OUTPUT_CHARS = 16 * 1024 * 1024;

/** The hint shown when a sandbox is asked for without the unstable flag. */
export const WORKER_OPTIONS_HINT =
  'Cannot restrict eval permissions: Deno needs the --unstable-worker-options flag (or "unstable": ["worker-options"] in deno.json)';

/**
 * Creates the `eval` executor with its own worker pool.
 *
 * @example
 * ```ts
 * import { createEvalExecutor } from "@dagrun/dagrun";
 *
 * const evaluator = createEvalExecutor({ isolation: "pooled" });
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
 *
 * @throws {TypeError} for permissions Deno's workers would refuse (Deno would find out only
 * at the first eval task, in the middle of a run).
 * @throws {Deno.errors.NotCapable} for permissions this process lacks itself.
 * @throws {UsageError} when a sandbox is asked for and the unstable flag is certainly off
 * (constructing such a worker would end the process with Deno's exit code 70).
 */
export function createEvalExecutor(options: EvalExecutorOptions = {}): Executor {
  if (options.permissions !== undefined) checkEvalPermissions(options.permissions);
  const sandbox = isSandbox(options.permissions);
  if (sandbox && workerOptionsEnabled() === false) throw new UsageError(WORKER_OPTIONS_HINT);
  const cores = navigator.hardwareConcurrency || 2;
  const poolOptions: PoolOptions = {
    isolation: options.isolation ?? "pooled",
    permissions: sandbox ? options.permissions : undefined,
    maxWorkers: options.maxWorkers ?? Math.max(16, 4 * cores),
    maxStarting: Math.max(2, cores),
    colors: options.colors ?? false,
    maxOutputChars: options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS,
    maxModules: 200,
    pipeline: PIPELINE,
  };
  // The pool's modules are loaded when a run has eval tasks: prepare() starts loading them
  // (and then the workers) before the first task; a run without eval tasks loads nothing.
  let pool: WorkerPool | undefined;
  let loading: Promise<WorkerPool> | undefined;
  const load = () =>
    loading ??= import("./eval_pool.ts").then(({ WorkerPool }) =>
      pool = new WorkerPool(poolOptions)
    );
  // Runs between their prepare() and dispose(): runs sharing a registry share the pool, which
  // only the last of them to end may dispose (the first used to stop the other's tasks).
  let runs = 0;
  return {
    type: "eval",
    argumentsSchema: { type: "string" },
    prepare: (tasks, run) => {
      const alongside = ++runs > 1;
      void load().then((ready) => ready.prepare(tasks.length, run?.concurrency, alongside));
    },
    run: async (task, context) => (pool ?? await load()).run(task, context),
    dispose: async () => {
      if (runs > 0) runs--;
      const ready = pool ?? await loading;
      // Another run is still under way: its tasks keep the pool. One with none in the pool
      // may be a prepare() never disposed (a caller's error): the pool is disposed then all
      // the same, so that nothing it holds outlives the caller; a later task restarts it.
      if (runs > 0 && ready?.busy) return ready.forgetRemaining();
      runs = 0;
      ready?.dispose();
    },
  };
}
