/// <reference lib="deno.worker" />
/**
 * Timer tracking for the eval worker: the snippet's `setTimeout` and `setInterval`, followed
 * so that a task ends when the timers it set have fired or been cleared, as a `deno eval`
 * program would. An unref'd timer (`Deno.unrefTimer`, Node's `timer.unref()`) does not keep
 * the task running, as it would not keep a program alive, and is cleared when the task ends:
 * it never fires in another task.
 *
 * @module
 */

/**
 * The runtime's own global, read when first needed. In this Deno the timer globals are lazy:
 * the first read of `setTimeout`, `setInterval`, `clearTimeout` or `setImmediate` loads
 * Node's timers, about 3.5 ms of every worker's start, which a snippet that sets no timer
 * never needs. The getter keeps returning the runtime's function after the global has been
 * replaced by the snippet's version below.
 */
function runtimeGlobal<T>(name: string): () => T {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
  let value: T | undefined;
  return () => value ??= descriptor?.get ? descriptor.get.call(globalThis) : descriptor?.value;
}

const realSetTimeout = runtimeGlobal<typeof setTimeout>("setTimeout");
const realSetInterval = runtimeGlobal<typeof setInterval>("setInterval");
const realClearTimeout = runtimeGlobal<typeof clearTimeout>("clearTimeout");
const realUnrefTimer = Deno.unrefTimer;

const realSetImmediate = runtimeGlobal<typeof setImmediate | undefined>("setImmediate");

/**
 * Runs a callback one macrotask later, after the runtime has reported the rejections left
 * unhandled so far: `setImmediate` (`setTimeout(0)` waits a millisecond at least). Not a
 * message channel, whose messages come before that report however many are chained: a
 * rejection would then be reported while the next task runs, and blamed on it. Read when
 * first used: a worker whose snippets all throw never loads the timers.
 *
 * @example
 * ```ts ignore
 * nextMacrotask(() => console.log("after the runtime's report of unhandled rejections"));
 * ```
 */
export function nextMacrotask(callback: () => void): void {
  const immediate = realSetImmediate();
  if (immediate) immediate(callback);
  else realSetTimeout()(callback, 0);
}

type Timer = ReturnType<typeof setTimeout>;
type Handler = string | ((...args: unknown[]) => void);

/** What the timers tell the worker, and ask it. */
export interface TimerEvents {
  /** Whether a task runs: only a task's timers are followed. */
  running(): boolean;
  /** A timer's callback threw (or its string of code did). */
  threw(error: unknown): void;
  /** A followed timer fired, was cleared or unref'd: the task may have nothing left to wait for. */
  settled(): void;
}

/** The running task's timers: which keep it running, and their end with it. */
export class TaskTimers {
  readonly #events: TimerEvents;
  /** Timers the running task set and that have not fired or been cleared, by number. */
  readonly #timers = new Map<number, Timer>();
  /** Those of them unref'd: they do not keep the task running, and end with it. */
  readonly #unrefd = new Map<number, Timer>();
  #patched = false;

  /** Timers that tell `events` what they do; none is followed until {@linkcode install}. */
  constructor(events: TimerEvents) {
    this.#events = events;
  }

  /** Whether a timer of the running task keeps it running. */
  get pending(): boolean {
    return this.#timers.size > 0;
  }

  /** Clears the running task's timers, unref'd ones too, and stops following them. */
  clear(): void {
    for (const timer of this.#timers.values()) realClearTimeout()(timer);
    for (const timer of this.#unrefd.values()) realClearTimeout()(timer);
    this.#timers.clear();
    this.#unrefd.clear();
  }

  /**
   * Replaces the snippet's timer globals (`setTimeout`, `setInterval`, `clearTimeout`,
   * `clearInterval`) and `Deno.unrefTimer` with versions that follow the running task's timers.
   * Reads no timer global: the runtime's are read when the snippet first sets a timer.
   */
  install(): void {
    const clearTimer = (timer?: Timer | number): void => {
      if (timer === undefined) return;
      realClearTimeout()(timer);
      this.#released(timer);
    };
    Object.assign(globalThis, {
      setTimeout: (handler: Handler, delay?: number, ...args: unknown[]): Timer => {
        const timer = realSetTimeout()(() => {
          this.#timers.delete(Number(timer));
          this.#unrefd.delete(Number(timer));
          this.#invoke(handler, args);
          this.#events.settled();
        }, delay);
        this.#track(timer);
        return timer;
      },
      setInterval: (handler: Handler, delay?: number, ...args: unknown[]): Timer => {
        const timer = realSetInterval()(() => this.#invoke(handler, args), delay);
        this.#track(timer);
        return timer;
      },
      clearTimeout: clearTimer,
      clearInterval: clearTimer,
    });
    Object.assign(Deno, {
      unrefTimer: (timer: Timer | number): void => {
        realUnrefTimer(timer);
        // An unref'd timer does not keep a program alive, so it does not keep the task running.
        this.#unreffed(timer);
      },
    });
  }

  #invoke(handler: Handler, args: unknown[]): void {
    try {
      if (typeof handler === "function") handler(...args);
      else (0, eval)(handler);
    } catch (error) {
      this.#events.threw(error);
    }
  }

  /** Follows a timer the snippet set: the running task waits for it. */
  #track(timer: Timer): void {
    if (!this.#patched) this.#patch(timer);
    if (this.#events.running()) this.#timers.set(Number(timer), timer);
  }

  /** The running task's timer no longer keeps it running: unref'd. */
  #unreffed(timer: Timer | number): void {
    const id = Number(timer);
    const tracked = this.#timers.get(id);
    if (tracked === undefined) return;
    this.#timers.delete(id);
    this.#unrefd.set(id, tracked);
    this.#events.settled();
  }

  /** The running task's timer has fired for the last time, or was cleared. */
  #released(timer: Timer | number): void {
    const id = Number(timer);
    this.#unrefd.delete(id);
    if (this.#timers.delete(id)) this.#events.settled();
  }

  /**
   * Makes the methods of Node's `Timeout` (what `setTimeout` returns in this Deno, and
   * `node:timers` too) tell the task which timers keep it running: `unref()`, `ref()` again,
   * and `close()` or `using`, which clear it. Patched once, when the first timer is set: the
   * class is reachable only through a timer, and making one at start-up would load the timers.
   */
  #patch(timer: Timer): void {
    this.#patched = true;
    const prototype = Object.getPrototypeOf(timer) as Record<PropertyKey, unknown> | null;
    if (!prototype) return;
    type Method = (this: Timer, ...args: unknown[]) => unknown;
    const wrap = (key: PropertyKey, after: (timer: Timer) => void) => {
      const original = prototype[key];
      if (typeof original !== "function") return;
      Object.defineProperty(prototype, key, {
        value: function (this: Timer, ...args: unknown[]) {
          const result = (original as Method).apply(this, args);
          after(this);
          return result;
        },
        configurable: true,
        writable: true,
      });
    };
    wrap("unref", (timer) => this.#unreffed(timer));
    wrap("ref", (timer) => {
      const id = Number(timer);
      const tracked = this.#unrefd.get(id);
      if (tracked === undefined) return;
      this.#unrefd.delete(id);
      this.#timers.set(id, tracked);
    });
    wrap("close", (timer) => this.#released(timer));
    wrap(Symbol.dispose, (timer) => this.#released(timer));
  }
}
