import assert from "node:assert/strict";
import { createExecExecutor } from "../executors/exec.ts";
import { MAX_ARGUMENT_BYTES, shellArguments } from "../executors/exec_argv.ts";
import type { ExecutorContext, OutputStream, TaskResult } from "../src/types.ts";

/**
 * Runs a command as an exec task, collecting its output lines by stream: with `shell` instead
 * of the default, `env` as the task's environment, and aborted at the first output holding
 * `stopAt`.
 */
async function exec(
  command: string,
  { shell, stopAt, env }: { shell?: string; stopAt?: string; env?: Record<string, string> } = {},
) {
  const lines: Record<OutputStream, string[]> = { stdout: [], stderr: [] };
  const stop = new AbortController();
  const context: ExecutorContext = {
    signal: stop.signal,
    timeoutMs: undefined,
    env,
    cwd: Deno.cwd(),
    baseDir: Deno.cwd(),
    output: (stream, text) => {
      lines[stream].push(...text.split("\n"));
      if (stopAt !== undefined && text.includes(stopAt)) stop.abort();
    },
  };
  const executor = createExecExecutor(shell ? { shell } : {});
  const task = { name: "t", type: "exec", arguments: command, dependencies: [] };
  const result: TaskResult = await executor.run(task, context);
  return { result, lines };
}

/** Lines of `: …` padding, to make a script as long as wanted. */
function padding(bytes: number): string {
  const line = `: ${"p".repeat(98)}\n`;
  return line.repeat(Math.ceil(bytes / line.length));
}

// A character of several UTF-8 bytes, so that pieces of the script cut between bytes of
// one would show as U+FFFD.
const WIDE = "é€😀";

Deno.test("exec runs a shell script longer than one argument may be (200 KiB) as sh -c would", async () => {
  const script = [
    `echo "start $0 $#"`,
    padding(100_000),
    // A line longer than the kernel takes for one argument, in wide characters.
    `wide='${WIDE.repeat(15_000)}'`,
    `echo "wide \${#wide}"`,
    // Nothing of the way it runs shows: no positional parameters, IFS as sh sets it.
    `printf '%s|' "$@" ifs "$IFS"; echo`,
    `cat; echo "stdin ended"`,
    padding(100_000),
    `echo "end $0 $#"; exit 7`,
  ].join("\n");
  assert.ok(new TextEncoder().encode(script).length > 200 * 1024);
  const { result, lines } = await exec(script);
  assert.deepEqual(result, { ok: false, exitCode: 7, error: "exit code 7" });
  assert.deepEqual(lines.stderr, []);
  assert.deepEqual(lines.stdout, [
    "start /bin/sh 0",
    // dash counts bytes: 4 + 3 + 2 of each WIDE (é, €, 😀 are 2, 3 and 4 bytes).
    `wide ${9 * 15_000}`,
    "ifs| \t",
    "|",
    "stdin ended",
    "end /bin/sh 0",
  ]);
});

Deno.test("exec runs the default shell as /bin/sh, as make does, whatever PATH says", async () => {
  // With /usr/bin first in PATH (as on most systems), looking `sh` up would find /usr/bin/sh
  // and name it in every message and in $0.
  const env = { PATH: "/usr/bin:/bin" };
  const short = await exec("echo $0; foo_not_here; exit 3", { env });
  assert.deepEqual(short.result, { ok: false, exitCode: 3, error: "exit code 3" });
  assert.deepEqual(short.lines.stdout, ["/bin/sh"]);
  // dash's wording, or bash's where /bin/sh is bash.
  assert.match(
    short.lines.stderr.join("\n"),
    /^\/bin\/sh: (line )?1: foo_not_here: (command )?not found$/,
  );
  const long = await exec(`echo $0\n${padding(200_000)}exit 4`, { env });
  assert.deepEqual(long.result, { ok: false, exitCode: 4, error: "exit code 4" });
  assert.deepEqual(long.lines.stdout, ["/bin/sh"]);
  // Too long for the kernel, the message names it so too.
  const huge = await exec(`${padding(3_000_000)}echo unreachable`, { env });
  assert.match(huge.result.error ?? "", /^cannot start \/bin\/sh: the arguments/);
});

Deno.test("exec gives a long script the $0 of a short one when a relative PATH entry finds the shell", async () => {
  // Deno.Command looks a relative entry up from dagrun's directory and runs the shell as that
  // relative path (`bin/mysh`): a long script must say the same, not the bare name.
  const dir = await Deno.makeTempDir();
  const [cwd, home] = [Deno.cwd(), Deno.env.get("HOME")];
  try {
    await Deno.mkdir(`${dir}/bin`);
    await Deno.symlink("/bin/sh", `${dir}/bin/mysh`);
    Deno.chdir(dir);
    Deno.env.set("HOME", dir);
    const cases = {
      "bin:/usr/bin:/bin": "bin/mysh",
      "nowhere::./bin/:/usr/bin": "./bin/mysh",
      "~//bin/:/usr/bin": `${dir}/bin/mysh`,
    };
    for (const [PATH, expected] of Object.entries(cases)) {
      const short = await exec("echo $0", { shell: "mysh", env: { PATH } });
      const long = await exec(`echo $0\n${padding(200_000)}`, { shell: "mysh", env: { PATH } });
      assert.deepEqual(short.lines.stdout, [expected], PATH);
      assert.deepEqual(long.lines.stdout, [expected], PATH);
    }
  } finally {
    Deno.chdir(cwd);
    if (home === undefined) Deno.env.delete("HOME");
    else Deno.env.set("HOME", home);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exec keeps a long script's line numbers and text byte for byte (bash)", async () => {
  const lines = Array.from(
    { length: 3_000 },
    (_, index) => `: line ${index + 1} ${"x".repeat(60)}`,
  );
  lines[2_499] = 'echo "$LINENO $#"';
  lines.push(`printf '%s\\n' '${WIDE.repeat(20_000)}' | sha256sum`);
  const script = lines.join("\n");
  const sent = new TextEncoder().encode(`${WIDE.repeat(20_000)}\n`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", sent));
  const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
  const { result, lines: output } = await exec(script, { shell: "bash" });
  assert.deepEqual(result, { ok: true, exitCode: 0 });
  assert.deepEqual(output.stdout, ["2500 0", `${hex}  -`]);
});

Deno.test("exec names a script longer than the kernel takes in all, and why", async () => {
  // 3 MB: past the 2 MiB that arguments and environment may take together (a quarter of an
  // 8 MiB stack limit).
  const { result, lines } = await exec(`${padding(3_000_000)}echo unreachable`);
  assert.equal(result.ok, false);
  assert.match(
    result.error ?? "",
    /^cannot start \/bin\/sh: the arguments \(2\.9 MiB\) and the environment \(\d+ KiB\) are more than the kernel takes together \(about 2 MiB, a quarter of ulimit -s; argument list too long\): save the script in a file and run that$/,
  );
  assert.deepEqual(lines, { stdout: [], stderr: [] });
});

Deno.test("exec names an environment variable longer than the kernel takes", async () => {
  const executor = createExecExecutor();
  const context: ExecutorContext = {
    signal: new AbortController().signal,
    timeoutMs: undefined,
    env: { HUGE: "v".repeat(200_000) },
    cwd: Deno.cwd(),
    baseDir: Deno.cwd(),
    output: () => {},
  };
  for (const command of ["printenv HUGE", "echo ${#HUGE}"]) {
    const task = { name: "t", type: "exec", arguments: command, dependencies: [] };
    const result = await executor.run(task, context);
    assert.match(
      result.error ?? "",
      /^cannot start (printenv|\/bin\/sh): the environment variable HUGE is 196 KiB, more than the kernel takes for one \(128 KiB; argument list too long\)$/,
      command,
    );
  }
});

Deno.test("shellArguments() cuts only scripts too long for one argument, at whole characters", () => {
  const fits = "e".repeat(MAX_ARGUMENT_BYTES - 2) + "é";
  assert.deepEqual(shellArguments("sh", fits), ["-c", fits]);
  const script = "e".repeat(MAX_ARGUMENT_BYTES - 1) + "é".repeat(MAX_ARGUMENT_BYTES);
  const [c, wrapper, zero, ...pieces] = shellArguments("/bin/bash", script);
  // Each piece backs off from a cut inside an é (two bytes, and MAX_ARGUMENT_BYTES is odd).
  assert.deepEqual([c, zero, pieces.length], ["-c", "/bin/bash", 4]);
  assert.match(wrapper!, /eval/);
  assert.equal(pieces.join(""), script);
  for (const piece of pieces) {
    assert.ok(new TextEncoder().encode(piece).length <= MAX_ARGUMENT_BYTES);
  }
});

Deno.test("exec stops a long script's process group like any other", async () => {
  const marker = `sleep 32.${Date.now() % 1000}7`;
  const script = `${padding(200_000)}${marker} & echo started; ${marker}; echo unreachable`;
  const { result, lines } = await exec(script, { stopAt: "started" });
  assert.deepEqual(result, { ok: false, signal: "SIGTERM", error: "killed by SIGTERM" });
  assert.deepEqual(lines.stdout, ["started"]);
  const pgrep = await new Deno.Command("pgrep", { args: ["-f", marker], stdout: "piped" }).output();
  assert.equal(new TextDecoder().decode(pgrep.stdout), "", "no sleep left behind");
});
