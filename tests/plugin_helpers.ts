/**
 * Helpers for the plugin, library and URL-import tests: small HTTP servers on 127.0.0.1 with
 * a port the system picks, and a context for calling an executor directly.
 *
 * @module
 */

import { extname, join, normalize } from "node:path";
import type { ExecutorContext, OutputStream } from "../src/types.ts";

/** A running server and how to reach and stop it. */
export interface TestServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly origin: string;
  /** Every request's method and path, in order. */
  readonly requests: { method: string; path: string; body: string }[];
}

/**
 * Serves `handler` on 127.0.0.1 with a free port; dispose to stop it. The request body is
 * read (and recorded) before the handler is called.
 */
export function serve(handler: (request: Request) => Response | Promise<Response>): TestServer {
  const requests: { method: string; path: string; body: string }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const body = await request.text();
      requests.push({ method: request.method, path: new URL(request.url).pathname, body });
      return handler(request);
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const CONTENT_TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
};

/**
 * Serves the files under `root` with the content types Deno needs to import them, or with the
 * `types` given by extension (a server that sends another type).
 */
export function serveFiles(root: string, types: Record<string, string> = {}): TestServer {
  return serve(async (request) => {
    const path = normalize(decodeURIComponent(new URL(request.url).pathname));
    if (path.split("/").includes("..")) return new Response("forbidden", { status: 403 });
    try {
      const body = await Deno.readFile(join(root, path));
      const type = types[extname(path)] ?? CONTENT_TYPES[extname(path)] ??
        "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

/** A context for calling an executor directly, recording its output lines. */
export function testContext(
  overrides: Partial<ExecutorContext> = {},
): { context: ExecutorContext; lines: { stream: OutputStream; text: string }[] } {
  const lines: { stream: OutputStream; text: string }[] = [];
  return {
    lines,
    context: {
      signal: new AbortController().signal,
      timeoutMs: undefined,
      env: undefined,
      cwd: Deno.cwd(),
      baseDir: Deno.cwd(),
      output: (stream, text) => lines.push({ stream, text }),
      ...overrides,
    },
  };
}

/** Runs a command to its end and returns its exit code and text output. */
export async function runCommand(
  program: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(program, {
    args: [...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
