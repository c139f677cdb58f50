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
 * another task (see `eval_timers.ts`).
 * Whatever the snippet does wrong — throws, leaves a rejection unhandled, calls `Deno.exit()`
 * or `close()`, prints without end — ends as a failure of its task, never of the worker's
 * other tasks or of the process.
 *
 * @module
 */

import { Capture } from "./eval_capture.ts";
import { describeThrown, rewriteTrace } from "./eval_errors.ts";
import { usesModuleSyntax } from "./eval_syntax.ts";
import { nextMacrotask, runtimeTimersLoaded, TaskTimers } from "./eval_timers.ts";
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

/** The running task's timers, the snippet's `setTimeout` and kin. */
const timers = new TaskTimers({
  running: () => task !== undefined,
  threw: (error) => fail(error, "uncaught in a timer: "),
  settled: succeedWhenIdle,
});
timers.install();

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
  const leftTimers = timers.pending;
  timers.clear();
  const done = { id: running.id, kind: "done", ok: false, error: prefix + error } as const;
  // The next task starts a macrotask later, so that a rejection this one left is not its.
  end(retire || leftTimers || retiring ? { ...done, retire: true } : done, false);
}

function succeedWhenIdle(): void {
  const running = task;
  if (!running || !running.returned || timers.pending || running.ending) return;
  running.ending = true;
  // One macrotask later: a promise rejected and left unhandled is reported first.
  nextMacrotask(() => {
    running.ending = false;
    if (task !== running || timers.pending) return;
    timers.clear(); // the unref'd ones, which would never fire in a program that has ended
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

// ---- the snippet's environment ---------------------------------------------------------

Object.assign(globalThis, {
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

Object.assign(Deno, {
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

/** `node:timers`, `node:timers/promises`, `process.getBuiltinModule("timers")`. */
const NAMES_TIMERS = /\btimers\b/;

async function runSnippet(request: EvalSent): Promise<void> {
  const running: Running = { id: request.id, name: request.name, returned: false, ending: false };
  task = running;
  capture.begin();
  const fast = compileFast(request.code);
  // Timers set through Node's own functions are followed too, from before the first snippet
  // that may reach them: one that names Node's timers, or runs as a module (an import may
  // reach them), or calls what an earlier task's module left. Loading the timers costs
  // ≈ 4 ms, once a worker, which the first task's end pays anyway (see `nextMacrotask`)
  // unless it failed: a worker that has loaded them pays only for one timer made and
  // cleared, and one that has not is spared them while its snippets import nothing and name
  // no timers.
  if (!fast || runtimeTimersLoaded() || NAMES_TIMERS.test(request.code)) timers.followAll();
  try {
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
