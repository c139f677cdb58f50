/**
 * Timing helpers for the benchmark suite: running a tool as a subprocess, medians, and
 * alternating repetitions so that a change in machine load hits every tool alike.
 *
 * @module
 */

/** The repository root. */
export const ROOT = new URL("../", import.meta.url).pathname;
/** mod.ts, the library, which also runs the command line as the main module. */
export const MOD = `${ROOT}mod.ts`;
/** dist/dagrun.js, the bundled command line: what the README says to run from a terminal. */
export const CLI = `${ROOT}dist/dagrun.js`;

/** A command a benchmark runs: the program, its arguments and where. */
export interface ToolCommand {
  /** Display name, such as `dagrun` or `make -j 8`. */
  readonly tool: string;
  /** The program. */
  readonly program: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Working directory. */
  readonly cwd: string;
  /** Called before every timed run, outside the timing (e.g. to delete ninja's log). */
  readonly reset?: () => Promise<void>;
}

/** The dagrun CLI (`entry`: the bundle unless told otherwise) on a task file. */
export function dagrun(
  taskFile: string,
  cwd: string,
  extra: readonly string[] = [],
  entry: string = CLI,
): ToolCommand {
  return {
    tool: "dagrun",
    program: Deno.execPath(),
    args: ["run", "-A", "--quiet", entry, taskFile, ...extra],
    cwd,
  };
}

/** Whether a program is on PATH (or an existing absolute path). */
export function available(program: string): boolean {
  try {
    const output = new Deno.Command("sh", {
      args: ["-c", `command -v ${program}`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return output.success;
  } catch {
    return false;
  }
}

/** Runs a command to its end with its output discarded; resolves with the wall time in ms. */
export async function timeCommand(command: ToolCommand): Promise<number> {
  await command.reset?.();
  const start = performance.now();
  const status = await new Deno.Command(command.program, {
    args: [...command.args],
    cwd: command.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const elapsed = performance.now() - start;
  if (!status.success) {
    const stderr = new TextDecoder().decode(status.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`${command.tool} failed with exit code ${status.code}: ${stderr}`);
  }
  return elapsed;
}

/**
 * Runs a command until a line of its standard output starts with `prefix`; resolves with the
 * time from spawning to that line in ms, then waits for the process to end.
 */
export async function timeToLine(command: ToolCommand, prefix: string): Promise<number> {
  await command.reset?.();
  const start = performance.now();
  const child = new Deno.Command(command.program, {
    args: [...command.args],
    cwd: command.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const decoder = new TextDecoder();
  let text = "", elapsed = NaN;
  for await (const chunk of child.stdout) {
    if (Number.isNaN(elapsed)) {
      text += decoder.decode(chunk, { stream: true });
      if (text.startsWith(prefix) || text.includes(`\n${prefix}`)) {
        elapsed = performance.now() - start;
      }
    }
  }
  await child.status;
  if (Number.isNaN(elapsed)) throw new Error(`${command.tool} never printed '${prefix}'`);
  return elapsed;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Times every command `runs` times after one untimed warm-up each (unless `warmUp` is
 * false), alternating between
 * them (a, b, c, a, b, c, …); resolves with the samples per tool.
 */
export async function alternate(
  commands: readonly ToolCommand[],
  runs: number,
  time: (command: ToolCommand) => Promise<number> = timeCommand,
  warmUp = true,
): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(commands.map((command) => [command.tool, []]));
  if (warmUp) { for (const command of commands) await time(command); }
  for (let run = 0; run < runs; run++) {
    for (const command of commands) samples.get(command.tool)!.push(await time(command));
  }
  return samples;
}

/** A `/proc/self/status` field in bytes, such as `VmHWM` (peak RSS) or `VmRSS`. */
export function procStatusBytes(field: "VmHWM" | "VmRSS"): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}
