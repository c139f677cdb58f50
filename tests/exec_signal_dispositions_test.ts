import assert from "node:assert/strict";

const SIGHUP_BIT = 1n << 0n, SIGPIPE_BIT = 1n << 12n;
/**
 * glibc's own two signals (32 and 33), which its posix_spawn leaves ignored in the child
 * (make's and Rust's children have both so; ours only 32, which glibc keeps ignored even
 * when asked to reset it).
 */
const GLIBC_BITS = (1n << 31n) | (1n << 32n);
const linux = Deno.build.os === "linux";

/**
 * The ignored-signal masks that a plain command of the exec executor reports, through the
 * posix_spawn path and through Deno.Command, in a fresh process (dispositions are the whole
 * process's: other tests must not change them), started by `sh` with `shellSetup` first.
 */
async function ignoredByChildren(
  shellSetup = "",
): Promise<{ posixSpawn: bigint; command: bigint }> {
  const module = new URL("../executors/exec.ts", import.meta.url).href;
  const script = `
    const { createExecExecutor } = await import(${JSON.stringify(module)});
    const masks = {};
    for (const posixSpawn of [true, false]) {
      const lines = [];
      await createExecExecutor({ posixSpawn }).run(
        { name: "t", type: "exec", arguments: "grep SigIgn /proc/self/status", dependencies: [] },
        { signal: new AbortController().signal, cwd: Deno.cwd(), baseDir: Deno.cwd(),
          output: (_stream, text) => lines.push(text) },
      );
      masks[posixSpawn ? "posixSpawn" : "command"] = lines.join("\\n");
    }
    console.log(JSON.stringify(masks));
  `;
  // `deno run`, as the CLI is: `deno eval` does not leave SIGPIPE ignored.
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, script);
  const output = await new Deno.Command("sh", {
    args: ["-c", `${shellSetup} exec "$0" run -A "$1"`, Deno.execPath(), file],
    stdout: "piped",
    stderr: "inherit",
  }).output().finally(() => Deno.remove(file));
  assert.equal(output.success, true);
  const masks = JSON.parse(new TextDecoder().decode(output.stdout));
  const parse = (line: string) => BigInt(`0x${line.match(/^SigIgn:\s*([0-9a-f]+)$/)![1]}`);
  return { posixSpawn: parse(masks.posixSpawn), command: parse(masks.command) };
}

Deno.test({
  name: "exec's direct children do not inherit the runtime's ignored SIGPIPE",
  ignore: !linux,
  fn: async () => {
    const { posixSpawn, command } = await ignoredByChildren();
    assert.equal(posixSpawn & SIGPIPE_BIT, 0n);
    assert.equal(command & SIGPIPE_BIT, 0n);
    // 33 is reset; glibc's child keeps 32 (SIGCANCEL) ignored whatever it is asked.
    assert.equal(posixSpawn & (1n << 32n), 0n, "signal 33 is left ignored");
    assert.equal(posixSpawn & ~GLIBC_BITS, command & ~GLIBC_BITS);
  },
});

Deno.test({
  name: "exec's direct children keep ignoring what dagrun was started ignoring",
  ignore: !linux,
  fn: async () => {
    // As under `nohup`: SIGHUP ignored before the runtime starts.
    const { posixSpawn, command } = await ignoredByChildren("trap '' HUP;");
    assert.notEqual(posixSpawn & SIGHUP_BIT, 0n);
    assert.equal(posixSpawn & SIGPIPE_BIT, 0n);
    assert.equal(posixSpawn & ~GLIBC_BITS, command & ~GLIBC_BITS);
  },
});
