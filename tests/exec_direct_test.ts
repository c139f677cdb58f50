import assert from "node:assert/strict";
import { plainWords } from "../executors/exec_argv.ts";
import { createExecExecutor } from "../executors/exec.ts";
import { ArgvArena } from "../executors/posix_spawn.ts";
import type { ExecutorContext, OutputStream, TaskResult } from "../src/types.ts";
import { MOD } from "./helpers.ts";
import { runCommand } from "./plugin_helpers.ts";

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
    "chdir /tmp", // dash's
    "source env.sh", // bash's, where sh is bash
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
    "in x",
    "-x; echo hi",
    "+x; echo hi",
  ];
  for (const command of needShell) {
    assert.equal(plainWords(command), undefined, JSON.stringify(command));
  }
});

Deno.test("exec runs a command starting with - or + as plain words, as it runs any other", async () => {
  for (const name of ["-x", "--version", "+x"]) {
    assert.deepEqual(plainWords(`${name} arg`), [name, "arg"]);
    const { result, lines } = await exec(`${name} arg`);
    assert.deepEqual(result, { ok: false, exitCode: 127, error: `command not found: ${name}` });
    assert.deepEqual(lines, [["stderr", `${name}: command not found`]]);
  }
});

Deno.test("exec gives the shell a script starting with - or + as its script, not its options", async () => {
  // Not `sh: 0: Illegal option -;`, exit 2, nothing run.
  for (const script of ["-x; echo hi", "+x; echo hi", "--version || echo hi"]) {
    const { result, lines } = await exec(script);
    assert.deepEqual(result, { ok: true, exitCode: 0 }, script);
    assert.deepEqual(lines.filter(([stream]) => stream === "stdout"), [["stdout", "hi"]], script);
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

async function exec(command: string, options: { cwd?: string; posixSpawn?: boolean } = {}) {
  const lines: [OutputStream, string][] = [];
  const executor = createExecExecutor({ posixSpawn: options.posixSpawn ?? true });
  const result: TaskResult = await executor.run(
    { name: "t", type: "exec", arguments: command, dependencies: [] },
    context(lines, options.cwd),
  );
  return { result, lines };
}

/**
 * Copies the ELF binary `from` to `to` (executable) with the dynamic loader its PT_INTERP
 * header names changed to `loader` (no longer than the one it had): a binary that is there
 * but that the kernel cannot load (ENOENT), as one copied from another system.
 */
async function copyWithLoader(from: string, to: string, loader: string): Promise<void> {
  const bytes = await Deno.readFile(from);
  const view = new DataView(bytes.buffer);
  // 64-bit little-endian ELF, as on the x86-64 and arm64 Linux dagrun runs its tests on.
  assert.equal(view.getUint32(0), 0x7f454c46);
  const tableOffset = Number(view.getBigUint64(0x20, true));
  const entrySize = view.getUint16(0x36, true);
  const entries = view.getUint16(0x38, true);
  for (let entry = 0; entry < entries; entry++) {
    const at = tableOffset + entry * entrySize;
    if (view.getUint32(at, true) !== 3) continue; // PT_INTERP
    const offset = Number(view.getBigUint64(at + 0x08, true));
    const size = Number(view.getBigUint64(at + 0x20, true));
    const path = new TextEncoder().encode(`${loader}\0`);
    assert.ok(path.length <= size, `${loader} is longer than ${from}'s loader`);
    bytes.set(path, offset);
    await Deno.writeFile(to, bytes, { mode: 0o755 });
    await Deno.chmod(to, 0o755);
    return;
  }
  throw new Error(`${from} names no dynamic loader`);
}

/** Whether a process is still running: not gone and not a zombie awaiting its reaper. */
async function alive(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    let stat: string;
    try {
      stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    } catch {
      return false;
    }
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

Deno.test("exec runs more plain commands at once than the posix_spawn path takes", async () => {
  const executor = createExecExecutor();
  const results = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      executor.run(
        { name: `t${i}`, type: "exec", arguments: `ls -d /tmp`, dependencies: [] },
        context([]),
      )),
  );
  assert.ok(results.every((result) => result.ok));
});

Deno.test("exec passes every argument intact, one spawn after another, short and long", async () => {
  const executor = createExecExecutor();
  const many = Array.from({ length: 1_100 }, (_, i) => `w${i}`);
  const cases = [["a", "bb"], ["ccc"], many, ["d"], ["x".repeat(30_000), "e"], ["f", "g", "h"]];
  for (const words of cases) {
    const lines: [OutputStream, string][] = [];
    const command = `/bin/echo ${words.join(" ")}`;
    assert.ok(plainWords(command), "the direct path");
    const result = await executor.run(
      { name: "t", type: "exec", arguments: command, dependencies: [] },
      context(lines),
    );
    assert.deepEqual(result, { ok: true, exitCode: 0 });
    assert.deepEqual(lines, [["stdout", words.join(" ")]]);
  }
});

Deno.test("the posix_spawn path's argument buffers hold each vector whole, over the last one", () => {
  const arena = new ArgvArena();
  const read = () => {
    const words: string[] = [];
    for (let i = 0; arena.pointers[i] !== 0n; i++) {
      const pointer = Deno.UnsafePointer.create(arena.pointers[i]!)!;
      words.push(new Deno.UnsafePointerView(pointer).getCString());
    }
    return words;
  };
  for (const words of [["/bin/echo", "a", "bb"], ["/bin/echo", "ccc"], ["x"], ["é", "ü"]]) {
    assert.equal(arena.write(words), true);
    assert.deepEqual(read(), words);
    // The program's name is the buffer's first string.
    assert.equal(
      new Deno.UnsafePointerView(Deno.UnsafePointer.of(arena.strings)!).getCString(),
      words[0],
    );
  }
  // What does not fit is refused, for the caller to allocate.
  assert.equal(arena.write(Array.from({ length: ArgvArena.WORDS + 1 }, () => "a")), false);
  assert.equal(arena.write(Array.from({ length: ArgvArena.WORDS }, () => "a")), true);
  // Room is counted at 3 bytes a UTF-16 unit, the most UTF-8 takes, and the NUL.
  const longest = Math.floor((ArgvArena.BYTES - 1) / 3);
  assert.equal(arena.write(["x".repeat(longest + 1)]), false);
  assert.equal(arena.write(["x".repeat(longest)]), true);
  assert.deepEqual(read(), ["x".repeat(longest)]);
});

// Both direct paths: glibc's posix_spawnp over FFI (tests run with -A) and Deno.Command.
for (const posixSpawn of [true, false]) {
  const via = posixSpawn ? "posix_spawnp" : "Deno.Command";

  Deno.test(`exec runs a plain command directly with its output and exit code (${via})`, async () => {
    const listed = await exec("ls -d /", { posixSpawn });
    assert.deepEqual(listed.result, { ok: true, exitCode: 0 });
    assert.deepEqual(listed.lines, [["stdout", "/"]]);
    const failed = await exec("ls /no/such/path", { posixSpawn });
    assert.equal(failed.result.ok, false);
    assert.equal(failed.result.exitCode, 2);
    assert.equal(failed.lines[0]![0], "stderr");
  });

  Deno.test(`exec fails a missing plain command with 127 (${via})`, async () => {
    const { result, lines } = await exec("no-such-command-dagrun --flag", { posixSpawn });
    assert.deepEqual(result, {
      ok: false,
      exitCode: 127,
      error: "command not found: no-such-command-dagrun",
    });
    assert.deepEqual(lines, [["stderr", "no-such-command-dagrun: command not found"]]);
    // The shell path says the same in its own words, with the same code.
    const viaShell = await exec("no-such-command-dagrun 2>&1", { posixSpawn });
    assert.equal(viaShell.result.exitCode, 127);
  });

  Deno.test(`exec runs a relative program in the task's directory (${via})`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/hello.sh`, "#!/bin/sh\necho hello from $0 in $PWD\n");
      await Deno.chmod(`${dir}/hello.sh`, 0o755);
      const { result, lines } = await exec("./hello.sh", { cwd: dir, posixSpawn });
      assert.equal(result.ok, true);
      // Deno.Command resolves the program, so $0 is the full path where sh says ./hello.sh.
      const name = posixSpawn ? "./hello.sh" : `${dir}/hello.sh`;
      assert.deepEqual(lines, [["stdout", `hello from ${name} in ${dir}`]]);
      // A script without `#!` is left to the shell, which runs it as sh would.
      await Deno.writeTextFile(`${dir}/bare.sh`, "echo bare\n");
      await Deno.chmod(`${dir}/bare.sh`, 0o755);
      const bare = await exec("./bare.sh", { cwd: dir, posixSpawn });
      assert.equal(bare.result.ok, true);
      assert.deepEqual(bare.lines, [["stdout", "bare"]]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`exec gives a plain command the environment as it is now (${via})`, async () => {
    Deno.env.set("DAGRUN_ENV_PROBE", `${via} ${Math.random()}`);
    try {
      const { result, lines } = await exec("printenv DAGRUN_ENV_PROBE", { posixSpawn });
      assert.equal(result.ok, true);
      assert.deepEqual(lines, [["stdout", Deno.env.get("DAGRUN_ENV_PROBE")]]);
    } finally {
      Deno.env.delete("DAGRUN_ENV_PROBE");
    }
  });

  Deno.test(`exec kills what a plain command left in its group (${via})`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/leaver.sh`,
        "#!/bin/sh\nsleep 30 >/dev/null 2>&1 &\necho $! > leftover.pid\n",
      );
      await Deno.chmod(`${dir}/leaver.sh`, 0o755);
      const { result } = await exec("./leaver.sh", { cwd: dir, posixSpawn });
      assert.equal(result.ok, true);
      const leftover = Number(await Deno.readTextFile(`${dir}/leftover.pid`));
      assert.equal(await alive(leftover), false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`exec names any signal that ends a plain command, as the shell path does (${via})`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      // The script is the child itself (run through its `#!`), and dies by the signal.
      const script = (signal: string) =>
        `#!/bin/sh\nsleep 30 >/dev/null 2>&1 &\necho $! > leftover.pid\nkill -s ${signal} $$\n`;
      await Deno.writeTextFile(`${dir}/sys.sh`, script("SYS"));
      await Deno.writeTextFile(`${dir}/rt.sh`, script("40"));
      await Deno.chmod(`${dir}/sys.sh`, 0o755);
      await Deno.chmod(`${dir}/rt.sh`, 0o755);
      // SIGSYS is what a seccomp filter kills with; it is not an exit code 159.
      const sys = await exec("./sys.sh", { cwd: dir, posixSpawn });
      assert.deepEqual(sys.result, { ok: false, signal: "SIGSYS", error: "killed by SIGSYS" });
      // A real-time signal has no name (Deno.Command's status rejects for it): its number.
      const rt = await exec("./rt.sh", { cwd: dir, posixSpawn });
      assert.deepEqual(rt.result, { ok: false, error: "killed by signal 40" });
      // And the group is cleaned up after as for any other end.
      const leftover = Number(await Deno.readTextFile(`${dir}/leftover.pid`));
      assert.equal(await alive(leftover), false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`exec looks a relative PATH entry up from the task's directory, as sh (${via})`, async () => {
    const dir = await Deno.makeTempDir();
    const path = Deno.env.get("PATH")!;
    try {
      // As `node_modules/.bin` is put in PATH: relative, meaning the task's directory's.
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(`${dir}/bin/dagrun-tool`, "#!/bin/sh\necho tool ran\n");
      await Deno.chmod(`${dir}/bin/dagrun-tool`, 0o755);
      const lines: [OutputStream, string][] = [];
      const executor = createExecExecutor({ posixSpawn });
      const task = { name: "t", type: "exec", arguments: "dagrun-tool", dependencies: [] };
      // The task's own PATH...
      const own = await executor.run(task, {
        ...context(lines, dir),
        env: { PATH: `bin:${path}` },
      });
      assert.deepEqual(own, { ok: true, exitCode: 0 });
      // ...or dagrun's.
      Deno.env.set("PATH", `bin:${path}`);
      const inherited = await executor.run(task, context(lines, dir));
      assert.deepEqual(inherited, { ok: true, exitCode: 0 });
      assert.deepEqual(lines, [["stdout", "tool ran"], ["stdout", "tool ran"]]);
    } finally {
      Deno.env.set("PATH", path);
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`exec does not call a script whose interpreter is missing a missing command (${via})`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      // Saved with CRLF endings, a script asks the kernel for "/bin/sh\r": ENOENT, as for a
      // program that is not there at all, but this one is.
      await Deno.writeTextFile(`${dir}/crlf.sh`, "#!/bin/sh\r\necho hi\r\n");
      await Deno.chmod(`${dir}/crlf.sh`, 0o755);
      const { result, lines } = await exec("./crlf.sh", { cwd: dir, posixSpawn });
      const why = 'its interpreter "/bin/sh\\r" was not found';
      assert.deepEqual(result, { ok: false, exitCode: 126, error: `cannot run ./crlf.sh: ${why}` });
      assert.deepEqual(lines, [["stderr", `./crlf.sh: ${why}`]]);
      // Found through PATH alike.
      const executor = createExecExecutor({ posixSpawn });
      const task = { name: "t", type: "exec", arguments: "crlf.sh", dependencies: [] };
      const found = await executor.run(task, {
        ...context([], dir),
        env: { PATH: `${dir}:${Deno.env.get("PATH")}` },
      });
      assert.equal(found.error, `cannot run crlf.sh: ${why}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`exec names a binary's missing dynamic loader (${via})`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await copyWithLoader("/bin/true", `${dir}/lost`, "/no/such/ld.so");
      const { result, lines } = await exec("./lost", { cwd: dir, posixSpawn });
      const why = 'its dynamic loader "/no/such/ld.so" was not found';
      assert.deepEqual(result, { ok: false, exitCode: 126, error: `cannot run ./lost: ${why}` });
      assert.deepEqual(lines, [["stderr", `./lost: ${why}`]]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`exec names the program whose arguments are too long for the kernel (${via})`, async () => {
    // 3 MB of arguments, past Linux's limit (a quarter of an 8 MB stack): E2BIG.
    const words = Array.from({ length: 3_000 }, () => "y".repeat(1_000));
    const { result } = await exec(`/bin/true ${words.join(" ")}`, { posixSpawn });
    assert.equal(result.ok, false);
    assert.match(
      result.error ?? "",
      /^cannot start \/bin\/true: the arguments \(2\.9 MiB\) and the environment \(\d+ KiB\) are more than the kernel takes together \(about 2 MiB, a quarter of ulimit -s; argument list too long\)$/,
    );
    // One argument of 200 KB: past the 128 KiB the kernel takes for one, which a shell could
    // not help either.
    const one = await exec(`/bin/true ${"y".repeat(200_000)}`, { posixSpawn });
    assert.match(
      one.result.error ?? "",
      /^cannot start \/bin\/true: an argument is 196 KiB, more than the kernel takes for one \(128 KiB; argument list too long\)$/,
    );
  });

  Deno.test(`exec does not call a missing directory a missing command (${via})`, async () => {
    const { result } = await exec("ls -d .", { cwd: "/no/such/dagrun/dir", posixSpawn });
    assert.equal(result.ok, false);
    assert.doesNotMatch(result.error ?? "", /command not found/);
  });

  Deno.test(`exec names a working directory gone since the run started (${via})`, async () => {
    // Checked when the run starts, but an earlier task may remove it, or put a file there.
    const dir = await Deno.makeTempDir();
    try {
      for (const command of ["ls -d .", "ls -d . && pwd"]) {
        const missing = await exec(command, { cwd: `${dir}/gone`, posixSpawn });
        assert.deepEqual(missing.result, {
          ok: false,
          error: `cannot start: working directory ${dir}/gone does not exist`,
        });
        await Deno.writeTextFile(`${dir}/file`, "");
        const file = await exec(command, { cwd: `${dir}/file`, posixSpawn });
        assert.deepEqual(file.result, {
          ok: false,
          error: `cannot start: working directory ${dir}/file is not a directory`,
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`exec passes on large output whole and in order (${via})`, async () => {
    const { result, lines: blocks } = await exec("seq 1 100000", { posixSpawn });
    assert.equal(result.ok, true);
    // Output comes in blocks of whole lines, one block per read.
    const lines = blocks.flatMap(([stream, text]) =>
      text.split("\n").map((line) => [stream, line] as const)
    );
    assert.equal(lines.length, 100_000);
    assert.deepEqual(lines[99_999], ["stdout", "100000"]);
    assert.ok(lines.every(([stream, text], i) => stream === "stdout" && text === `${i + 1}`));
  });

  Deno.test(`exec stops a plain command's whole process group (${via})`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      // The script leaves a grandchild behind in its group and says where.
      await Deno.writeTextFile(
        `${dir}/spawner.sh`,
        "#!/bin/sh\nsleep 30 &\necho $! > grandchild.pid\nwait\n",
      );
      await Deno.chmod(`${dir}/spawner.sh`, 0o755);
      const controller = new AbortController();
      const running = createExecExecutor({ posixSpawn, graceMs: 100 }).run(
        { name: "t", type: "exec", arguments: "./spawner.sh", dependencies: [] },
        { ...context([], dir), signal: controller.signal },
      );
      setTimeout(() => controller.abort("interrupted"), 200);
      const result = await running;
      assert.equal(result.ok, false);
      assert.equal(result.signal, "SIGTERM");
      const grandchild = Number(await Deno.readTextFile(`${dir}/grandchild.pid`));
      assert.equal(await alive(grandchild), false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a task with a cwd of its own gets PWD set to it on every path, alone or not", async () => {
  const directory = await Deno.realPath(await Deno.makeTempDir({ prefix: "dagrun-pwd-" }));
  await Deno.mkdir(`${directory}/sub`);
  const tasks = [
    { name: "direct", type: "exec", arguments: "printenv PWD", cwd: "sub" },
    { name: "shell", type: "exec", arguments: "printenv PWD | cat", cwd: "sub" },
    { name: "command", type: "exec", arguments: "printenv PWD", cwd: "sub", env: { X: "1" } },
    // One at a time too: a lone task is spawned on the main thread, others in the background.
    {
      name: "alone",
      type: "exec",
      arguments: "printenv PWD",
      cwd: "sub",
      dependencies: ["direct"],
    },
    { name: "own", type: "exec", arguments: "printenv PWD" },
  ];
  await Deno.writeTextFile(`${directory}/tasks.json`, JSON.stringify({ tasks }));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MOD, "--no-history", "-j", "3", `${directory}/tasks.json`],
    cwd: "/",
    env: { PWD: "/" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, stdout + new TextDecoder().decode(output.stderr));
  for (const name of ["direct", "shell", "command", "alone"]) {
    assert.ok(stdout.includes(`[${name}] ${directory}/sub\n`), `${name}:\n${stdout}`);
  }
  assert.ok(stdout.includes("[own] /\n"), stdout);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("a spawn out of file descriptors names the program, not the shell", async () => {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-emfile-" });
  const tasks = Array.from({ length: 60 }, (_, i) => ({
    name: `s${i}`,
    type: "exec",
    arguments: "sleep 0.5",
  }));
  await Deno.writeTextFile(`${directory}/tasks.json`, JSON.stringify({ tasks }));
  const output = await new Deno.Command("sh", {
    args: [
      "-c",
      `ulimit -n 96 && exec "$0" run -A --quiet "$1" --no-history -q -j 60 "$2"`,
      Deno.execPath(),
      MOD,
      `${directory}/tasks.json`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 1, stdout + new TextDecoder().decode(output.stderr));
  assert.match(stdout, /cannot start sleep: too many open files$/m);
  assert.doesNotMatch(stdout, /os error/);
  assert.doesNotMatch(stdout, /cannot start (\/usr)?(\/bin\/)?sh/);
  await Deno.remove(directory, { recursive: true });
});

/**
 * Runs dagrun on `tasks` in `directory` with an `--allow-run` list of only the shell (and no
 * FFI, which would spawn the programs directly): Deno refuses to spawn any other program, so
 * the shell runs it.
 */
async function runWithRunList(
  directory: string,
  tasks: readonly Record<string, string>[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  await Deno.writeTextFile(`${directory}/tasks.json`, JSON.stringify({ tasks }));
  return await runCommand(Deno.execPath(), [
    "run",
    "--quiet",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run=/bin/sh",
    MOD,
    "--no-history",
    "tasks.json",
  ], { cwd: directory });
}

Deno.test("exec names a script's missing interpreter when an --allow-run list hands it to the shell", async () => {
  // Deno refuses to spawn a program its --allow-run list leaves out, so the shell (listed)
  // runs it, and would only say "not found" of a script that is there. No FFI either, which
  // would spawn it directly.
  const directory = await Deno.makeTempDir({ prefix: "dagrun-run-list-" });
  try {
    await Deno.writeTextFile(`${directory}/crlf.sh`, "#!/bin/sh\r\necho hi\r\n");
    await Deno.writeTextFile(`${directory}/good.sh`, "#!/bin/sh\necho good\n");
    await Deno.chmod(`${directory}/crlf.sh`, 0o755);
    await Deno.chmod(`${directory}/good.sh`, 0o755);
    const tasks = [
      { name: "crlf", type: "exec", arguments: "./crlf.sh" },
      { name: "good", type: "exec", arguments: "./good.sh" },
    ];
    const { code, stdout, stderr } = await runWithRunList(directory, tasks);
    assert.equal(code, 1, stdout + stderr);
    const why = 'its interpreter "/bin/sh\\r" was not found';
    assert.ok(stderr.includes(`[crlf] ./crlf.sh: ${why}\n`), stderr);
    assert.match(
      stdout,
      new RegExp(
        `^crlf +exec +failed +\\S+ +cannot run \\./crlf\\.sh: ${why.replace(/\\/g, "\\\\")}$`,
        "m",
      ),
    );
    // A script whose interpreter is there still runs, through the shell.
    assert.ok(stdout.includes("[good] good\n"), stdout);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("exec says a missing program or a binary's missing loader as with -A when an --allow-run list hands it to the shell", async () => {
  // Deno refuses to spawn a path its --allow-run list leaves out, whether there is a file or
  // not, so the shell (listed) runs it, and would only say "not found" with exit code 127.
  const directory = await Deno.makeTempDir({ prefix: "dagrun-run-list-" });
  try {
    await copyWithLoader("/bin/true", `${directory}/lost`, "/no/such/ld.so");
    await Deno.copyFile("/bin/true", `${directory}/fine`);
    const tasks = [
      { name: "lost", type: "exec", arguments: "./lost" },
      { name: "gone", type: "exec", arguments: "./gone --flag" },
      { name: "fine", type: "exec", arguments: "./fine" },
    ];
    const { code, stdout, stderr } = await runWithRunList(directory, tasks);
    assert.equal(code, 1, stdout + stderr);
    const why = 'its dynamic loader "/no/such/ld.so" was not found';
    assert.ok(stderr.includes(`[lost] ./lost: ${why}\n`), stderr);
    assert.match(
      stdout,
      new RegExp(`^lost +exec +failed +\\S+ +cannot run \\./lost: ${why}$`, "m"),
    );
    assert.ok(stderr.includes("[gone] ./gone: command not found\n"), stderr);
    assert.match(stdout, /^gone +exec +failed +\S+ +command not found: \.\/gone$/m);
    // A binary whose loader is there still runs, through the shell.
    assert.match(stdout, /^fine +exec +ok /m);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});
