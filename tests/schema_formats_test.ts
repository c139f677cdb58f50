/**
 * JSON Schema `format`s in a plugin's argumentsSchema and in `--schema`: the known ones
 * (email, uri, date-time…) validate; an unknown one is an error naming the plugin or the
 * schema file and the format, before anything runs, not a warning printed four times while
 * the format is ignored.
 */

import assert from "node:assert/strict";
import { createDefaultRegistry, validate } from "../src/run.ts";
import { TaskFileError } from "../src/errors.ts";
import { runCli } from "./helpers.ts";

function mailPlugin(format: string): string {
  return `export default {
  type: "mail",
  argumentsSchema: { type: "object", properties: { to: { type: "string", format: ${
    JSON.stringify(format)
  } } } },
  run: () => Promise.resolve({ ok: true }),
};
`;
}

async function directoryWith(files: Record<string, string>): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-formats-" });
  for (const [path, content] of Object.entries(files)) {
    await Deno.writeTextFile(`${directory}/${path}`, content);
  }
  return directory;
}

function mailTasks(to: string): string {
  return JSON.stringify({ tasks: [{ name: "a", type: "mail", arguments: { to } }] }, null, 2);
}

Deno.test("a plugin's known format validates its tasks' arguments", async () => {
  const cwd = await directoryWith({
    "mail.ts": mailPlugin("email"),
    "good.json": mailTasks("someone@example.com"),
    "bad.json": mailTasks("not an address"),
  });
  const good = await runCli(["--executor", "./mail.ts", "good.json", "-q"], { cwd });
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stderr, "");
  const bad = await runCli(["--executor", "./mail.ts", "bad.json", "-q"], { cwd });
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal(
    bad.stderr,
    'dagrun: bad.json:7:15: task "a": "arguments.to" must match format "email", ' +
      'not "not an address"\n',
  );
});

Deno.test("a plugin's unknown format is an error at load naming the plugin and the format", async () => {
  const cwd = await directoryWith({ "mail.ts": mailPlugin("phone"), "t.json": mailTasks("1") });
  const result = await runCli(["--executor", "./mail.ts", "t.json"], { cwd });
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /^dagrun: executor module "\.\/mail\.ts": executor "mail": invalid argumentsSchema: unknown format "phone" at "#\/properties\/to" \(known: [^)]*email[^)]*\)\n$/,
  );
  assert.equal(result.stdout, "");
});

Deno.test("--schema: known formats validate, an unknown one names the schema file", async () => {
  const schema = (format: string) =>
    JSON.stringify({
      type: "object",
      properties: {
        tasks: {
          type: "array",
          items: { type: "object", properties: { name: { type: "string", format } } },
        },
      },
    });
  const tasks = (name: string) =>
    JSON.stringify({ tasks: [{ name, type: "exec", arguments: "true" }] }, null, 2);
  const cwd = await directoryWith({
    "hostname.json": schema("hostname"),
    "nope.json": schema("nope"),
    "good.json": tasks("example.com"),
    "bad.json": tasks("not a host!"),
  });
  const good = await runCli(["--schema", "hostname.json", "good.json", "-q"], { cwd });
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stderr, "");
  const bad = await runCli(["--schema", "hostname.json", "bad.json", "-q"], { cwd });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^dagrun: bad\.json:4:15: .*must match format "hostname"/);
  const unknown = await runCli(["--schema", "nope.json", "good.json", "-q"], { cwd });
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(
    unknown.stderr,
    /^dagrun: nope\.json: cannot use the schema: unknown format "nope" at "#\/properties\/tasks\/items\/properties\/name" \(known: [^)]*\)\n$/,
  );
});

Deno.test("validate() refuses a registered executor's unknown format, every time", () => {
  const registry = createDefaultRegistry().register({
    type: "mail",
    argumentsSchema: { type: "string", format: "phone" },
    run: () => Promise.resolve({ ok: true }),
  });
  const tasks = [{ name: "a", type: "mail", arguments: "1" }];
  for (let attempt = 0; attempt < 2; attempt++) {
    assert.throws(() => validate(tasks, registry), (error: unknown) => {
      assert.ok(error instanceof TaskFileError, String(error));
      assert.match(
        error.message,
        /task "a": executor "mail": invalid argumentsSchema: unknown format "phone" at "#"/,
      );
      return true;
    });
  }
});

Deno.test('--schema: an "$async" schema is refused, not passed by every file', async () => {
  // Its validator returns a promise, which is truthy: a file the schema refuses was "valid".
  const cwd = await directoryWith({
    "async.json": JSON.stringify({ $async: true, type: "object", required: ["nothing"] }),
    "t.json": JSON.stringify({ tasks: [{ name: "a", type: "exec", arguments: "true" }] }),
  });
  const result = await runCli(["validate", "t.json", "--schema", "async.json"], { cwd });
  assert.equal(result.code, 2, result.stdout);
  assert.equal(
    result.stderr,
    'dagrun: async.json: cannot use the schema: must not be "$async" (its validator would return a promise, and pass every value)\n',
  );
});
