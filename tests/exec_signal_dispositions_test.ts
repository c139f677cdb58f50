import assert from "node:assert/strict";
import { createExecExecutor } from "../executors/exec.ts";
import type { OutputStream } from "../src/types.ts";

const SIGHUP_BIT = 1n << 0n, SIGPIPE_BIT = 1n << 12n;
/** glibc's own two signals (32 and 33), which its posix_spawn leaves ignored, as make's do. */
const GLIBC_BITS = (1n << 31n) | (1n << 32n);
const linux = Deno.build.os === "linux";

/** The ignored-signal mask a plain command of the exec executor reports for itself. */
async function ignoredByChild(posixSpawn: boolean): Promise<bigint> {
  const lines: [OutputStream, string][] = [];
  const result = await createExecExecutor({ posixSpawn }).run(
    { name: "t", type: "exec", arguments: "grep SigIgn /proc/self/status", dependencies: [] },
    {
      signal: new AbortController().signal,
      timeoutMs: undefined,
      env: undefined,
      cwd: Deno.cwd(),
      baseDir: Deno.cwd(),
      output: (stream, text) => lines.push([stream, text]),
    },
  );
  assert.equal(result.ok, true, JSON.stringify(lines));
  const mask = lines[0]?.[1].match(/^SigIgn:\s*([0-9a-f]+)$/)?.[1];
  assert.ok(mask, JSON.stringify(lines));
  return BigInt(`0x${mask}`);
}

Deno.test({
  name: "exec's direct children do not inherit the runtime's ignored SIGPIPE",
  ignore: !linux,
  fn: async () => {
    const viaPosixSpawn = await ignoredByChild(true);
    const viaCommand = await ignoredByChild(false);
    assert.equal(viaPosixSpawn & SIGPIPE_BIT, 0n);
    assert.equal(viaCommand & SIGPIPE_BIT, 0n);
    assert.equal(viaPosixSpawn & ~GLIBC_BITS, viaCommand);
  },
});

Deno.test({
  name: "exec's direct children keep ignoring what dagrun was started ignoring",
  ignore: !linux,
  fn: async () => {
    // As under `nohup`: SIGHUP ignored before the runtime starts.
    const module = new URL("../executors/exec.ts", import.meta.url).href;
    const script = `
      const { createExecExecutor } = await import(${JSON.stringify(module)});
      const lines = [];
      await createExecExecutor().run(
        { name: "t", type: "exec", arguments: "grep SigIgn /proc/self/status", dependencies: [] },
        { signal: new AbortController().signal, cwd: Deno.cwd(), baseDir: Deno.cwd(),
          output: (_stream, text) => lines.push(text) },
      );
      console.log(lines.join("\\n"));
    `;
    const output = await new Deno.Command("sh", {
      args: ["-c", `trap '' HUP; exec "$0" eval -q "$1"`, Deno.execPath(), script],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.equal(output.success, true);
    const text = new TextDecoder().decode(output.stdout);
    const mask = BigInt(`0x${text.match(/SigIgn:\s*([0-9a-f]+)/)![1]}`);
    assert.notEqual(mask & SIGHUP_BIT, 0n);
    assert.equal(mask & SIGPIPE_BIT, 0n);
  },
});
