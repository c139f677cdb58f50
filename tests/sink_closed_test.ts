import assert from "node:assert/strict";
import { createSink, type SyncWriter } from "../src/output.ts";
import { parseDurationOption } from "../src/cli.ts";
import { runCli } from "./helpers.ts";
import { taskFile } from "./reliability_helpers.ts";

Deno.test("createSink() reports a closed stream once and drops what follows", () => {
  let writes = 0;
  const broken: SyncWriter = {
    writeSync: () => {
      writes++;
      throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
    },
  };
  const closed: unknown[] = [];
  const sink = createSink({ stdout: broken, stderr: broken, onClosed: (e) => closed.push(e) });
  sink.out("one\n");
  sink.flush();
  sink.out("two\n");
  sink.err("three\n");
  sink.flush();
  assert.equal(closed.length, 1);
  assert.ok(closed[0] instanceof Deno.errors.BrokenPipe);
  assert.equal(writes, 1);
});

Deno.test("createSink() writes text longer than its buffer whole, multi-byte included", () => {
  const chunks: Uint8Array[] = [];
  const writer: SyncWriter = {
    writeSync: (bytes) => {
      // Take at most 1000 bytes at a time, as a full pipe might.
      const taken = bytes.slice(0, 1000);
      chunks.push(taken);
      return taken.length;
    },
  };
  const sink = createSink({ stdout: writer, stderr: writer });
  const text = "é€😀x".repeat(50_000);
  sink.out(text);
  sink.flush();
  const written = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    written.set(chunk, offset);
    offset += chunk.length;
  }
  assert.equal(new TextDecoder("utf-8", { fatal: true }).decode(written), text);
});

Deno.test("parseDurationOption() takes seconds or a duration with ms, s or m", () => {
  assert.equal(parseDurationOption("grace", "5"), 5_000);
  assert.equal(parseDurationOption("grace", "0.5"), 500);
  assert.equal(parseDurationOption("grace", "500ms"), 500);
  assert.equal(parseDurationOption("grace", "2s"), 2_000);
  assert.equal(parseDurationOption("grace", "1m"), 60_000);
  assert.equal(parseDurationOption("grace", "0"), 0);
  assert.throws(() => parseDurationOption("grace", "soon"), /Invalid grace/);
  assert.throws(() => parseDurationOption("grace", "-1"), /Invalid grace/);
});

Deno.test("dagrun refuses a bad --grace on one line, running nothing", async () => {
  const file = await taskFile([{ name: "a", arguments: "echo ran" }]);
  const result = await runCli(["--grace", "soon", file]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^dagrun: Invalid grace: .* not "soon"\n/);
});
