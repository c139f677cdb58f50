/**
 * The published events schema (schema/events.schema.json) against a run that makes every kind
 * of event, each field of each: the schema allows no field it does not describe, so a field
 * added to an event and not to the schema (or misspelled) fails here.
 */

import assert from "node:assert/strict";
import eventsSchema from "../schema/events.schema.json" with { type: "json" };
import { runCli, writeTaskFile } from "./helpers.ts";
import { parseEvents } from "./options_helpers.ts";

Deno.test("NDJSON: a run making every kind of event, every optional field, matches the schema", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "say", type: "exec", arguments: "echo out; echo err >&2" },
      // A line longer than MAX_LINE_LENGTH: its first piece's event says it continues.
      { name: "long", type: "exec", arguments: "head -c 70000 /dev/zero | tr '\\0' x; echo" },
      { name: "flaky", type: "exec", arguments: "exit 3", retries: 1, allowFailure: true },
      { name: "killed", type: "exec", arguments: "kill -TERM $$" },
      { name: "after", type: "exec", arguments: "true", dependencies: ["killed"] },
      // A misspelled field: a warning event.
      { name: "typo", type: "eval", arguments: "1", dependecies: ["say"] },
    ],
  });
  const result = await runCli(["--format", "ndjson", "--no-history", file]);
  assert.equal(result.code, 1, result.stderr);
  const events = parseEvents(result.stdout);
  const kinds = new Set(events.map((event) => event.event));
  const allKinds = eventsSchema.oneOf.map((variant) => variant.properties.event.const);
  assert.deepEqual([...kinds].sort(), [...allKinds].sort());
  // The optional fields too.
  const fields = new Set(events.flatMap((event) => Object.keys(event)));
  for (
    const field of [
      "file",
      "tasksHash",
      "hash",
      "exitCode",
      "signal",
      "error",
      "attempts",
      "allowed",
      "continues",
    ]
  ) {
    assert.ok(fields.has(field), `no event had ${field}`);
  }
  const ended = events.at(-1)!;
  assert.equal(ended.event, "run_ended");
  assert.ok(
    ended.event === "run_ended" && ended.tasks.some((task) => task.allowed && task.attempts === 2),
  );
});

Deno.test("the events schema refuses a field it does not describe", async () => {
  const { Ajv } = await import("../src/deps/ajv.ts");
  const validate = new Ajv({ strict: false }).compile(eventsSchema);
  const started = { event: "task_started", task: "a", type: "exec", time: 1 };
  assert.ok(validate(started));
  assert.ok(!validate({ ...started, tpye: "exec" }));
});
