/**
 * The `http` executor plugin: a task is one HTTP request, which fails unless the response
 * status is 2xx (or one of `expectStatus`). The response body is the task's output.
 *
 * Load it with `dagrun --executor executors/http.ts tasks.json`, or in the task file:
 * `"executors": { "http": "./executors/http.ts" }`. A task:
 *
 * ```json
 * { "name": "health", "type": "http",
 *   "arguments": { "url": "http://127.0.0.1:8000/health", "expectStatus": [200, 204] } }
 * ```
 *
 * @module
 */

import { forEachLine, passOutput } from "../src/lines.ts";
import type { Executor, ExecutorContext, TaskResult, TaskSpec } from "../src/types.ts";

/**
 * The arguments of an `http` task.
 *
 * @example
 * ```ts
 * import type { HttpArguments } from "@dagrun/dagrun/executors/http";
 *
 * const request: HttpArguments = {
 *   url: "http://127.0.0.1:8000/items",
 *   method: "POST",
 *   headers: { authorization: "Bearer token" },
 *   body: { name: "widget" },
 *   expectStatus: 201,
 * };
 * ```
 */
export interface HttpArguments {
  /** An absolute `http:` or `https:` URL. */
  readonly url: string;
  /** The method, `GET` by default. */
  readonly method?: string;
  /** Request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as it is; any other JSON value as JSON, with its content type. */
  readonly body?: unknown;
  /** The status, or statuses, that count as success instead of any 2xx. */
  readonly expectStatus?: number | readonly number[];
}

/**
 * The JSON Schema of {@linkcode HttpArguments}, checked before anything runs.
 *
 * @example
 * ```ts
 * import { HTTP_ARGUMENTS_SCHEMA } from "@dagrun/dagrun/executors/http";
 *
 * HTTP_ARGUMENTS_SCHEMA.required; // ["url"]
 * ```
 */
export const HTTP_ARGUMENTS_SCHEMA: Record<string, unknown> = {
  type: "object",
  required: ["url"],
  additionalProperties: false,
  properties: {
    url: { type: "string", pattern: "^[hH][tT][tT][pP][sS]?://" },
    method: { type: "string", pattern: "^[A-Za-z]+$" },
    headers: { type: "object", additionalProperties: { type: "string" } },
    body: {},
    expectStatus: {
      anyOf: [
        { type: "integer", minimum: 100, maximum: 599 },
        {
          type: "array",
          minItems: 1,
          items: { type: "integer", minimum: 100, maximum: 599 },
        },
      ],
    },
  },
};

/**
 * Creates the `http` executor.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry } from "@dagrun/dagrun";
 * import { createHttpExecutor } from "@dagrun/dagrun/executors/http";
 *
 * const registry = createDefaultRegistry().register(createHttpExecutor());
 * ```
 */
export function createHttpExecutor(): Executor {
  return {
    type: "http",
    argumentsSchema: HTTP_ARGUMENTS_SCHEMA,
    run: (task, context) => request(task, context),
  };
}

async function request(task: TaskSpec, context: ExecutorContext): Promise<TaskResult> {
  if (context.signal.aborted) return { ok: false, error: "interrupted" };
  const args = task.arguments as HttpArguments;
  const headers = new Headers(args.headers);
  let body: string | undefined;
  if (typeof args.body === "string") {
    body = args.body;
  } else if (args.body !== undefined) {
    body = JSON.stringify(args.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const method = (args.method ?? "GET").toUpperCase();
  let response: Response;
  try {
    response = await fetch(args.url, {
      method,
      headers,
      signal: context.signal,
      ...(body === undefined ? {} : { body }),
    });
  } catch (error) {
    if (context.signal.aborted) return { ok: false, error: "interrupted" };
    return { ok: false, error: `${method} ${args.url} failed: ${describe(error)}` };
  }
  try {
    if (response.body) {
      // A line too long to pass whole goes in pieces, each but the last marked as one.
      await forEachLine(response.body, passOutput(context, "stdout"));
    }
  } catch (error) {
    if (context.signal.aborted) return { ok: false, error: "interrupted" };
    return { ok: false, error: `reading the response failed: ${describe(error)}` };
  }
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
  return isExpected(response.status, args.expectStatus)
    ? { ok: true }
    : { ok: false, error: status };
}

function isExpected(status: number, expected: HttpArguments["expectStatus"]): boolean {
  if (expected === undefined) return status >= 200 && status < 300;
  return typeof expected === "number" ? status === expected : expected.includes(status);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}

/**
 * The `http` executor, for `--executor executors/http.ts`.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry } from "@dagrun/dagrun";
 * import http from "@dagrun/dagrun/executors/http";
 *
 * const registry = createDefaultRegistry().register(http);
 * ```
 */
const http: Executor = createHttpExecutor();
export default http;
