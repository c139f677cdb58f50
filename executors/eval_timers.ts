/// <reference lib="deno.worker" />
/**
 * Timer tracking for the eval worker: the snippet's `setTimeout` and `setInterval`, followed
 * so that a task ends when the timers it set have fired or been cleared, as a `deno eval`
 * program would. An unref'd timer (`Deno.unrefTimer`, Node's `timer.unref()`) does not keep
 * the task running, as it would not keep a program alive, and is cleared when the task ends:
 * it never fires in another task. Whether a timer is ref'd is the runtime's to say, read from
 * the timer itself, so that every way of unref'ing and ref'ing it again counts as in a program.
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
  return () => {
    loaded = true;
    return value ??= descriptor?.get ? descriptor.get.call(globalThis) : descriptor?.value;
  };
}

/** Whether a runtime timer global has been read here, which loaded Node's timers. */
let loaded = false;

/**
 * Whether Node's timers are loaded in this worker because it read one of the runtime's timer
 * globals (to set a timer, or for a task's end, see {@linkcode nextMacrotask}): following
 * every timer ({@linkcode TaskTimers.followAll}) then costs one timer made and cleared.
 *
 * @example
 * ```ts ignore
 * if (runtimeTimersLoaded()) timers.followAll();
 * ```
 */
export function runtimeTimersLoaded(): boolean {
  return loaded;
}

const realSetTimeout = runtimeGlobal<typeof setTimeout>("setTimeout");
const realSetInterval = runtimeGlobal<typeof setInterval>("setInterval");
const realClearTimeout = runtimeGlobal<typeof clearTimeout>("clearTimeout");

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
  /**
   * Timers the running task set and that have not fired for the last time or been cleared,
   * unref'd ones included. A set of the timers themselves, not of their numbers: `refresh()`
   * gives a timer that has fired a new number.
   */
  readonly #timers = new Set<Timer>();
  /**
   * Every timer the snippets set, for `refresh()`: through their `setTimeout` and
   * `setInterval`, and some other way (`node:timers`' own functions by name, its promises)
   * once {@linkcode followAll} or a first timer has patched Node's `Timeout`.
   */
  readonly #followed = new WeakSet<object>();
  /** The snippet's `setTimeout` or `setInterval` is making a timer, followed its own way. */
  #settingGlobal = false;
  #patched = false;
  /** The timer whose callback is running. */
  #firing: Timer | undefined;
  /**
   * Timeouts their own callback `refresh()`ed, set again once the callback has returned:
   * Deno's `Timeout` marks a timeout finished (`_destroyed`) after its callback returns even
   * when the callback set it again, which then fires all the same, where nothing sees it
   * (not `clearTimeout`, not `unref()`, not the task). Set again after, the timer is set as
   * any that has fired is, and is what it says it is.
   */
  readonly #refreshLater = new Set<Timer>();

  /** Timers that tell `events` what they do; none is followed until {@linkcode install}. */
  constructor(events: TimerEvents) {
    this.#events = events;
  }

  /** Whether a timer of the running task keeps it running: one ref'd. */
  get pending(): boolean {
    for (const timer of this.#timers) {
      // To be set again in a moment, past Deno's marking it finished.
      if (this.#refreshLater.has(timer) ? hasRef(timer) : keepsAlive(timer)) return true;
    }
    return false;
  }

  /** Clears the running task's timers, unref'd ones too, and stops following them. */
  clear(): void {
    // Forgotten first: a cleared timer does not tell the task it settled.
    const timers = [...this.#timers];
    this.#timers.clear();
    // A refresh put off past its callback must not set a cleared timer again.
    this.#refreshLater.clear();
    for (const timer of timers) realClearTimeout()(timer);
  }

  /**
   * Follows the timers a task sets through `node:timers`' own functions (`import { setTimeout }
   * from "node:timers"`, `node:timers/promises`) too, from now on: Node's `Timeout`, which
   * they make, is patched, which loads Node's timers (≈ 4 ms, once) unless they are loaded
   * already ({@linkcode runtimeTimersLoaded}). Asked for before a snippet that may reach them
   * runs (see `eval_worker.ts`).
   */
  followAll(): void {
    if (this.#patched) return;
    const timer = realSetTimeout()(() => {}, 0);
    realClearTimeout()(timer);
    this.#patch(timer);
  }

  /**
   * Replaces the snippet's timer globals (`setTimeout`, `setInterval`, `clearTimeout`,
   * `clearInterval`) with versions that follow the running task's timers. Reads no timer
   * global: the runtime's are read when the snippet first sets a timer.
   */
  install(): void {
    const clearTimer = (timer?: Timer | number): void => {
      if (timer === undefined) return;
      realClearTimeout()(timer);
      this.#released(timer);
    };
    Object.assign(globalThis, {
      setTimeout: (handler: Handler, delay?: number, ...args: unknown[]): Timer => {
        const timer = this.#setGlobal(() =>
          realSetTimeout()(() => {
            this.#timers.delete(timer);
            this.#fire(timer, () => this.#invoke(handler, args));
            this.#events.settled();
          }, delay)
        );
        this.#track(timer);
        return timer;
      },
      setInterval: (handler: Handler, delay?: number, ...args: unknown[]): Timer => {
        const timer = this.#setGlobal(() =>
          realSetInterval()(() => this.#invoke(handler, args), delay)
        );
        this.#track(timer);
        return timer;
      },
      clearTimeout: clearTimer,
      clearInterval: clearTimer,
    });
  }

  #setGlobal(set: () => Timer): Timer {
    this.#settingGlobal = true;
    try {
      return set();
    } finally {
      this.#settingGlobal = false;
    }
  }

  /**
   * A `Timeout` is about to be set (made, or set again by `refresh()`) some other way than
   * the snippet's globals: followed while a task runs, its callback made to report what it
   * throws and to tell the task when it has fired for the last time.
   */
  #setting(timer: Timer): void {
    if (this.#settingGlobal || !this.#events.running()) return;
    // Not one set again (`refresh()` after it fired) nor the snippet's own: their callbacks
    // tell the task already.
    if (!this.#followed.has(timer)) {
      this.#followed.add(timer);
      const state = timer as unknown as { _onTimeout?: unknown; _repeat?: unknown };
      const callback = state._onTimeout;
      if (typeof callback === "function") {
        const events = this.#events;
        const forget = () => this.#timers.delete(timer);
        const fire = (run: () => unknown) => this.#fire(timer, run);
        state._onTimeout = function (this: unknown, ...args: unknown[]) {
          // As the snippet's `setTimeout` does: a timeout firing is forgotten first, and
          // followed again if its callback calls `refresh()`.
          const last = !state._repeat;
          if (last) forget();
          try {
            return fire(() => callback.apply(this, args));
          } catch (error) {
            events.threw(error);
          } finally {
            if (last) events.settled();
          }
        };
      }
    }
    this.#timers.add(timer);
  }

  /** Runs `timer`'s callback, known meanwhile as firing (see {@linkcode #refreshLater}). */
  #fire<T>(timer: Timer, run: () => T): T {
    const outer = this.#firing;
    this.#firing = timer;
    try {
      return run();
    } finally {
      this.#firing = outer;
    }
  }

  #invoke(handler: Handler, args: unknown[]): void {
    try {
      if (typeof handler === "function") handler(...args);
      else (0, eval)(handler);
    } catch (error) {
      this.#events.threw(error);
    }
  }

  /** Follows a timer the snippet set: the running task waits for it while it is ref'd. */
  #track(timer: Timer): void {
    if (!this.#patched) this.#patch(timer);
    if (typeof timer === "object") this.#followed.add(timer);
    if (this.#events.running()) this.#timers.add(timer);
  }

  /** The running task's timer has fired for the last time, or was cleared. */
  #released(timer: Timer | number): void {
    // Cleared from its own callback, or after it, before it was set again (#refreshLater).
    if (typeof timer === "object") this.#refreshLater.delete(timer);
    const followed = this.#timers.has(timer as Timer)
      ? timer as Timer
      : [...this.#timers].find((each) => Number(each) === Number(timer));
    if (followed !== undefined && this.#timers.delete(followed)) this.#events.settled();
  }

  /**
   * Makes the methods of Node's `Timeout` (what `setTimeout` returns in this Deno, and
   * `node:timers` too) tell the task what a timer became: `unref()` may leave the task nothing
   * to wait for; `refresh()` sets a timer that has fired again, to be followed again; `close()`
   * and `using` clear it. `ref()` needs no word: whether a timer keeps the task running is read
   * from the timer when the task may end. `Deno.unrefTimer(timer)` and `Deno.refTimer(timer)`
   * call the timer's own methods. Patched once, when the first timer is set: the class is
   * reachable only through a timer, and making one at start-up would load the timers.
   */
  #patch(timer: Timer): void {
    this.#patched = true;
    const prototype = Object.getPrototypeOf(timer) as Record<PropertyKey, unknown> | null;
    if (!prototype) return;
    type Method = (this: Timer, ...args: unknown[]) => unknown;
    // Puts `make(original)` in place of the method `key`, where the class has one.
    const replace = (key: PropertyKey, make: (original: Method) => Method) => {
      const original = prototype[key];
      if (typeof original !== "function") return;
      Object.defineProperty(prototype, key, {
        value: make(original as Method),
        configurable: true,
        writable: true,
      });
    };
    const wrap = (
      key: PropertyKey,
      after?: (timer: Timer) => void,
      before?: (timer: Timer) => void,
    ) =>
      replace(key, (original) =>
        function (this: Timer, ...args: unknown[]) {
          before?.(this);
          const result = original.apply(this, args);
          after?.(this);
          return result;
        });
    wrap("unref", () => this.#events.settled());
    const refreshLater = this.#refreshLater, firing = () => this.#firing;
    const events = this.#events, followed = this.#followed, tracked = this.#timers;
    replace("refresh", (refresh) =>
      function (this: Timer) {
        // A timeout setting itself again from its own callback is, once the callback has
        // returned and Deno has marked the timeout finished (see #refreshLater).
        if (firing() !== this || (this as TimeoutState)._repeat) refresh.call(this);
        else if (!refreshLater.has(this)) {
          refreshLater.add(this);
          queueMicrotask(() => {
            if (refreshLater.delete(this)) refresh.call(this);
          });
        }
        // A timer cleared stays so.
        if (events.running() && followed.has(this) && armed(this)) {
          tracked.add(this);
        }
        return this;
      });
    wrap("close", (timer) => this.#released(timer));
    wrap(Symbol.dispose, (timer) => this.#released(timer));
    // Node's own symbols, found by their names: making a timer, and clearing it (what
    // `node:timers`' `clearTimeout` calls).
    const symbol = (name: string) =>
      Object.getOwnPropertySymbols(prototype).find((each) => each.description === name);
    const destroy = symbol("destroy"), createTimer = symbol("createTimer");
    if (destroy) wrap(destroy, (timer) => this.#released(timer));
    // Before: Node reads the callback as it sets the timer.
    if (createTimer) wrap(createTimer, undefined, (timer) => this.#setting(timer));
  }
}

/** What the task reads of Node's `Timeout`: the runtime's own state of the timer. */
interface TimeoutState {
  hasRef?: unknown;
  _destroyed?: unknown;
  _repeat?: unknown;
}

/**
 * Whether a timer is still set: not fired for the last time nor cleared. Node's `Timeout`
 * says so itself, cleared through `node:timers`' `clearTimeout` too, which the task does not see.
 */
function armed(timer: Timer): boolean {
  return (timer as TimeoutState)._destroyed !== true;
}

/**
 * Whether a timer keeps a program alive: set and ref'd, by its `hasRef()`, the runtime's own
 * flag, whichever call last changed it. `Deno.unrefTimer` and `Deno.refTimer` given the
 * timer's number do not reach a `Timeout` in this Deno, and a program waits for the timer as
 * before: so does the task.
 */
function keepsAlive(timer: Timer): boolean {
  return armed(timer) && hasRef(timer);
}

/** Whether a timer is ref'd, by its `hasRef()`: a timer without one is. */
function hasRef(timer: Timer): boolean {
  const hasRef = (timer as TimeoutState).hasRef;
  return typeof hasRef === "function" ? hasRef.call(timer) !== false : true;
}
