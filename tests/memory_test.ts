import assert from "node:assert/strict";
import { MOD } from "./helpers.ts";
import { taskFile } from "./reliability_helpers.ts";

/** The bound on the peak resident set of a run streaming huge output. */
const MAX_RSS_KB = 150 * 1024;

/**
 * A last task that reports dagrun's own peak RSS: its shell's parent is the dagrun process,
 * still running, so `/proc/$PPID/status` is read at the very end of the run.
 */
const PROBE = {
  name: "probe",
  arguments: `awk '/^VmHWM:/ { print "peak=" $2 }' /proc/$PPID/status >&2`,
};

interface Streamed {
  readonly code: number;
  /** Bytes of stdout, by value, without keeping the stream: it is 200 MB. */
  readonly byteCounts: Float64Array;
  readonly stderr: string;
  readonly peakKb: number;
}

/** Runs the CLI, counting the bytes of its stdout as they stream by. */
async function runCounting(file: string): Promise<Streamed> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MOD, file],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const byteCounts = new Float64Array(256);
  const counting = (async () => {
    for await (const chunk of child.stdout) {
      for (let i = 0; i < chunk.length; i++) byteCounts[chunk[i]!]!++;
    }
  })();
  const stderr = new Response(child.stderr).text();
  const [status, errors] = await Promise.all([child.status, stderr, counting]);
  const peak = /peak=(\d+)/.exec(errors);
  assert.ok(peak, `no peak RSS reported:\n${errors}`);
  return { code: status.code, byteCounts, stderr: errors, peakKb: Number(peak[1]) };
}

Deno.test("dagrun streams 200 MB of task output with peak RSS under 150 MB", async () => {
  const line = "0123456789".repeat(10); // 100 characters and a newline: 1,980,198 lines
  const file = await taskFile([
    { name: "big", arguments: `yes ${line} | head -c 200000000` },
    { ...PROBE, dependencies: ["big"] },
  ]);
  const result = await runCounting(file);
  assert.equal(result.code, 0, result.stderr);
  // Every byte came through: 200,000,000 digits and newlines, each line with its prefix.
  const digits = [..."0123456789"].reduce((sum, d) => sum + result.byteCounts[d.charCodeAt(0)]!, 0);
  assert.ok(digits >= 200_000_000 - 1_980_198, `only ${digits} digits came through`);
  assert.ok(result.byteCounts["[".charCodeAt(0)]! >= 1_980_199);
  assert.ok(result.peakKb < MAX_RSS_KB, `peak RSS ${result.peakKb} kB`);
});

Deno.test("dagrun passes a 50 MB line without a newline on in pieces, in bounded memory", async () => {
  const file = await taskFile([
    { name: "long", arguments: "head -c 50000000 /dev/zero | tr '\\0' y" },
    { ...PROBE, dependencies: ["long"] },
  ]);
  const result = await runCounting(file);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.byteCounts["y".charCodeAt(0)], 50_000_000);
  assert.ok(result.peakKb < MAX_RSS_KB, `peak RSS ${result.peakKb} kB`);
});

Deno.test("dagrun turns binary and invalid UTF-8 output into valid text", async () => {
  const file = await taskFile([
    { name: "binary", arguments: "head -c 3000000 /dev/urandom; printf '\\377\\376 end\\n'" },
  ]);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MOD, file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0);
  // Valid UTF-8 throughout, with the replacement character where bytes were not.
  const stdout = new TextDecoder("utf-8", { fatal: true }).decode(output.stdout);
  assert.match(stdout, /\uFFFD\uFFFD end\n/);
});

Deno.test("dagrun handles a task that closes its stdout early", async () => {
  const file = await taskFile([
    { name: "closer", arguments: "echo before; exec 1>&-; sleep 0.2; echo after >&2" },
  ]);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MOD, file],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  assert.equal(output.code, 0);
  assert.match(decoder.decode(output.stdout), /\[closer\] before\n/);
  assert.match(decoder.decode(output.stdout), /closer +exec +ok/);
  assert.equal(decoder.decode(output.stderr), "[closer] after\n");
});
