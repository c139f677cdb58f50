/**
 * The eval worker leaves the timer globals unread until it needs one: in this Deno the first
 * read of one loads Node's timers, milliseconds of every worker's start. A task's end needs
 * `setImmediate` (the one macrotask that comes after the runtime has reported unhandled
 * rejections), so the start is what stays free of them. A spy module counts the reads, then
 * loads the real worker module in the same worker.
 */

import assert from "node:assert/strict";
import type { EvalResponse } from "../executors/eval_protocol.ts";

const WORKER = new URL("../executors/eval_worker.ts", import.meta.url).href;
const TIMER_GLOBALS = [
  "setTimeout",
  "setInterval",
  "clearTimeout",
  "clearInterval",
  "setImmediate",
];

/** Counts reads of the timer globals; every message carries the count. */
const SPY = `
let timerReads = 0;
for (const name of ${JSON.stringify(TIMER_GLOBALS)}) {
  const original = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, {
    configurable: true,
    enumerable: original.enumerable,
    get() {
      timerReads++;
      return original.get ? original.get.call(globalThis) : original.value;
    },
    set(value) {
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
    },
  });
}
const post = MessagePort.prototype.postMessage;
MessagePort.prototype.postMessage = function (message) {
  return post.call(this, { ...message, timerReads });
};
`;

/**
 * The spy, then the eval worker, imported statically: evaluated in that order, with no turn
 * of the event loop between them, in which the config sent at once would find no listener
 * (a dynamic import of the worker left one, and on a busy machine the config was lost).
 */
const ENTRY = `import "./spy.js";\nimport ${JSON.stringify(WORKER)};\n`;

type Counted = EvalResponse & { timerReads: number };

Deno.test("an eval worker reads no timer global to start", async () => {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-eval-timers-" });
  // JavaScript: not type-checked.
  await Deno.writeTextFile(`${directory}/spy.js`, SPY);
  await Deno.writeTextFile(`${directory}/entry.js`, ENTRY);
  const worker = new Worker(new URL(`file://${directory}/entry.js`), { type: "module" });
  // As the pool does: the worker answers through a port of its own, sent with the config.
  const { port1: port, port2 } = new MessageChannel();
  const messages: Counted[] = [];
  let wake = () => {};
  port.onmessage = (event: MessageEvent<Counted>) => {
    messages.push(event.data);
    wake();
  };
  let workerError: string | undefined;
  worker.onerror = (event) => {
    event.preventDefault();
    workerError = event.message;
    wake();
  };
  /** The first message the predicate accepts; fails on a worker error or after 10 s. */
  const receive = async (accept: (message: Counted) => boolean): Promise<Counted> => {
    const deadline = Date.now() + 10_000;
    while (true) {
      const found = messages.find(accept);
      if (found) return found;
      if (workerError !== undefined) throw new Error(`the worker failed: ${workerError}`);
      if (Date.now() > deadline) throw new Error(`no answer: ${JSON.stringify(messages)}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        const timer = setTimeout(resolve, 100);
        Deno.unrefTimer(timer);
      });
    }
  };
  const done = (id: number) =>
    receive((message) => "id" in message && message.id === id && message.kind === "done");
  try {
    // As the pool does: a config with the port and the claims, at once (it waits for the
    // worker to listen), and each request's claim set before it goes.
    const claims = new SharedArrayBuffer(4);
    const config = {
      kind: "config",
      port: port2,
      colors: false,
      maxOutputChars: 1e6,
      maxModules: 9,
      claims,
    };
    worker.postMessage(config, [port2]);
    const ready = await receive((message) => message.kind === "ready");
    assert.equal(ready.timerReads, 0, "the worker read a timer global to start");
    const send = (request: { id: number; name: string; code: string }) => {
      Atomics.store(new Int32Array(claims), 0, request.id);
      port.postMessage({ kind: "run", slot: 0, ticket: request.id, ...request });
    };
    send({ id: 1, name: "plain", code: "console.log(6 * 7)" });
    const plain = await done(1);
    assert.equal(plain.kind === "done" && plain.ok, true);
    send({
      id: 2,
      name: "timer",
      code: "await new Promise((resolve) => setTimeout(resolve, 5)); console.log('waited')",
    });
    const timed = await done(2);
    assert.equal(timed.kind === "done" && timed.ok, true);
    // The spy sees reads: the snippet's setTimeout reached the runtime's.
    assert.ok(timed.timerReads > 0);
    const output = messages.flatMap((message) =>
      message.kind === "output" ? message.pieces.map((piece) => piece.text) : []
    );
    assert.deepEqual(output.map((text) => text.trim()), ["42", "waited"]);
  } finally {
    worker.terminate();
    port.close();
    await Deno.remove(directory, { recursive: true });
  }
});
