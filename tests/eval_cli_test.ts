import assert from "node:assert/strict";
import { parseEvalPermissions } from "../executors/eval.ts";
import { MOD, runCli, writeTaskFile } from "./helpers.ts";

/** A file that exists wherever the tests run. */
const SOME_FILE = Deno.execPath();

/**
 * Runs the CLI as a subprocess, noting when the final summary line reached its stdout and
 * when the process ended.
 */
async function runTimed(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MOD, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let stdout = "";
  let reportedAt: number | undefined;
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    stdout += chunk;
    if (reportedAt === undefined && /^\d+ tasks?: .* in /m.test(stdout)) {
      reportedAt = performance.now();
    }
  }
  const { code } = await child.status;
  return { code, stdout, stderr: await stderr, reportedAt, exitedAt: performance.now() };
}

Deno.test("an eval `while (true) {}` times out, dependents skip, others finish, the CLI exits", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "spin", type: "eval", arguments: "while (true) {}", timeout: "1s" },
      { name: "after", type: "eval", arguments: "console.log('never')", dependencies: ["spin"] },
      { name: "slow", type: "eval", arguments: "await new Promise((r) => setTimeout(r, 1500));" },
      { name: "next", type: "eval", arguments: "console.log('ran')", dependencies: ["slow"] },
      { name: "shell", type: "exec", arguments: "echo shell done" },
    ],
  });
  const result = await runTimed([file]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /spin +eval +failed +\S+ +timed out after 1s/);
  assert.match(result.stdout, /after +eval +skipped +- +dependency "spin" failed/);
  assert.match(result.stdout, /^\[next\] ran$/m, "a later eval task ran after the timeout");
  assert.match(result.stdout, /shell +exec +ok/);
  assert.ok(result.reportedAt !== undefined, result.stdout);
  const lingered = result.exitedAt - result.reportedAt;
  assert.ok(lingered < 2000, `the process ended ${lingered.toFixed(0)} ms after the report`);
});

Deno.test("--eval-permissions none denies eval tasks while exec tasks are unaffected", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "read", type: "eval", arguments: `await Deno.stat(${JSON.stringify(SOME_FILE)})` },
      { name: "env", type: "eval", arguments: "Deno.env.get('HOME')" },
      { name: "shell", type: "exec", arguments: `test -r '${SOME_FILE}' && echo read ok` },
      { name: "pure", type: "eval", arguments: "console.log(1 + 1)" },
    ],
  });
  const result = await runCli([file, "--eval-permissions", "none"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stdout,
    new RegExp(`read +eval +failed +\\S+ +NotCapable: Requires read access to "${SOME_FILE}"`),
  );
  assert.match(result.stdout, /env +eval +failed +\S+ +NotCapable: Requires env access/);
  assert.match(result.stdout, /^\[shell\] read ok$/m);
  assert.match(result.stdout, /^\[pure\] 2$/m);
});

Deno.test("--eval-permissions takes a list: named permissions only", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "env", type: "eval", arguments: "console.log(typeof Deno.env.get('HOME'))" },
      { name: "read", type: "eval", arguments: `await Deno.stat(${JSON.stringify(SOME_FILE)})` },
    ],
  });
  const result = await runCli([file, "--eval-permissions", "env,net=example.com"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /^\[env\] string$/m);
  assert.match(result.stdout, /read +eval +failed +\S+ +NotCapable/);
});

Deno.test("--eval-permissions rejects an unknown permission with exit code 2", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "eval", arguments: "1" }] });
  const result = await runCli([file, "--eval-permissions", "read,fly"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^dagrun: Invalid eval permission 'fly': expected inherit, none/);
});

Deno.test("a sandbox without Deno's --unstable-worker-options flag fails in one line", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "eval", arguments: "1" }] });
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--no-config", MOD, file, "--eval-permissions", "none"],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 2, stderr);
  assert.equal(
    stderr,
    "dagrun: Cannot restrict eval permissions: Deno needs the --unstable-worker-options flag " +
      '(or "unstable": ["worker-options"] in deno.json)\n',
  );
});

Deno.test("--eval-isolation fresh gives every eval task a new worker", async () => {
  const counter = "globalThis.n = (globalThis.n ?? 0) + 1; console.log(globalThis.n);";
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "eval", arguments: counter },
      { name: "b", type: "eval", arguments: counter, dependencies: ["a"] },
    ],
  });
  // -j 1 keeps the pool at one worker, so a pooled b surely lands where a ran (with two
  // workers prepared it could land on the other one and see a clean global by chance).
  const fresh = await runCli([file, "-j", "1", "--eval-isolation", "fresh"]);
  assert.match(fresh.stdout, /^\[b\] 1$/m, fresh.stdout);
  const pooled = await runCli([file, "-j", "1"]);
  assert.match(pooled.stdout, /^\[b\] 2$/m, pooled.stdout);
});

Deno.test("parseEvalPermissions() reads Deno-style permission lists", () => {
  assert.equal(parseEvalPermissions("inherit"), "inherit");
  assert.equal(parseEvalPermissions("none"), "none");
  assert.deepEqual(parseEvalPermissions("read,env"), { read: true, env: true });
  assert.deepEqual(parseEvalPermissions("read=/tmp,/var,net=example.com,sys"), {
    read: ["/tmp", "/var"],
    net: ["example.com"],
    sys: true,
  });
  assert.throws(() => parseEvalPermissions(""), TypeError);
  assert.throws(() => parseEvalPermissions("fly"), /Invalid eval permission 'fly'/);
});

Deno.test("a library run with an eval busy loop and timeoutMs ends when the script exits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dagrun-eval-lib-" });
  const script = `${dir}/main.ts`;
  await Deno.writeTextFile(
    script,
    `import { run } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
const report = await run([
  { name: "spin", type: "eval", arguments: "while (true) {}", timeoutMs: 500 },
  { name: "after", type: "eval", arguments: "1", dependencies: ["spin"] },
  { name: "other", type: "eval", arguments: "await new Promise((r) => setTimeout(r, 700))" },
]);
console.log(JSON.stringify(report.tasks.map((t) => [t.name, t.status, t.error ?? t.reason])));
Deno.exit(0); // the spinning thread outlives terminate(): end the process explicitly
`,
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script],
    stdin: "null",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(output.stdout)), [
    ["spin", "failed", "timed out after 0.5s"],
    ["after", "skipped", 'dependency "spin" failed'],
    ["other", "ok", null],
  ]);
});

Deno.test("an eval task busy for seconds does not hold up the next one, nor spend its time limit", async () => {
  const file = await writeTaskFile({
    tasks: [
      {
        name: "crunch",
        type: "eval",
        arguments: "const end = Date.now() + 3000; while (Date.now() < end) {}",
      },
      { name: "quick", type: "eval", arguments: "console.log('quick')", timeout: "1s" },
    ],
  });
  const result = await runCli([file, "--no-history", "--format", "ndjson"]);
  assert.equal(result.code, 0, result.stdout);
  const ends = result.stdout.split("\n").filter((line) => line.includes('"task_ended"'))
    .map((line) => JSON.parse(line));
  assert.deepEqual(ends.map((event) => [event.task, event.status]), [
    ["quick", "ok"],
    ["crunch", "ok"],
  ]);
});
