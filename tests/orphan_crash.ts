/**
 * A program that crashes in the middle of a run, for the orphan tests: it runs an exec task
 * that starts a process tree, then dies of an uncaught error or an unhandled rejection.
 *
 * Usage: `deno run -A tests/orphan_crash.ts MARK error|rejection`
 *
 * @module
 */

import { run } from "../mod.ts";

const [mark, how] = Deno.args;
await run([{ name: "tree", type: "exec", arguments: `sleep ${mark} & sleep ${mark}` }], {
  onEvent: (event) => {
    if (event.event !== "task_started") return;
    console.log("started");
    setTimeout(() => {
      if (how === "rejection") Promise.reject(new Error("our own bug"));
      else throw new Error("our own bug");
    }, 300);
  },
});
