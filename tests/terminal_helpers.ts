/**
 * Helpers for the terminal-UX tests: finding optional tools (tmux, graphviz, chromium) and
 * a sink that records what was written.
 *
 * @module
 */

import type { TextSink } from "../src/output.ts";

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
