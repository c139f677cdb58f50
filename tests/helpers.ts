/**
 * Shared test helpers: running the CLI as a real subprocess (under a memory limit too), a
 * script in a Deno process of its own, making and writing into a FIFO, and a fake executor
 * that records what the scheduler did.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import type { Executor, RunEvent, TaskResult, TaskSpec } from "../src/types.ts";
import { runCommand } from "./plugin_helpers.ts";

/** The repository root. */
export const ROOT = new URL("../", import.meta.url);
/** mod.ts, the CLI entry point. */
export const MOD = new URL("../mod.ts", import.meta.url).pathname;

/** What a CLI run printed and how it ended. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `deno run -A mod.ts ...args` and collects its output; `denoFlags` go to `deno run`
 * (`--no-lock`, so that a module served on a random port stays out of deno.lock).
 */
export async function runCli(
  args: readonly string[],
  options: {
    stdin?: string;
    cwd?: string;
    env?: Record<string, string>;
    denoFlags?: readonly string[];
  } = {},
): Promise<CliResult> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", ...(options.denoFlags ?? []), MOD, ...args],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { NO_COLOR: "1", ...options.env },
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Writes a task file into a fresh temporary directory and returns its path. */
export async function writeTaskFile(content: unknown, name = "tasks.json"): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-test-" });
  const path = `${directory}/${name}`;
  await Deno.writeTextFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** Writes at `path` a task file of an `exec` task running `true` for each of `names`. */
export async function writeTrueTasks(path: string, names: readonly string[]): Promise<void> {
  const tasks = names.map((name) => ({ name, type: "exec", arguments: "true" }));
  await Deno.writeTextFile(path, JSON.stringify({ tasks }));
}

/**
 * Runs `deno run -A --quiet mod.ts ...args` with stdout discarded, under a 1 GB data limit
 * where prlimit is there, so that a read without a bound fails fast instead of taking the
 * machine's memory.
 */
export async function runCliUnderDataLimit(
  args: readonly string[],
  cwd?: string,
): Promise<{ code: number; stderr: string }> {
  const hasPrlimit = (await new Deno.Command("sh", { args: ["-c", "command -v prlimit"] }).output())
    .success;
  const deno = [Deno.execPath(), "run", "-A", "--quiet", MOD, ...args];
  const [program, ...rest] = hasPrlimit ? ["prlimit", "--data=1000000000", ...deno] : deno;
  const { code, stderr } = await new Deno.Command(program!, {
    args: rest,
    ...(cwd ? { cwd } : {}),
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

/**
 * Runs `script` with `deno eval --quiet` in a process of its own (what is opened or left
 * pending once per process is counted there, not in the test's) and collects its output.
 */
export function denoEval(script: string): Promise<CliResult> {
  return runCommand(Deno.execPath(), ["eval", "--quiet", script]);
}

/** Makes a FIFO at `path`. */
export async function makeFifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(made.success, new TextDecoder().decode(made.stderr));
}

/** Makes a FIFO at `path` and writes `text` into it from a shell, once a reader opens it. */
export async function fifoWriting(path: string, text: string): Promise<Deno.ChildProcess> {
  await makeFifo(path);
  return new Deno.Command("sh", {
    args: ["-c", 'printf %s "$1" > "$2"', "sh", text, path],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/**
 * Kills `child` with SIGKILL unless it has ended: a FIFO's writer still waiting for a reader,
 * or a process a failed test leaves behind.
 */
export function killIfRunning(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch {
    // It has ended.
  }
}

/** Whether a thread of process `pid` waits in a FIFO's open for the other end (Linux). */
export function waitsInFifoOpen(pid: number): Promise<boolean> {
  return aThreadWaitsIn(pid, /^wait_for_partner$/);
}

/**
 * Whether a thread of process `pid` waits in a read of a pipe or FIFO (Linux; the kernel names
 * the wait `pipe_read`, or `anon_pipe_read` in later kernels).
 */
export function waitsInPipeRead(pid: number): Promise<boolean> {
  return aThreadWaitsIn(pid, /(^|_)pipe_read$/);
}

/** Whether a thread of process `pid` waits in a kernel function `wait` matches (Linux). */
export async function aThreadWaitsIn(pid: number, wait: RegExp): Promise<boolean> {
  for await (const thread of Deno.readDir(`/proc/${pid}/task`)) {
    const wchan = await Deno.readTextFile(`/proc/${pid}/task/${thread.name}/wchan`).catch(() => "");
    if (wait.test(wchan)) return true;
  }
  return false;
}

/** The names of the entries of `directory`, sorted: what a run left there. */
export async function namesIn(directory: string): Promise<string[]> {
  const names = [];
  for await (const entry of Deno.readDir(directory)) names.push(entry.name);
  return names.sort();
}

/**
 * Writes the task file `content` as tasks.json into a fresh temporary directory, with a FIFO
 * named `fifo` beside it, and returns the directory.
 */
export async function taskFileBesideFifo(content: unknown): Promise<string> {
  const directory = dirname(await writeTaskFile(content));
  await makeFifo(`${directory}/fifo`);
  return directory;
}

/** How a process that was sent a signal ended, and what it printed. */
export interface SignalledResult {
  readonly code: number;
  readonly signal: Deno.Signal | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `deno run -A --quiet SCRIPT ...args` (SCRIPT mod.ts unless given) in `cwd`, waits until
 * `waiting(pid)` holds (a FIFO's open, a pipe's read), sends it `signal` and collects how it
 * ended. It is killed should the wait fail.
 */
export async function signalledWhileWaiting(options: {
  args: readonly string[];
  cwd: string;
  waiting: (pid: number) => Promise<boolean>;
  what: string;
  signal: Deno.Signal;
  script?: string;
  stdin?: "null" | "piped";
}): Promise<SignalledResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", options.script ?? MOD, ...options.args],
    cwd: options.cwd,
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    await until(() => options.waiting(child.pid), options.what);
    child.kill(options.signal);
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      signal: output.signal,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    killIfRunning(child);
  }
}

/** Polls `condition` until it holds; fails after many tries rather than hang the suite. */
export async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 3_000; tries++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`never saw: ${what}`);
}

/**
 * Tasks from a map of name to dependency names, in the map's order; `exec` of `true` unless
 * another type is given.
 */
export function graph(spec: Record<string, string[]>, type = "exec"): TaskSpec[] {
  return Object.entries(spec).map(([name, dependencies]) => ({
    name,
    type,
    arguments: type === "exec" ? "true" : "",
    dependencies,
  }));
}

/** A scripted outcome for a fake task: how long it takes and whether it succeeds. */
export interface FakeOutcome {
  readonly ms?: number;
  readonly ok?: boolean;
}

/**
 * An executor for scheduler tests, like ninja's FakeCommandRunner: it records the order tasks
 * started in and the most that ran at once, and ends each after its scripted delay.
 */
export class FakeExecutor implements Executor {
  readonly type = "fake";
  readonly started: string[] = [];
  running = 0;
  peakRunning = 0;

  constructor(readonly outcomes: Record<string, FakeOutcome> = {}) {}

  run(task: TaskSpec): Promise<TaskResult> {
    this.started.push(task.name);
    this.running++;
    this.peakRunning = Math.max(this.peakRunning, this.running);
    const outcome = this.outcomes[task.name] ?? {};
    const result: TaskResult = outcome.ok === false
      ? { ok: false, error: "scripted failure" }
      : { ok: true };
    const finish = () => {
      this.running--;
      return result;
    };
    if (!outcome.ms) return Promise.resolve().then(finish);
    return new Promise((resolve) => setTimeout(() => resolve(finish()), outcome.ms));
  }
}

/** Collects events into an array, for assertions. */
export function eventLog(): { events: RunEvent[]; onEvent: (event: RunEvent) => void } {
  const events: RunEvent[] = [];
  return { events, onEvent: (event) => events.push(event) };
}
