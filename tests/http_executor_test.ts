import assert from "node:assert/strict";
import { createHttpExecutor } from "../executors/http.ts";
import { validate } from "../src/run.ts";
import { createDefaultRegistry } from "../src/run.ts";
import type { TaskSpec } from "../src/types.ts";
import { serve, testContext } from "./plugin_helpers.ts";

const http = createHttpExecutor();

function task(args: unknown): TaskSpec {
  return { name: "request", type: "http", arguments: args, dependencies: [] };
}

Deno.test("http succeeds on 2xx and passes the body on as output lines", async () => {
  await using server = serve(() => new Response("line one\nline two\n"));
  const { context, lines } = testContext();
  const result = await http.run(task({ url: `${server.origin}/health` }), context);
  assert.deepEqual(result, { ok: true });
  assert.deepEqual(lines.map((line) => line.text), ["line one", "line two"]);
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), ["GET /health"]);
});

Deno.test("http passes a line too long to pass whole in pieces marked as pieces", async () => {
  // Without the mark, a piece read as a whole line: the timeline split an escape sequence cut
  // in two into text, and the NDJSON events lost "continues".
  const long = "x".repeat(70_000);
  await using server = serve(() => new Response(`${long}\nshort\n`));
  const pieces: { text: string; continues: boolean }[] = [];
  const { context } = testContext({
    output: (_stream, text, options) =>
      pieces.push({ text, continues: options?.continues === true }),
  });
  assert.deepEqual(await http.run(task({ url: `${server.origin}/long` }), context), { ok: true });
  assert.equal(pieces.map((piece) => piece.text).join(""), `${long}short`);
  assert.ok(pieces.length > 2, `${pieces.length} pieces`);
  assert.deepEqual(
    pieces.map((piece) => piece.continues),
    [...pieces.slice(0, -2).map(() => true), false, false],
  );
});

Deno.test("http fails a task on a non-2xx status, naming the status", async () => {
  await using server = serve(() => new Response("gone", { status: 404 }));
  const { context } = testContext();
  const result = await http.run(task({ url: `${server.origin}/missing` }), context);
  assert.equal(result.ok, false);
  assert.equal(result.error, "HTTP 404 Not Found");
});

Deno.test("http sends method, headers and a JSON body", async () => {
  let seen: { type: string | null; auth: string | null } | undefined;
  await using server = serve((request) => {
    seen = {
      type: request.headers.get("content-type"),
      auth: request.headers.get("authorization"),
    };
    return new Response(null, { status: 201 });
  });
  const { context } = testContext();
  const result = await http.run(
    task({
      url: `${server.origin}/items`,
      method: "post",
      headers: { authorization: "Bearer x" },
      body: { name: "widget" },
      expectStatus: 201,
    }),
    context,
  );
  assert.deepEqual(result, { ok: true });
  assert.deepEqual(server.requests.map((r) => [r.method, r.body]), [
    ["POST", '{"name":"widget"}'],
  ]);
  assert.deepEqual(seen, { type: "application/json", auth: "Bearer x" });
});

Deno.test("http expectStatus makes other statuses, even 2xx, fail", async () => {
  await using server = serve(() => new Response("ok", { status: 200 }));
  const { context } = testContext();
  const expected = await http.run(task({ url: server.origin, expectStatus: [200, 204] }), context);
  assert.equal(expected.ok, true);
  const other = await http.run(task({ url: server.origin, expectStatus: 503 }), context);
  assert.deepEqual(other, { ok: false, error: "HTTP 200 OK" });
});

Deno.test("http reports a refused connection as the task's failure", async () => {
  // A port that was just free: nothing listens there any more.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const { context } = testContext();
  const result = await http.run(task({ url: `http://127.0.0.1:${port}/` }), context);
  assert.equal(result.ok, false);
  assert.match(result.error ?? "", /^GET http:\/\/127\.0\.0\.1:\d+\/ failed: /);
});

Deno.test("http stops a request when the task is aborted", async () => {
  const { promise: never, resolve: release } = Promise.withResolvers<Response>();
  await using server = serve(() => never);
  const controller = new AbortController();
  const { context } = testContext({ signal: controller.signal });
  const pending = http.run(task({ url: server.origin }), context);
  setTimeout(() => controller.abort("interrupted"), 50);
  const result = await pending;
  release(new Response("late"));
  assert.deepEqual(result, { ok: false, error: "interrupted" });
});

Deno.test("http arguments are checked against its schema before anything runs", () => {
  const registry = createDefaultRegistry().register(http);
  assert.throws(
    () =>
      validate(
        [{ name: "bad", type: "http", arguments: { url: "ftp://x" } }],
        registry,
      ),
    /task "bad": "arguments\.url" must match/,
  );
  assert.throws(
    () =>
      validate(
        [{ name: "bad", type: "http", arguments: { url: "http://x", retries: 2 } }],
        registry,
      ),
    /task "bad": "arguments" has unknown field "retries"/,
  );
  assert.throws(
    () => validate([{ name: "bad", type: "http", arguments: { method: "GET" } }], registry),
    /task "bad": "arguments" is missing required field "url"/,
  );
  assert.throws(
    () =>
      validate(
        [{ name: "bad", type: "http", arguments: { url: "http://x", expectStatus: 42 } }],
        registry,
      ),
    /task "bad": "arguments\.expectStatus"/,
  );
});
