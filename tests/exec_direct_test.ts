import assert from "node:assert/strict";
import { plainWords } from "../executors/exec_argv.ts";
import { createExecExecutor } from "../executors/exec.ts";
import type { ExecutorContext, OutputStream, TaskResult } from "../src/types.ts";

Deno.test("plainWords() splits commands made of plain words", () => {
  assert.deepEqual(plainWords("/bin/true"), ["/bin/true"]);
  assert.deepEqual(plainWords("  gcc\t-O2 -c main.c  "), ["gcc", "-O2", "-c", "main.c"]);
  assert.deepEqual(plainWords("sleep 0.25"), ["sleep", "0.25"]);
  assert.deepEqual(plainWords("deno run --allow-read=. x.ts"), [
    "deno",
    "run",
    "--allow-read=.",
    "x.ts",
  ]);
});

Deno.test("plainWords() leaves anything with shell syntax to the shell", () => {
  const needShell = [
    "",
    "   ",
    "echo hi",
    "true",
    "cd src",
    "exit 3",
    "FOO=1 env",
    "ls $HOME",
    "ls `pwd`",
    "ls 'a b'",
    'ls "a"',
    "ls a\\ b",
    "ls *.ts",
    "ls a?",
    "ls [ab]",
    "ls > out",
    "cat < in",
    "a | b",
    "a; b",
    "a && b",
    "sleep 1 &",
    "(ls)",
    "{ ls; }",
    "ls ~",
    "ls #comment",
    "ls !x",
    "ls\nls",
    "ls\r",
    "ls a{b,c}",
    "ls ${x}",
  ];
  for (const command of needShell) {
    assert.equal(plainWords(command), undefined, JSON.stringify(command));
  }
});

function context(lines: [OutputStream, string][], cwd = Deno.cwd()): ExecutorContext {
  return {
    signal: new AbortController().signal,
    timeoutMs: undefined,
    env: undefined,
    cwd,
    baseDir: cwd,
    output: (stream, text) => lines.push([stream, text]),
  };
}

async function exec(command: string, cwd?: string) {
  const lines: [OutputStream, string][] = [];
  const result: TaskResult = await createExecExecutor().run(
    { name: "t", type: "exec", arguments: command, dependencies: [] },
    context(lines, cwd),
  );
  return { result, lines };
}

Deno.test("exec runs a plain command directly with its output and exit code", async () => {
  const listed = await exec("ls -d /");
  assert.deepEqual(listed.result, { ok: true, exitCode: 0 });
  assert.deepEqual(listed.lines, [["stdout", "/"]]);
  const failed = await exec("ls /no/such/path");
  assert.equal(failed.result.ok, false);
  assert.equal(failed.result.exitCode, 2);
  assert.equal(failed.lines[0]![0], "stderr");
});

Deno.test("exec fails a missing plain command with 127 and 'command not found'", async () => {
  const { result, lines } = await exec("no-such-command-dagrun --flag");
  assert.deepEqual(result, {
    ok: false,
    exitCode: 127,
    error: "command not found: no-such-command-dagrun",
  });
  assert.deepEqual(lines, [["stderr", "no-such-command-dagrun: command not found"]]);
  // The shell path says the same in its own words, with the same code.
  const viaShell = await exec("no-such-command-dagrun 2>&1");
  assert.equal(viaShell.result.exitCode, 127);
});

Deno.test("exec resolves a relative program against the task's directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/hello.sh`, "#!/bin/sh\necho hello from $0\n");
    await Deno.chmod(`${dir}/hello.sh`, 0o755);
    const { result, lines } = await exec("./hello.sh", dir);
    assert.equal(result.ok, true);
    // $0 is the resolved path where sh would say ./hello.sh: the one visible difference.
    assert.deepEqual(lines, [["stdout", `hello from ${dir}/hello.sh`]]);
    // A script without `#!` is left to the shell, which runs it as sh would.
    await Deno.writeTextFile(`${dir}/bare.sh`, "echo bare\n");
    await Deno.chmod(`${dir}/bare.sh`, 0o755);
    const bare = await exec("./bare.sh", dir);
    assert.equal(bare.result.ok, true);
    assert.deepEqual(bare.lines, [["stdout", "bare"]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
