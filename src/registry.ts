/**
 * The registry of executor plugins, keyed by task type.
 *
 * @module
 */

import type { Executor } from "./types.ts";
import { describeValue } from "./errors.ts";

/**
 * Why `value` is not an executor that can be registered (`reason`), with its `type` when that
 * is one a task file could name (only `run()` is then missing); `undefined` when it is one. The
 * one wording of {@linkcode ExecutorRegistry.register} (`Cannot register executor: …`) and of
 * the plugin loader (`default export is not an executor: …`), which must refuse alike.
 *
 * @example
 * ```ts
 * import { executorProblem } from "./registry.ts";
 *
 * executorProblem({ type: " ", run: () => Promise.resolve({ ok: true }) });
 * // { reason: 'its "type" must not be empty or blank' }
 * executorProblem({ type: "x" }); // { reason: "it has no run() function", type: "x" }
 * ```
 */
export function executorProblem(
  value: unknown,
): { reason: string; type?: string } | undefined {
  if (value === null || typeof value !== "object") {
    return { reason: `it must be an object with "type" and run(), not ${describeValue(value)}` };
  }
  const { type, run } = value as Partial<Executor>;
  if (typeof type !== "string") {
    return { reason: `its "type" must be a string, not ${describeValue(type)}` };
  }
  // Blank too: no task file could name that type in a way a reader would see.
  if (type.trim() === "") return { reason: 'its "type" must not be empty or blank' };
  if (typeof run !== "function") return { reason: "it has no run() function", type };
  return undefined;
}

/**
 * Options for {@linkcode ExecutorRegistry.register}.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry, type RegisterOptions } from "@dagrun/dagrun";
 *
 * const options: RegisterOptions = { override: true };
 * createDefaultRegistry().register({
 *   type: "exec",
 *   run: () => Promise.resolve({ ok: true }),
 * }, options);
 * ```
 */
export interface RegisterOptions {
  /** Replace an executor already registered for the same type instead of refusing. */
  readonly override?: boolean;
}

/**
 * A `Map` of executors keyed by the task type they run.
 *
 * Registering a second executor for a type is an error unless `override` is asked for;
 * registering the very same executor again changes nothing.
 *
 * @example
 * ```ts
 * import { ExecutorRegistry } from "@dagrun/dagrun";
 *
 * const registry = new ExecutorRegistry();
 * registry.register({ type: "noop", run: () => Promise.resolve({ ok: true }) });
 * registry.types(); // ["noop"]
 * ```
 */
export class ExecutorRegistry {
  readonly #executors = new Map<string, Executor>();

  /**
   * Adds an executor for its type.
   *
   * @example
   * ```ts
   * import { ExecutorRegistry } from "@dagrun/dagrun";
   *
   * new ExecutorRegistry().register({ type: "noop", run: () => Promise.resolve({ ok: true }) });
   * ```
   *
   * @throws {TypeError} when it is not an executor ({@linkcode executorProblem} says why): its
   * `type` is not a string, or is blank (`""`, `"  "`), or it has no `run()`.
   * @throws {Error} when the type is already registered and `override` is not set.
   */
  register(executor: Executor, options: RegisterOptions = {}): this {
    // Worded as the plugin loader words it: both ways of registering must agree.
    const problem = executorProblem(executor);
    if (problem !== undefined) {
      // Named by its type when it has a usable one (`Cannot register executor 'x': …`).
      const named = problem.type === undefined ? "" : ` '${problem.type}'`;
      throw new TypeError(`Cannot register executor${named}: ${problem.reason}`);
    }
    const existing = this.#executors.get(executor.type);
    if (existing === executor) return this;
    if (existing && !options.override) {
      throw new Error(
        `Cannot register executor '${executor.type}': that type is already registered`,
      );
    }
    this.#executors.set(executor.type, executor);
    return this;
  }

  /**
   * The executor for a type, or `undefined`.
   *
   * @example
   * ```ts
   * import { createDefaultRegistry } from "@dagrun/dagrun";
   *
   * createDefaultRegistry().get("exec")?.type; // "exec"
   * ```
   */
  get(type: string): Executor | undefined {
    return this.#executors.get(type);
  }

  /**
   * Whether a type has an executor.
   *
   * @example
   * ```ts
   * import { createDefaultRegistry } from "@dagrun/dagrun";
   *
   * createDefaultRegistry().has("eval"); // true
   * ```
   */
  has(type: string): boolean {
    return this.#executors.has(type);
  }

  /**
   * The registered types, sorted.
   *
   * @example
   * ```ts
   * import { createDefaultRegistry } from "@dagrun/dagrun";
   *
   * createDefaultRegistry().types(); // ["eval", "exec"]
   * ```
   */
  types(): string[] {
    return [...this.#executors.keys()].sort();
  }

  /**
   * The registered executors, in registration order.
   *
   * @example
   * ```ts
   * import { createDefaultRegistry } from "@dagrun/dagrun";
   *
   * createDefaultRegistry().executors().length; // 2
   * ```
   */
  executors(): Executor[] {
    return [...this.#executors.values()];
  }

  /**
   * A new registry holding the same executors, to add to without changing this one.
   *
   * @example
   * ```ts
   * import { createDefaultRegistry } from "@dagrun/dagrun";
   *
   * const base = createDefaultRegistry();
   * const extended = base.clone()
   *   .register({ type: "noop", run: () => Promise.resolve({ ok: true }) });
   * base.has("noop"); // false
   * ```
   */
  clone(): ExecutorRegistry {
    const copy = new ExecutorRegistry();
    for (const [type, executor] of this.#executors) copy.#executors.set(type, executor);
    return copy;
  }
}
