import assert from "node:assert/strict";
import {
  createPosixSpawner,
  type PosixSpawnerOptions,
  type SpawnedChild,
} from "../executors/posix_spawn.ts";

/** Where a test child is spawned, and whether it may be waited for on this thread. */
type SpawnMode = "alone" | "here" | "background";
import { createExecExecutor } from "../executors/exec.ts";
import { errnoOf, libc as openedLibc } from "../executors/libc.ts";
import type { Executor, ExecutorContext, OutputStream } from "../src/types.ts";

/** The posix_spawn path; tests run with -A on Linux, where it must be available. */
function spawner(options: PosixSpawnerOptions = {}) {
  const spawn = createPosixSpawner(options);
  assert.ok(spawn, "posix_spawn path unavailable");
  return spawn;
}

async function spawned(
  argv: string[],
  mode: SpawnMode = "here",
  spawn = spawner(),
): Promise<SpawnedChild> {
  const child = await spawn(argv, Deno.cwd(), mode === "background", () => mode === "alone");
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

/** Whether a promise has settled, looking only through microtasks: no event loop turn. */
async function settledWithoutATurn(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return settled;
}

Deno.test("posix_spawn children are watched together, each output whole and to its own", async () => {
  const spawn = spawner();
  // One spawner, so one epoll set: children start while a wait for the others is under way.
  const children = await Promise.all(
    Array.from(
      { length: 40 },
      (_, i) => spawn(["seq", "1", `${1000 + i * 500}`], "/", i > 0),
    ),
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

Deno.test("posix_spawn children ending together are all reaped, past one wait's events", async () => {
  const spawn = spawner();
  // 200 children, three descriptors each: more events than one epoll_wait takes (256).
  const children = await Promise.all(
    Array.from({ length: 200 }, () => spawned(["/bin/true"], "background", spawn)),
  );
  const ended = await Promise.all(
    children.map((child) => Promise.all([collect(child), child.status])),
  );
  for (const [output, status] of ended) {
    assert.deepEqual(status, { success: true, code: 0, signal: null });
    assert.deepEqual(output, { stdout: "", stderr: "" });
  }
});

Deno.test("a posix_spawn child's exit code, signal and stderr come through", async () => {
  const failing = await spawned(["ls", "/no/such/dagrun/path"]);
  const [output, status] = await Promise.all([collect(failing), failing.status]);
  assert.equal(status.success, false);
  assert.equal(status.code, 2);
  assert.match(output.stderr, /no\/such\/dagrun\/path/);

  for (const code of [1, 3, 255]) {
    const child = await spawned(["sh", "-c", `exit ${code}`]);
    const [, ended] = await Promise.all([collect(child), child.status]);
    assert.deepEqual(ended, { success: false, code, signal: null });
  }

  const killed = await spawned(["sleep", "30"], "background");
  const drained = collect(killed);
  Deno.kill(killed.pid, "SIGTERM");
  assert.deepEqual(await killed.status, { success: false, code: 143, signal: "SIGTERM" });
  await drained;

  // A signal that dumps core, sent by the child to itself.
  const crashed = await spawned(["sh", "-c", "kill -SEGV $$"]);
  const [, crash] = await Promise.all([collect(crashed), crashed.status]);
  assert.deepEqual(crash, { success: false, code: 139, signal: "SIGSEGV" });
});

Deno.test("a posix_spawn child writing more than a pipe holds to both streams is drained", async () => {
  // Each stream gets 1 MB, both at once: were either pipe left unread, the child would block
  // on it (a pipe holds 64 KiB) and never exit.
  const child = await spawned([
    "sh",
    "-c",
    "head -c 1000000 /dev/zero | tr '\\0' e >&2 & head -c 1000000 /dev/zero | tr '\\0' o; wait",
  ]);
  const [output, status] = await Promise.all([collect(child), child.status]);
  assert.equal(status.success, true);
  assert.equal(output.stdout.length, 1_000_000);
  assert.equal(output.stderr.length, 1_000_000);
  assert.match(output.stdout, /^o+$/);
  assert.match(output.stderr, /^e+$/);
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

Deno.test("a child whose grandchild holds its pipes does not hold up the others", async () => {
  const spawn = spawner();
  const holder = await spawned(["sh", "-c", "sleep 30 & echo holder"], "here", spawn);
  let holderDrained = false;
  const holderOutput = collect(holder).then((output) => (holderDrained = true, output));
  assert.equal((await holder.status).success, true);
  // Later children of the same watcher come and go while the holder's pipes stay open.
  for (let i = 0; i < 5; i++) {
    const other = await spawned(["seq", "1", "3"], "background", spawn);
    const [output, status] = await Promise.all([collect(other), other.status]);
    assert.equal(status.success, true);
    assert.equal(output.stdout, "1\n2\n3\n");
  }
  assert.equal(holderDrained, false);
  holder.killLeftovers();
  assert.equal((await holderOutput).stdout, "holder\n");
});

Deno.test("a posix_spawn sink that throws: the rest is dropped, the child runs to its end", async () => {
  const child = await spawned(["seq", "1", "200000"]);
  let calls = 0;
  const drained = child.pipeOutput(() => {
    calls++;
    throw new Error("sink broke");
  }, () => {});
  await assert.rejects(drained, /sink broke/);
  // Had the output stopped being read, seq would still be blocked on a full pipe.
  assert.deepEqual(await child.status, { success: true, code: 0, signal: null });
  assert.equal(calls, 1);
});

Deno.test("a child spawned alone is waited for on this thread; otherwise in the background", async () => {
  const spawn = spawner({ quickWaitMs: 10_000 });
  const alone = await spawned(["sleep", "0.2"], "alone", spawn);
  let start = performance.now();
  const aloneDrained = collect(alone);
  assert.ok(performance.now() - start >= 150, "alone: not waited for on this thread");
  assert.equal(await settledWithoutATurn(alone.status), true);
  await aloneDrained;

  const here = await spawned(["sleep", "30"], "here", spawn);
  start = performance.now();
  const hereDrained = collect(here);
  const held = performance.now() - start;
  assert.ok(held < 1_000, `here: this thread held for ${held} ms`);
  Deno.kill(here.pid, "SIGKILL");
  assert.equal((await here.status).signal, "SIGKILL");
  await hereDrained;
});

Deno.test("a child waited for on this thread may print more than a pipe holds", async () => {
  // Its pipes are read only once it has exited, unless it outlives 4 ms: then it
  // may be blocked on a full pipe, and they are watched too.
  const spawn = spawner({ quickWaitMs: 10_000 });
  const child = await spawned(["seq", "1", "200000"], "alone", spawn);
  const start = performance.now();
  const drained = collect(child);
  const held = performance.now() - start;
  assert.ok(held < 5_000, `held for ${held} ms`);
  const [output, status] = await Promise.all([drained, child.status]);
  assert.equal(status.success, true);
  const lines = output.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 200_000);
  assert.equal(lines.at(-1), "200000");
});

Deno.test("a child waited for on this thread leaves the wait once it exits, pipes open or not", async () => {
  const spawn = spawner({ quickWaitMs: 10_000 });
  // What it leaves running holds its pipes; its status must come before they end. (Had it
  // printed, the wait would have stopped there, for the output to be written.)
  const child = await spawned(["sh", "-c", "sleep 30 &"], "alone", spawn);
  const start = performance.now();
  const drained = collect(child);
  const held = performance.now() - start;
  assert.ok(held < 5_000, `held for ${held} ms`);
  assert.equal(await settledWithoutATurn(child.status), true);
  assert.equal((await child.status).success, true);
  child.killLeftovers();
  assert.deepEqual(await drained, { stdout: "", stderr: "" });
});

Deno.test("a pipe's end is not taken for EAGAIN left in errno by an earlier call", async () => {
  // read() returns 0 at the end of a pipe and leaves errno as it was: an EAGAIN from any
  // earlier failed call on this thread must not make the watcher wait for more.
  const libc = openedLibc()!;
  const empty = new Int32Array(2);
  assert.equal(libc.pipe2(empty, 0o4000 /* O_NONBLOCK */), 0);
  const spawn = spawner({ quickWaitMs: 10_000 });
  for (const mode of ["alone", "here"] as const) {
    const child = await spawned(["/bin/true"], mode, spawn);
    assert.equal(Number(libc.read(empty[0]!, new Uint8Array(1), 1n)), -1);
    assert.equal(errnoOf(libc), 11 /* EAGAIN */);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise((resolve) => timer = setTimeout(() => resolve("late"), 5_000));
    assert.deepEqual(await Promise.race([collect(child), late]), { stdout: "", stderr: "" }, mode);
    clearTimeout(timer);
  }
  libc.close(empty[0]!);
  libc.close(empty[1]!);
});

Deno.test("the wait on this thread gives up after the quick wait, and the child is still watched", async () => {
  const spawn = spawner({ quickWaitMs: 50 });
  const child = await spawned(["sleep", "30"], "alone", spawn);
  const start = performance.now();
  const drained = collect(child);
  const blocked = performance.now() - start;
  // Held for the quick wait, then handed to the background wait: timers run again.
  assert.ok(blocked >= 50, `blocked ${blocked} ms`);
  assert.ok(blocked < 5_000, `blocked ${blocked} ms`);
  assert.equal(await settledWithoutATurn(child.status), false);
  const timer = await new Promise((resolve) => setTimeout(() => resolve("fired"), 1));
  assert.equal(timer, "fired");
  Deno.kill(child.pid, "SIGKILL");
  assert.deepEqual(await child.status, { success: false, code: 137, signal: "SIGKILL" });
  await drained;
});

Deno.test("a signal with a listener ends the wait on this thread at once", async () => {
  // The quick wait there is 3 s; the signal comes 0.2 s into it, from the child.
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./quick_wait_signal.ts", import.meta.url).pathname],
    stderr: "inherit",
  }).output();
  assert.equal(output.code, 0);
  const { heldMs, received } = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(received, 1);
  assert.ok(heldMs >= 100 && heldMs < 2_000, `held for ${heldMs} ms`);
});

function collectingContext(
  lines: [string, OutputStream, string][],
  name: string,
  runningTasks?: () => number,
): ExecutorContext {
  return {
    signal: new AbortController().signal,
    timeoutMs: undefined,
    env: undefined,
    cwd: Deno.cwd(),
    baseDir: Deno.cwd(),
    output: (stream, text) => void lines.push([name, stream, text]),
    ...(runningTasks ? { runningTasks } : {}),
  };
}

Deno.test("exec passes on the output of many plain commands running at once", async () => {
  const lines: [string, OutputStream, string][] = [];
  const executor = createExecExecutor();
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      executor.run(
        { name: `t${i}`, type: "exec", arguments: `seq ${i} 20000`, dependencies: [] },
        collectingContext(lines, `t${i}`),
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

Deno.test("exec holds the event loop for a child only while no other task runs", async () => {
  const lines: [string, OutputStream, string][] = [];
  /** Runs a command; says whether it ended before a timer due at once could fire. */
  const endsBeforeATurn = async (
    executor: Executor,
    command: string,
    runningTasks?: () => number,
  ) => {
    let fired = false;
    const timer = setTimeout(() => fired = true, 0);
    const result = await executor.run(
      { name: "t", type: "exec", arguments: command, dependencies: [] },
      collectingContext(lines, "t", runningTasks),
    );
    clearTimeout(timer);
    assert.ok(result.ok);
    return !fired;
  };
  // A quick wait long enough for the child: whether it is taken does not depend on timing.
  const patient = createExecExecutor({ quickWaitMs: 10_000 });
  assert.equal(await endsBeforeATurn(patient, "sleep 0.1", () => 1), true);
  // With another task running, or no count given, the event loop is never held.
  assert.equal(await endsBeforeATurn(patient, "sleep 0.1", () => 2), false);
  assert.equal(await endsBeforeATurn(patient, "sleep 0.1"), false);
  // Nor with no quick wait at all.
  const never = createExecExecutor({ quickWaitMs: 0 });
  assert.equal(await endsBeforeATurn(never, "sleep 0.1", () => 1), false);
  // By default a short child alone in its run mostly ends before the event loop turns (one
  // past the quick wait is handed to the background wait).
  const executor = createExecExecutor();
  let quick = 0;
  for (let i = 0; i < 20; i++) if (await endsBeforeATurn(executor, "/bin/true", () => 1)) quick++;
  assert.ok(quick > 0, "no child was waited for on this thread");
});
