/**
 * Helpers for the terminal-UX tests: finding optional tools (tmux, graphviz, chromium), a
 * sink that records what was written, and running dagrun with narrow permissions on a
 * terminal of its own (where Deno would prompt for a permission not granted).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { TextSink } from "../src/output.ts";
import { MOD, ROOT } from "./helpers.ts";

/** The path of a program on PATH, or undefined; tests that need it are ignored without it. */
export async function findProgram(name: string): Promise<string | undefined> {
  const { success, stdout } = await new Deno.Command("sh", {
    args: ["-c", `command -v ${name}`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const path = new TextDecoder().decode(stdout).trim();
  return success && path !== "" ? path : undefined;
}

/** A sink that keeps every piece written, in order, tagged with its stream. */
export function recordingSink(): TextSink & { pieces: string[]; text(): string } {
  const pieces: string[] = [];
  return {
    pieces,
    out: (text) => pieces.push(text),
    err: (text) => pieces.push(text),
    flush: () => {},
    text: () => pieces.join(""),
  };
}

/** Runs a program to its end and returns its stdout, throwing with stderr on failure. */
export async function runProgram(program: string, args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(program, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!success) throw new Error(`${program} ${args.join(" ")}: ${decoder.decode(stderr)}`);
  return decoder.decode(stdout);
}

/** The start of Deno's permission prompt: a run that shows it waits for an answer. */
const PROMPT = "Deno requests";

/** Fails, showing `output`, if it holds Deno's permission prompt ({@linkcode PROMPT}). */
export function assertAskedNothing(output: string): void {
  assert.ok(!output.includes(PROMPT), output);
}

const script = await findProgram("script");

/** Whether {@linkcode onTerminal} can run here (Linux, util-linux `script` on PATH). */
export const hasTerminal = Deno.build.os === "linux" && script !== undefined;

/**
 * Runs `command` (a line for `sh -c`) under `script`, on a terminal of its own, and returns
 * what it printed; stops it at once when a permission prompt appears (it would wait for an
 * answer, for ever), so a test that looks for {@linkcode PROMPT} in the output fails at once.
 */
export async function onTerminal(command: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(script!, {
    args: ["-qec", command, "/dev/null"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A guard against a hang of another kind; the prompt is seen long before.
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  let output = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    output += decoder.decode(chunk, { stream: true });
    if (output.includes(PROMPT)) {
      child.kill("SIGKILL");
      break;
    }
  }
  const { code } = await child.status;
  clearTimeout(guard);
  await child.stderr.cancel();
  return { code, output };
}

/** Permissions narrower than -A for a run of dagrun; its own code may always be read. */
export interface Allowed {
  /** What it may read besides dagrun's code. */
  readonly read: readonly string[];
  /** What it may write (nothing if not given). */
  readonly write?: readonly string[];
  /** The permissions granted whole, each as its `--allow-NAME` flag's name. */
  readonly whole: readonly ("env" | "run" | "sys" | "ffi")[];
}

/**
 * A dagrun allowed to read its own source and the task file `tasks` alone (and to run, read
 * the environment and the system's figures).
 */
export function allowedToReadOnly(tasks: string): Allowed {
  return { read: [tasks], whole: ["env", "run", "sys"] };
}

/**
 * A dagrun allowed to read its own source, `directory` and, of /proc, /proc/self/status alone;
 * to write `writable`, if given; to run, read the environment and call native code (its
 * posix_spawn and job control): all it needs but the rest of /proc, which it must not ask for.
 */
export function allowedOutsideProc(directory: string, writable?: string): Allowed {
  return {
    read: [directory, "/proc/self/status"],
    ...(writable === undefined ? {} : { write: [writable] }),
    whole: ["run", "env", "ffi"],
  };
}

/** The arguments of `deno run` for dagrun (mod.ts) with `allowed`, then dagrun's `args`. */
export function runAllowed(allowed: Allowed, ...args: string[]): string[] {
  return [
    "run",
    "--quiet",
    `--allow-read=${[ROOT.pathname, ...allowed.read].join(",")}`,
    ...(allowed.write ? [`--allow-write=${allowed.write.join(",")}`] : []),
    ...allowed.whole.map((name) => `--allow-${name}`),
    MOD,
    ...args,
  ];
}

/** `deno` with the arguments `args`, every word quoted, as one command line for `sh -c`. */
export function denoCommandLine(args: readonly string[]): string {
  return [Deno.execPath(), ...args].map((word) => `'${word}'`).join(" ");
}

/** Runs dagrun with `allowed` on a terminal ({@linkcode onTerminal}), `args` its arguments. */
export function dagrunOnTerminal(
  allowed: Allowed,
  ...args: string[]
): Promise<{ code: number; output: string }> {
  return onTerminal(denoCommandLine(runAllowed(allowed, ...args)));
}

/** An interactive bash in a tmux pane of {@linkcode bashInTmux}: typing, and its screen. */
export interface TmuxTerminal {
  /** Sends tmux key names or text to the pane (`"Enter"`, `"C-c"`, a command line). */
  type(...keys: string[]): Promise<string>;
  /** What the pane shows now. */
  screen(): Promise<string>;
  /** Waits until the screen matches (50 ms a try), or fails with what it shows. */
  waitFor(pattern: RegExp, what: string, tries?: number): Promise<string>;
  /** Ends the tmux server. */
  close(): Promise<string>;
}

/**
 * A tmux server of our own (its socket named after `name` and this process, so nothing
 * touches anyone else's tmux sessions) running an interactive bash, 150 × 40: job control,
 * and a terminal that echoes a typed Ctrl-C as `^C` and sends SIGINT.
 */
export async function bashInTmux(
  tmux: string,
  bash: string,
  name: string,
): Promise<TmuxTerminal> {
  const socket = `dagrun-${name}-${Deno.pid}`;
  const run = (...args: string[]) => runProgram(tmux, ["-L", socket, ...args]);
  await run(
    "new-session",
    "-d",
    "-s",
    "t",
    "-x",
    "150",
    "-y",
    "40",
    `${bash} --norc --noprofile -i`,
  );
  const screen = () => run("capture-pane", "-p", "-t", "t");
  return {
    type: (...keys) => run("send-keys", "-t", "t", ...keys),
    screen,
    async waitFor(pattern, what, tries = 400) {
      let text = "";
      for (let i = 0; i < tries; i++) {
        text = await screen();
        if (pattern.test(text)) return text;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.fail(`${what}; the screen shows:\n${text}`);
    },
    close: () => run("kill-server").catch(() => ""),
  };
}
