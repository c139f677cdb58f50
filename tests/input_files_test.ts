import assert from "node:assert/strict";
import { dirname } from "node:path";
import {
  killIfRunning,
  makeFifo,
  MOD,
  namesIn,
  until,
  waitsInFifoOpen,
  waitsInPipeRead,
  writeTaskFile,
} from "./helpers.ts";

/** A signal while an input waits for its writer, and what dagrun then says. */
interface InterruptCase {
  readonly args: readonly string[];
  readonly signal: "SIGINT" | "SIGTERM" | "SIGHUP";
  readonly code: number;
  readonly stderr: string;
  /** Whether dagrun waits in the FIFO's open (its writer not there yet) or in a read. */
  readonly waitsIn: "open" | "read";
  /** A writer that opens the FIFO and holds it open without writing. */
  readonly holdingWriter?: boolean;
  /** Standard input left open and empty (a pipe), rather than /dev/null. */
  readonly stdinPipe?: boolean;
}

/**
 * A command line whose run leaves no history file: `--no-history` after the command, if one is
 * named (it must come first), and none for validate and graph, which keep no history and take
 * no such option.
 */
function withoutHistory(args: readonly string[]): string[] {
  const [first, ...rest] = args;
  if (first === "validate" || first === "graph") return [...args];
  return first === "run" ? ["run", "--no-history", ...rest] : ["--no-history", ...args];
}

Deno.test({
  name:
    "a signal while an input FIFO waits for its writer ends dagrun with one line and the signal's status, nothing left",
  ignore: Deno.build.os !== "linux",
  async fn(t) {
    const file = await writeTaskFile({
      tasks: [{ name: "a", type: "exec", arguments: "touch ran" }],
    });
    const directory = dirname(file);
    await makeFifo(`${directory}/fifo`);
    const cases: InterruptCase[] = [
      {
        args: ["fifo"],
        signal: "SIGINT",
        code: 130,
        stderr: "dagrun: interrupted while waiting for a writer to open fifo; nothing ran\n",
        waitsIn: "open",
      },
      {
        // Read before the report opens: no report file is created, hence none left.
        args: ["tasks.json", "--resume", "fifo", "--report", "r.ndjson"],
        signal: "SIGTERM",
        code: 143,
        stderr: "dagrun: interrupted while waiting for a writer to open fifo; nothing ran\n",
        waitsIn: "open",
      },
      {
        args: ["tasks.json", "--schema", "fifo"],
        signal: "SIGHUP",
        code: 129,
        stderr: "dagrun: interrupted while waiting for a writer to open fifo; nothing ran\n",
        waitsIn: "open",
      },
      // A command that runs nothing says what it had not done instead.
      {
        args: ["tasks.json", "--dry-run", "--from-report", "fifo"],
        signal: "SIGINT",
        code: 130,
        stderr: "dagrun: interrupted while waiting for a writer to open fifo; no plan printed\n",
        waitsIn: "open",
      },
      {
        args: ["fifo", "--dry-run"],
        signal: "SIGTERM",
        code: 143,
        stderr: "dagrun: interrupted while waiting for a writer to open fifo; no plan printed\n",
        waitsIn: "open",
      },
      {
        args: ["validate", "fifo"],
        signal: "SIGTERM",
        code: 143,
        stderr: "dagrun: interrupted while waiting for a writer to open fifo; nothing validated\n",
        waitsIn: "open",
      },
      {
        args: ["validate", "tasks.json", "--schema", "fifo"],
        signal: "SIGINT",
        code: 130,
        stderr: "dagrun: interrupted while waiting for a writer to open fifo; nothing validated\n",
        waitsIn: "open",
      },
      {
        args: ["graph", "fifo"],
        signal: "SIGINT",
        code: 130,
        stderr: "dagrun: interrupted while waiting for a writer to open fifo; no graph printed\n",
        waitsIn: "open",
      },
      {
        args: ["graph", "tasks.json", "--from-report", "fifo"],
        signal: "SIGHUP",
        code: 129,
        stderr: "dagrun: interrupted while waiting for a writer to open fifo; no graph printed\n",
        waitsIn: "open",
      },
      {
        // Named, `run` says what it always said.
        args: ["run", "fifo"],
        signal: "SIGTERM",
        code: 143,
        stderr: "dagrun: interrupted while waiting for a writer to open fifo; nothing ran\n",
        waitsIn: "open",
      },
      {
        // The writer came, and has written nothing yet.
        args: ["validate", "fifo"],
        signal: "SIGINT",
        code: 130,
        stderr: "dagrun: interrupted while reading fifo; nothing validated\n",
        waitsIn: "read",
        holdingWriter: true,
      },
      {
        // The writer came, and has written nothing yet.
        args: ["fifo"],
        signal: "SIGINT",
        code: 130,
        stderr: "dagrun: interrupted while reading fifo; nothing ran\n",
        waitsIn: "read",
        holdingWriter: true,
      },
      {
        args: ["-"],
        signal: "SIGTERM",
        code: 143,
        stderr: "dagrun: interrupted while reading standard input; nothing ran\n",
        waitsIn: "read",
        stdinPipe: true,
      },
    ];
    for (const { args, signal, code, stderr, waitsIn, holdingWriter, stdinPipe } of cases) {
      await t.step(`${args.join(" ")}, ${signal}`, async () => {
        const writer = holdingWriter
          ? new Deno.Command("sh", {
            args: ["-c", 'exec 3>"$1"; exec sleep 60', "sh", `${directory}/fifo`],
          }).spawn()
          : undefined;
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", MOD, ...withoutHistory(args)],
          cwd: directory,
          stdin: stdinPipe ? "piped" : "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        try {
          const waiting = waitsIn === "open" ? waitsInFifoOpen : waitsInPipeRead;
          await until(() => waiting(child.pid), `dagrun waiting in the input's ${waitsIn}`);
          child.kill(signal);
          const output = await child.output();
          const decoder = new TextDecoder();
          assert.deepEqual(
            {
              code: output.code,
              signal: output.signal,
              stdout: decoder.decode(output.stdout),
              stderr: decoder.decode(output.stderr),
            },
            { code, signal: null, stdout: "", stderr },
          );
        } finally {
          killIfRunning(child);
          if (writer) {
            killIfRunning(writer);
            await writer.status;
          }
        }
        assert.deepEqual(
          await namesIn(directory),
          ["fifo", "tasks.json"],
          "nothing ran, no file left",
        );
      });
    }
    await Deno.remove(directory, { recursive: true });
  },
});
