/**
 * Helpers for the reliability tests: the CLI as a live subprocess that can be signalled, and
 * a look at the process table for processes a task may have left behind.
 *
 * @module
 */

import { MOD, writeTaskFile } from "./helpers.ts";

/** A running `dagrun` whose output is collected as it arrives. */
export interface LiveCli {
  readonly child: Deno.ChildProcess;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Resolves once stdout holds `count` lines starting with `Started:`. */
  started(count: number): Promise<void>;
  /** Resolves with the exit code once the process and its output have ended. */
  done(): Promise<number>;
}

/** Starts `deno run -A mod.ts ...args` with piped output. */
export function spawnCli(args: readonly string[]): LiveCli {
  const deno = [Deno.execPath(), "run", "-A", "--quiet", "--unstable-worker-options", MOD, ...args];
  // Under nohup dagrun would rightly ignore SIGHUP, which tests send it: start it without.
  const command = HANGUP_IGNORED ? ["env", "--default-signal=HUP", ...deno] : deno;
  const child = new Deno.Command(command[0]!, {
    args: command.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let out = "", err = "";
  const waiters: { count: number; resolve: () => void }[] = [];
  const check = () => {
    const count = out.split("\n").filter((line) => line.startsWith("Started: ")).length;
    for (const waiter of waiters.splice(0)) {
      if (count >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  const collect = async (stream: ReadableStream<Uint8Array>, append: (text: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) append(text);
  };
  const drained = Promise.all([
    collect(child.stdout, (text) => {
      out += text;
      check();
    }),
    collect(child.stderr, (text) => err += text),
  ]);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    started: (count) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ count, resolve });
        check();
        child.status.then(() =>
          reject(new Error(`dagrun ended before ${count} tasks started:\n${out}\n${err}`))
        );
      }),
    done: async () => {
      const status = await child.status;
      await drained;
      return status.code;
    },
  };
}

/** Whether these tests were started with SIGHUP ignored (under nohup, say). */
const HANGUP_IGNORED = (() => {
  try {
    return /^SigIgn:\s*[0-9a-f]*[13579bdf]$/m.test(Deno.readTextFileSync("/proc/self/status"));
  } catch {
    return false;
  }
})();

/** Writes a task file of exec/eval tasks into a temporary directory. */
export function taskFile(
  tasks: {
    name: string;
    type?: string;
    arguments: string;
    dependencies?: string[];
    timeout?: string;
    retries?: number;
  }[],
): Promise<string> {
  return writeTaskFile({
    tasks: tasks.map((task) => ({ type: "exec", dependencies: [], ...task })),
  });
}

/** The pids of processes whose command line contains `marker` (as `pgrep -f`). */
export async function pgrep(marker: string): Promise<number[]> {
  const output = await new Deno.Command("pgrep", { args: ["-f", marker], stdout: "piped" })
    .output();
  return new TextDecoder().decode(output.stdout).split("\n").filter(Boolean).map(Number);
}

/**
 * The pids still matching `marker` after giving a killed process a moment to be reaped; an
 * orphan that really survived is still there after two seconds.
 */
export async function survivors(marker: string): Promise<number[]> {
  const deadline = Date.now() + 2_000;
  let pids = await pgrep(marker);
  while (pids.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    pids = await pgrep(marker);
  }
  return pids;
}

/** Kills leftovers of a failed test, so one failure does not leave sleepers for the next. */
export async function cleanUp(marker: string): Promise<void> {
  for (const pid of await pgrep(marker)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/**
 * Runs `body` with a fresh marker for its `sleep` arguments, and kills whatever still carries
 * the marker afterwards, passed or failed, so one failure leaves no sleepers for the next test.
 */
export async function withMarker(body: (mark: string) => Promise<void>): Promise<void> {
  const mark = marker();
  try {
    await body(mark);
  } finally {
    await cleanUp(mark);
  }
}

/** A marker unique to this test run, such as `61.4821`, for `sleep` arguments. */
export function marker(): string {
  return `61.${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
}

/** The report row of a task in the human output: its status and details. */
export function reportRow(stdout: string, task: string): string | undefined {
  const afterHeader = stdout.slice(stdout.lastIndexOf("TASK  "));
  return afterHeader.split("\n").find((line) => line.startsWith(`${task} `))
    ?.replace(/\s+/g, " ");
}
