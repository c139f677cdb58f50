import assert from "node:assert/strict";
import { denoEval } from "./helpers.ts";

const moduleUrl = (path: string) => JSON.stringify(import.meta.resolve(path));

Deno.test("libc is opened once, by the first use that needs it, and shared by every user", async () => {
  // In a process of its own: libc is opened once per process, and this one counts the opens.
  const program = `
let opens = 0;
const dlopen = Deno.dlopen;
Deno.dlopen = (...args) => (opens++, dlopen(...args));
const { createPosixSpawner } = await import(${moduleUrl("../executors/posix_spawn.ts")});
const { groupExists } = await import(${moduleUrl("../src/process_groups.ts")});
const { ignoreAgain } = await import(${moduleUrl("../src/ignored_signals.ts")});
const { bindStopSelf } = await import(${moduleUrl("../src/job_control.ts")});
const loaded = opens;
ignoreAgain([28]); // SIGWINCH, ignored by default anyway
const child = new Deno.Command("sleep", { args: ["60"], detached: true }).spawn();
const alive = groupExists(child.pid);
child.kill("SIGKILL");
const spawner = createPosixSpawner() !== undefined;
let fellBack = false;
bindStopSelf(undefined, () => { fellBack = true; });
console.log(JSON.stringify({ loaded, opens, alive, spawner, fellBack }));
`;
  const { code, stdout, stderr } = await denoEval(program);
  assert.equal(code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), {
    // Loading the modules opens nothing: a run that needs no libc pays nothing.
    loaded: 0,
    opens: 1,
    alive: true,
    spawner: true,
    fellBack: false,
  });
});
