/**
 * The `deno` executor plugin: runs a TypeScript or JavaScript file in a Deno subprocess with
 * exactly the permissions the task grants, and nothing else (`--no-prompt`, so a missing
 * permission fails the task instead of asking).
 *
 * Load it with `dagrun --executor executors/deno.ts tasks.json`, or in the task file:
 * `"executors": { "deno": "./executors/deno.ts" }`. A task:
 *
 * ```json
 * { "name": "fetch", "type": "deno",
 *   "arguments": { "file": "scripts/fetch.ts", "permissions": ["read", "net=127.0.0.1"],
 *                  "args": ["--verbose"] } }
 * ```
 *
 * `file` is relative to the task file. Each permission `NAME` or `NAME=VALUES` becomes
 * `--allow-NAME[=VALUES]`; `all` becomes `--allow-all`. The child runs in its own process
 * group, with stdin from `/dev/null`, in the task's working directory and environment.
 *
 * @module
 */

import { resolve } from "node:path";
import { superviseChild } from "../src/child.ts";
import { spawnErrorReason } from "../src/errors.ts";
import type { Executor, ExecutorContext, TaskResult, TaskSpec } from "../src/types.ts";

/**
 * The arguments of a `deno` task.
 *
 * @example
 * ```ts
 * import type { DenoArguments } from "@dagrun/dagrun/executors/deno";
 *
 * const script: DenoArguments = { file: "x.ts", permissions: ["read", "net=127.0.0.1"] };
 * ```
 */
export interface DenoArguments {
  /** The script, relative to the task file's directory. */
  readonly file: string;
  /** Permissions to grant, such as `read`, `net=127.0.0.1:8000`, `env=HOME` or `all`. */
  readonly permissions?: readonly string[];
  /** Arguments for the script (`Deno.args`). */
  readonly args?: readonly string[];
}

const PERMISSION_NAMES = "read|write|net|env|run|ffi|sys|import";

/**
 * The JSON Schema of {@linkcode DenoArguments}, checked before anything runs.
 *
 * @example
 * ```ts
 * import { DENO_ARGUMENTS_SCHEMA } from "@dagrun/dagrun/executors/deno";
 *
 * DENO_ARGUMENTS_SCHEMA.required; // ["file"]
 * ```
 */
export const DENO_ARGUMENTS_SCHEMA: Record<string, unknown> = {
  type: "object",
  required: ["file"],
  additionalProperties: false,
  properties: {
    file: { type: "string", minLength: 1 },
    permissions: {
      type: "array",
      items: { type: "string", pattern: `^(?:all|(?:${PERMISSION_NAMES})(?:=[^\\s]+)?)$` },
    },
    args: { type: "array", items: { type: "string" } },
  },
};

/**
 * Options of {@linkcode createDenoExecutor}.
 *
 * @example
 * ```ts
 * import type { DenoExecutorOptions } from "@dagrun/dagrun/executors/deno";
 *
 * const options: DenoExecutorOptions = { deno: "/usr/local/bin/deno", graceMs: 2000 };
 * ```
 */
export interface DenoExecutorOptions {
  /**
   * The `deno` program; `Deno.execPath()` by default, the Deno running dagrun. (In a compiled
   * dagrun that is dagrun itself: pass the path of a real `deno` there.)
   */
  readonly deno?: string;
  /** Milliseconds between SIGTERM and SIGKILL when a task is stopped; 5,000 by default. */
  readonly graceMs?: number;
}

/**
 * Creates the `deno` executor.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry } from "@dagrun/dagrun";
 * import { createDenoExecutor } from "@dagrun/dagrun/executors/deno";
 *
 * const registry = createDefaultRegistry().register(createDenoExecutor({ graceMs: 1000 }));
 * ```
 */
export function createDenoExecutor(options: DenoExecutorOptions = {}): Executor {
  const deno = options.deno ?? Deno.execPath();
  const graceMs = options.graceMs ?? 5_000;
  return {
    type: "deno",
    argumentsSchema: DENO_ARGUMENTS_SCHEMA,
    run: (task, context) => runScript(task, context, deno, graceMs),
  };
}

/**
 * The command line for a task: `run`, the permission flags, the script and its arguments.
 *
 * @example
 * ```ts
 * import { denoArgs } from "@dagrun/dagrun/executors/deno";
 *
 * denoArgs({ file: "x.ts", permissions: ["read", "net=127.0.0.1"] }, "/work");
 * // ["run", "--no-prompt", "--allow-read", "--allow-net=127.0.0.1", "/work/x.ts"]
 * ```
 */
export function denoArgs(args: DenoArguments, baseDir: string): string[] {
  const flags = (args.permissions ?? []).map((permission) =>
    permission === "all" ? "--allow-all" : `--allow-${permission}`
  );
  return ["run", "--no-prompt", ...flags, resolve(baseDir, args.file), ...(args.args ?? [])];
}

async function runScript(
  task: TaskSpec,
  context: ExecutorContext,
  deno: string,
  graceMs: number,
): Promise<TaskResult> {
  if (context.signal.aborted) return { ok: false, error: "interrupted" };
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(deno, {
      args: denoArgs(task.arguments as DenoArguments, context.baseDir),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: true,
      cwd: context.cwd,
      env: { NO_COLOR: "1", ...context.env },
    }).spawn();
  } catch (error) {
    return { ok: false, error: `cannot start ${deno}: ${spawnErrorReason(error)}` };
  }
  return await superviseChild(child, context, graceMs);
}

/**
 * The `deno` executor, for `--executor executors/deno.ts`.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry } from "@dagrun/dagrun";
 * import deno from "@dagrun/dagrun/executors/deno";
 *
 * const registry = createDefaultRegistry().register(deno);
 * ```
 */
const deno: Executor = createDenoExecutor();
export default deno;
