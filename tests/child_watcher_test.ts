import assert from "node:assert/strict";
import { createPosixSpawner, type SpawnedChild } from "../executors/posix_spawn.ts";
import { createExecExecutor } from "../executors/exec.ts";
import type { ExecutorContext, OutputStream } from "../src/types.ts";

/** The posix_spawn path; tests run with -A on Linux, where it must be available. */
function spawner() {
  const spawn = createPosixSpawner();
  assert.ok(spawn, "posix_spawn path unavailable");
  return spawn;
}

async function spawned(argv: string[], inBackground = false): Promise<SpawnedChild> {
  const child = await spawner()(argv, Deno.cwd(), inBackground);
  assert.ok(typeof child !== "number", `spawn failed with errno ${child}`);
  return child;
}

/** Collects a child's output as text; resolves with it once both pipes have ended. */
async function collect(child: SpawnedChild): Promise<{ stdout: string; stderr: string }> {
  const decoders = [new TextDecoder(), new TextDecoder()];
  const text = ["", ""];
  await child.pipeOutput(
    (chunk) => void (text[0] += decoders[0]!.decode(chunk, { stream: true })),
    (chunk) => void (text[1] += decoders[1]!.decode(chunk, { stream: true })),
  );
  return { stdout: text[0]!, stderr: text[1]! };
}

Deno.test("posix_spawn children are watched together, each output whole and to its own", async () => {
  const spawn = spawner();
  // One spawner, so one epoll set: children start while a wait for the others is under way.
  const children = await Promise.all(
    Array.from({ length: 40 }, (_, i) => spawn(["seq", "1", `${1000 + i * 500}`], "/", i > 0)),
  );
  const outputs = await Promise.all(children.map((child) => {
    assert.ok(typeof child !== "number");
    return Promise.all([collect(child), child.status]);
  }));
  outputs.forEach(([output, status], i) => {
    assert.deepEqual(status, { success: true, code: 0, signal: null });
    const lines = output.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 1000 + i * 500);
    assert.equal(lines.at(-1), `${1000 + i * 500}`);
    assert.equal(output.stderr, "");
  });
});

Deno.test("a posix_spawn child's exit code, signal and stderr come through", async () => {
  const failing = await spawned(["ls", "/no/such/dagrun/path"]);
  const [output, status] = await Promise.all([collect(failing), failing.status]);
  assert.equal(status.success, false);
  assert.equal(status.code, 2);
  assert.match(output.stderr, /no\/such\/dagrun\/path/);

  const killed = await spawned(["sleep", "30"], true);
  const drained = collect(killed);
  Deno.kill(killed.pid, "SIGTERM");
  assert.deepEqual(await killed.status, { success: false, code: 143, signal: "SIGTERM" });
  await drained;
});

Deno.test("a posix_spawn child's status comes before the pipes a leftover holds open", async () => {
  // The leader exits at once; its background child keeps the pipes open until killed.
  const child = await spawned(["sh", "-c", "sleep 30 & echo started"]);
  let ended = false;
  const drained = collect(child).then((output) => (ended = true, output));
  assert.deepEqual(await child.status, { success: true, code: 0, signal: null });
  assert.equal(ended, false);
  child.killLeftovers();
  assert.equal((await drained).stdout, "started\n");
});

Deno.test("exec passes on the output of many plain commands running at once", async () => {
  const lines: [string, OutputStream, string][] = [];
  const context = (name: string): ExecutorContext => ({
    signal: new AbortController().signal,
    timeoutMs: undefined,
    env: undefined,
    cwd: Deno.cwd(),
    baseDir: Deno.cwd(),
    output: (stream, text) => void lines.push([name, stream, text]),
  });
  const executor = createExecExecutor();
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      executor.run(
        { name: `t${i}`, type: "exec", arguments: `seq ${i} 20000`, dependencies: [] },
        context(`t${i}`),
      )),
  );
  assert.ok(results.every((result) => result.ok));
  for (let i = 0; i < 16; i++) {
    const text = lines.filter(([name]) => name === `t${i}`).map(([, , block]) => block).join("\n");
    const numbers = text.split("\n");
    assert.equal(numbers.length, 20001 - i);
    assert.equal(numbers[0], `${i}`);
    assert.equal(numbers.at(-1), "20000");
  }
});
