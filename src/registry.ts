/**
 * The registry of executor plugins, keyed by task type.
 *
 * @module
 */

import type { Executor } from "./types.ts";

/** Options for {@linkcode ExecutorRegistry.register}. */
export interface RegisterOptions {
  /** Replace an executor already registered for the same type instead of refusing. */
  readonly override?: boolean;
}

/**
 * A `Map` of executors keyed by the task type they run.
 *
 * @example
 * ```ts
 * import { ExecutorRegistry } from "./registry.ts";
 * const registry = new ExecutorRegistry();
 * registry.register({ type: "noop", run: () => Promise.resolve({ ok: true }) });
 * registry.get("noop"); // the executor
 * ```
 */
export class ExecutorRegistry {
  readonly #executors = new Map<string, Executor>();

  /**
   * Adds an executor for its type.
   *
   * @throws {Error} when the type is already registered and `override` is not set.
   */
  register(executor: Executor, options: RegisterOptions = {}): this {
    if (typeof executor?.type !== "string" || executor.type === "") {
      throw new TypeError("Cannot register executor: its 'type' must be a non-empty string");
    }
    if (typeof executor.run !== "function") {
      throw new TypeError(`Cannot register executor '${executor.type}': it has no run() function`);
    }
    if (this.#executors.has(executor.type) && !options.override) {
      throw new Error(
        `Cannot register executor '${executor.type}': that type is already registered`,
      );
    }
    this.#executors.set(executor.type, executor);
    return this;
  }

  /** The executor for a type, or `undefined`. */
  get(type: string): Executor | undefined {
    return this.#executors.get(type);
  }

  /** Whether a type has an executor. */
  has(type: string): boolean {
    return this.#executors.has(type);
  }

  /** The registered types, sorted. */
  types(): string[] {
    return [...this.#executors.keys()].sort();
  }

  /** The registered executors, in registration order. */
  executors(): Executor[] {
    return [...this.#executors.values()];
  }
}
