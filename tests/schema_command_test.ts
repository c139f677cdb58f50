import assert from "node:assert/strict";
import { ROOT, runCli, writeTaskFile } from "./helpers.ts";

Deno.test("dagrun schema prints the task-file JSON Schema", async () => {
  const { code, stdout } = await runCli(["schema"]);
  assert.equal(code, 0);
  const expected = JSON.parse(
    await Deno.readTextFile(new URL("schema/tasks.schema.json", ROOT)),
  );
  assert.deepEqual(JSON.parse(stdout), expected);
});

Deno.test('a task file may name its schema in "$schema"', async () => {
  const file = await writeTaskFile({
    $schema: "https://dagrun.dev/schema/tasks.schema.json",
    tasks: [{ name: "hello", type: "exec", arguments: "echo hello" }],
  });
  const validated = await runCli(["validate", file]);
  assert.equal(validated.code, 0, validated.stderr);
  const ran = await runCli([file]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /\[hello\] hello/);
});
