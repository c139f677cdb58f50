/**
 * A program for the non-blocking stdout test: sets `O_NONBLOCK` on its standard output, as a
 * parent sharing it may have left it, fills the pipe behind it until the kernel says `EAGAIN`,
 * then runs the command line with its arguments. Every write dagrun then makes meets a full
 * pipe until the reader reads.
 *
 * Usage: `deno run -A tests/nonblocking_stdout.ts ARGS...`; prints `filled N` on stderr, N the
 * bytes written ahead (a run of `.`), before dagrun starts.
 *
 * @module
 */

import { runCommandLine } from "../src/bin.ts";

const F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0o4000;
const libc = Deno.dlopen("libc.so.6", {
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
});
libc.symbols.fcntl(1, F_SETFL, libc.symbols.fcntl(1, F_GETFL, 0) | O_NONBLOCK);
const dots = new Uint8Array(4096).fill(".".charCodeAt(0));
let filled = 0;
try {
  while (true) filled += Deno.stdout.writeSync(dots);
} catch (error) {
  if (!(error instanceof Deno.errors.WouldBlock)) throw error;
}
Deno.stderr.writeSync(new TextEncoder().encode(`filled ${filled}\n`));
await runCommandLine(Deno.args);
