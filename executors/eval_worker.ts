/// <reference lib="deno.worker" />
/**
 * The Web Worker that runs `eval` snippets, one at a time, for the pool in `eval_pool.ts`.
 *
 * A snippet that is plain JavaScript without `import` runs as the body of an async function
 * (cheap: no module machinery); anything else — TypeScript, `import` — runs as a module of
 * its own from a `data:` URL. Either way its top-level declarations are its own.
 *
 * A task ends when its code has returned and the timers it set have fired or been cleared,
 * as a `deno eval` program would, so a timer's output or error belongs to its own task. An
 * unref'd timer (`Deno.unrefTimer`, Node's `timer.unref()`) does not keep it running, as it
 * would not keep a program alive, and is cleared when the task ends: it never fires in
 * another task.
 * Whatever the snippet does wrong — throws, leaves a rejection unhandled, calls `Deno.exit()`
 * or `close()`, prints without end — ends as a failure of its task, never of the worker's
 * other tasks or of the process.
 *
 * @module
 */

import { Capture } from "./eval_capture.ts";
import { describeThrown, rewriteTrace } from "./eval_errors.ts";
import { usesModuleSyntax } from "./eval_syntax.ts";
import {
  type EvalCommand,
  type EvalConfig,
  type EvalResponse,
  type EvalSent,
  STARTED_CLAIM,
} from "./eval_protocol.ts";

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  body: string,
) => () => Promise<unknown>;

/** The harness's end of the protocol's channel, from the config (see `eval_protocol.ts`). */
let port: MessagePort | undefined;
const post = (message: EvalResponse) => port!.postMessage(message);
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
 */
function nextMacrotask(callback: () => void): void {
  const immediate = realSetImmediate();
  if (immediate) immediate(callback);
  else realSetTimeout()(callback, 0);
}

/** The task running, if any. */
interface Running {
  readonly id: number;
  readonly name: string;
  /** The snippet's code has returned or thrown. */
  returned: boolean;
  /** The end is scheduled (one macrotask later, so rejections surface first). */
  ending: boolean;
}

let task: Running | undefined;
type Timer = ReturnType<typeof setTimeout>;

/** Timers the running task set and that have not fired or been cleared, by number. */
const timers = new Map<number, Timer>();
/** Those of them unref'd: they do not keep the task running, and end with it. */
const unrefd = new Map<number, Timer>();
/** Requests received while a task ran, in order (the main thread pipelines requests). */
const queue: EvalSent[] = [];
/** The claims of the requests sent here, shared with the main thread (see `eval_protocol.ts`). */
let claims: Int32Array<ArrayBufferLike> = new Int32Array(0);
/** A task runs, or is committed to start. */
let busy = false;
/** The worker told the main thread it runs nothing more. */
let retired = false;
let maxModules = 200;
let modulesLoaded = 0;
let retiring = false;

const capture = new Capture({
  post: (pieces) => task && post({ id: task.id, kind: "output", pieces }),
  overflow: (limit) =>
    fail(
      new RangeError(`Printed more than ${limit} characters of output; the rest was dropped`),
      "",
      true,
    ),
  frames: (text) => rewriteTrace(text, task?.name ?? ""),
});
capture.install();

/**
 * Ends the running task as failed, once; later stray errors of that task are ignored. A
 * snippet that may have left work behind (timers, a stray error, an exit) retires its worker,
 * so that nothing of it reaches the next task; one that merely threw does not.
 */
function fail(value: unknown, prefix = "", retire = prefix !== ""): void {
  const running = task;
  if (!running) return;
  const { error, detail } = describeThrown(value, running.name);
  capture.note("stderr", `${prefix}${detail}\n`);
  capture.end();
  task = undefined;
  const leftTimers = timers.size > 0;
  finishTimers();
  const done = { id: running.id, kind: "done", ok: false, error: prefix + error } as const;
  // The next task starts a macrotask later, so that a rejection this one left is not its.
  end(retire || leftTimers || retiring ? { ...done, retire: true } : done, false);
}

function succeedWhenIdle(): void {
  const running = task;
  if (!running || !running.returned || timers.size > 0 || running.ending) return;
  running.ending = true;
  // One macrotask later: a promise rejected and left unhandled is reported first.
  nextMacrotask(() => {
    running.ending = false;
    if (task !== running || timers.size > 0) return;
    finishTimers(); // the unref'd ones, which would never fire in a program that has ended
    capture.end();
    task = undefined;
    end({ id: running.id, kind: "done", ok: true, ...(retiring ? { retire: true } : {}) }, true);
  });
}

type Done = Extract<EvalResponse, { kind: "done" }>;

/**
 * Posts a task's end, naming the queued request claimed to start next, so the main thread
 * always knows what runs. A retiring worker runs nothing more; the main thread sends its
 * queue elsewhere.
 */
function end(done: Done, startNow: boolean): void {
  if (done.retire) {
    retired = true;
    queue.length = 0;
  }
  const next = claimNext();
  busy = next !== undefined;
  post(next ? { ...done, next: next.id } : done);
  if (!next) return;
  if (startNow) void runSnippet(next);
  else nextMacrotask(() => void runSnippet(next));
}

/** The first queued request not taken back, now claimed; those taken back are dropped. */
function claimNext(): EvalSent | undefined {
  for (let request = queue.shift(); request; request = queue.shift()) {
    if (claim(request)) return request;
  }
  return undefined;
}

/** Claims a request for this worker; false when the main thread took it back first. */
function claim(request: EvalSent): boolean {
  const { slot, ticket } = request;
  return Atomics.compareExchange(claims, slot, ticket, STARTED_CLAIM) === ticket;
}

function finishTimers(): void {
  for (const timer of timers.values()) realClearTimeout()(timer);
  for (const timer of unrefd.values()) realClearTimeout()(timer);
  timers.clear();
  unrefd.clear();
}

/** The running task's timer no longer keeps it running: unref'd. */
function unreffed(timer: Timer | number): void {
  const id = Number(timer);
  const tracked = timers.get(id);
  if (tracked === undefined) return;
  timers.delete(id);
  unrefd.set(id, tracked);
  succeedWhenIdle();
}

/** The running task's timer has fired for the last time, or was cleared. */
function released(timer: Timer | number): void {
  const id = Number(timer);
  unrefd.delete(id);
  if (timers.delete(id)) succeedWhenIdle();
}

let timersPatched = false;

/**
 * Makes the methods of Node's `Timeout` (what `setTimeout` returns in this Deno, and
 * `node:timers` too) tell the task which timers keep it running: `unref()`, `ref()` again,
 * and `close()` or `using`, which clear it. Patched once, when the first timer is set: the
 * class is reachable only through a timer, and making one at start-up would load the timers.
 */
function patchTimers(timer: Timer): void {
  timersPatched = true;
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
  wrap("unref", unreffed);
  wrap("ref", (timer) => {
    const id = Number(timer);
    const tracked = unrefd.get(id);
    if (tracked === undefined) return;
    unrefd.delete(id);
    timers.set(id, tracked);
  });
  wrap("close", released);
  wrap(Symbol.dispose, released);
}

/** Follows a timer the snippet set: the running task waits for it. */
function track(timer: Timer): void {
  if (!timersPatched) patchTimers(timer);
  if (task) timers.set(Number(timer), timer);
}

// ---- the snippet's environment ---------------------------------------------------------

type Handler = string | ((...args: unknown[]) => void);

function invoke(handler: Handler, args: unknown[]): void {
  try {
    if (typeof handler === "function") handler(...args);
    else (0, eval)(handler);
  } catch (error) {
    fail(error, "uncaught in a timer: ");
  }
}

Object.assign(globalThis, {
  setTimeout(handler: Handler, delay?: number, ...args: unknown[]): Timer {
    const timer = realSetTimeout()(() => {
      timers.delete(Number(timer));
      unrefd.delete(Number(timer));
      invoke(handler, args);
      succeedWhenIdle();
    }, delay);
    track(timer);
    return timer;
  },
  setInterval(handler: Handler, delay?: number, ...args: unknown[]): Timer {
    const timer = realSetInterval()(() => invoke(handler, args), delay);
    track(timer);
    return timer;
  },
  clearTimeout: clearTimer,
  clearInterval: clearTimer,
  close(): void {
    exitRequested("Cannot close the eval worker: the snippet called close()");
  },
  // A worker's messages go to whoever started it: here dagrun, which has no use for a
  // snippet's. Refused with a reason (a `deno eval` program has no `postMessage` at all).
  postMessage(): never {
    throw new TypeError(
      "Cannot post a message from an eval task: the worker it runs in is dagrun's",
    );
  },
});

function clearTimer(timer?: Timer | number): void {
  if (timer === undefined) return;
  realClearTimeout()(timer);
  released(timer);
}

Object.assign(Deno, {
  unrefTimer(timer: Timer | number): void {
    realUnrefTimer(timer);
    // An unref'd timer does not keep a program alive, so it does not keep the task running.
    unreffed(timer);
  },
  exit(code?: number): never {
    exitRequested(`Cannot exit from an eval task: the snippet called Deno.exit(${code ?? ""})`);
  },
});

/** Thrown to unwind a snippet that asked to exit; the task has already failed. */
class ExitRequest extends Error {
  override name = "ExitRequest";
}

function exitRequested(message: string): never {
  fail(new Error(message), "", true);
  throw new ExitRequest(message);
}

// A stray error or an unhandled rejection fails the running task instead of the worker.
self.addEventListener("error", (event) => {
  event.preventDefault();
  if (!(event.error instanceof ExitRequest)) fail(event.error ?? event.message, "uncaught: ");
});
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  if (!(event.reason instanceof ExitRequest)) fail(event.reason, "unhandled rejection: ");
});

// ---- running ---------------------------------------------------------------------------

function compileFast(code: string): (() => Promise<unknown>) | undefined {
  // `import`/`export` need a module (the words in a comment, a string or a member's name do
  // not); TypeScript syntax fails to compile and goes there too.
  if (usesModuleSyntax(code)) return undefined;
  try {
    return new AsyncFunction(code);
  } catch {
    return undefined;
  }
}

function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

async function runSnippet(request: EvalSent): Promise<void> {
  const running: Running = { id: request.id, name: request.name, returned: false, ending: false };
  task = running;
  capture.begin();
  try {
    const fast = compileFast(request.code);
    if (fast) {
      await fast();
    } else {
      // Modules are never unloaded: a worker that loaded many makes way for a new one.
      retiring = ++modulesLoaded >= maxModules;
      // A comment makes every module unique, so two tasks with the same code both run.
      const source = `${request.code}\n// dagrun eval ${request.id}\n`;
      await import(`data:application/typescript;base64,${toBase64(source)}`);
    }
  } catch (error) {
    if (task === running && !(error instanceof ExitRequest)) fail(error);
    return;
  }
  running.returned = true;
  succeedWhenIdle();
}

/** Queues a request, or starts it when nothing runs (unless it was taken back already). */
function receive(request: EvalSent): void {
  if (retired) return;
  if (busy) return void queue.push(request);
  if (!claim(request)) return;
  busy = true;
  void runSnippet(request);
}

/**
 * The config, the one message through the worker's own channel; everything after it comes
 * through its port, which no snippet can reach (nor its `self.onmessage`).
 */
function configure(event: MessageEvent<EvalConfig>): void {
  const config = event.data;
  if (port || config?.kind !== "config") return;
  self.removeEventListener("message", configure);
  capture.configure(config.colors, config.maxOutputChars);
  maxModules = config.maxModules;
  claims = new Int32Array(config.claims);
  port = config.port;
  port.onmessage = (event: MessageEvent<EvalCommand>) => {
    const command = event.data;
    if (command.kind === "run") receive(command);
    else for (const request of command.requests) receive(request);
  };
  post({ kind: "ready" });
}
self.addEventListener("message", configure);
