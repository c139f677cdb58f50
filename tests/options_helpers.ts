/**
 * Helpers for the task-option and resume tests: a task file in its own directory, and
 * checking NDJSON against the published events schema.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Ajv } from "../src/deps/ajv.ts";
import eventsSchema from "../schema/events.schema.json" with { type: "json" };
import type { RunEvent } from "../src/types.ts";

const validateEvent = new Ajv({ strict: false }).compile(eventsSchema);

/**
 * A fresh directory holding `tasks.json`, with helpers to write and read files in it;
 * `await using` it to remove the directory when the test ends, passed or failed.
 */
export async function project(document: unknown) {
  const dir = await Deno.makeTempDir({ prefix: "dagrun-options-" });
  const file = `${dir}/tasks.json`;
  const write = (content: unknown, name = "tasks.json") =>
    Deno.writeTextFile(
      `${dir}/${name}`,
      typeof content === "string" ? content : JSON.stringify(content, null, 2),
    );
  await write(document);
  return {
    dir,
    file,
    write,
    read: (name: string) => Deno.readTextFile(`${dir}/${name}`),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Parses NDJSON, asserting that every line is an event the schema accepts. */
export function parseEvents(text: string): RunEvent[] {
  return text.trim().split("\n").map((line) => {
    const event: RunEvent = JSON.parse(line);
    const valid = validateEvent(structuredClone(event));
    assert.ok(valid, `${line}\n${JSON.stringify(validateEvent.errors)}`);
    return event;
  });
}

/** The shell command of a task that fails until it has run `times` times, counting in `file`. */
export function failsUntil(times: number, file: string): string {
  return `n=$(cat ${file} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${file}; ` +
    `echo attempt $n; [ $n -ge ${times} ]`;
}
