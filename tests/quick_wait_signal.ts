/**
 * A program for the quick-wait test: a signal with a listener arrives while a lone child is
 * waited for on the main thread. Run by `deno run` rather than inside the test, because
 * `deno test` runs tests off the thread a signal sent to the process interrupts.
 *
 * Usage: `deno run -A tests/quick_wait_signal.ts`; prints `{ "heldMs": N, "received": N }`.
 *
 * @module
 */

import { createPosixSpawner } from "../executors/posix_spawn.ts";

let received = 0;
const listener = () => received++;
Deno.addSignalListener("SIGUSR1", listener);
const spawn = createPosixSpawner({ quickWaitMs: 3_000 });
if (!spawn) throw new Error("posix_spawn path unavailable");
// The child signals us once the wait is under way, then goes on running.
const child = await spawn(
  ["sh", "-c", "sleep 0.2; kill -USR1 $PPID; sleep 30"],
  "/",
  false,
  () => true,
);
if (typeof child === "number") throw new Error(`spawn failed with errno ${child}`);
const start = performance.now();
const drained = child.pipeOutput(() => {}, () => {});
const heldMs = performance.now() - start;
for (let i = 0; i < 200 && received === 0; i++) await new Promise((r) => setTimeout(r, 10));
Deno.kill(-child.pid, "SIGKILL");
await Promise.all([child.status, drained]);
Deno.removeSignalListener("SIGUSR1", listener);
console.log(JSON.stringify({ heldMs, received }));
