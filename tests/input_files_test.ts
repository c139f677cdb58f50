import assert from "node:assert/strict";
import {
  killIfRunning,
  namesIn,
  signalledWhileWaiting,
  taskFileBesideFifo,
  waitsInFifoOpen,
  waitsInPipeRead,
} from "./helpers.ts";

/** A signal while an input waits for its writer, and what dagrun then says. */
interface InterruptCase {
  readonly args: readonly string[];
  readonly signal: keyof typeof EXIT_STATUS;
  /** What dagrun says it had not done: "nothing ran", "no plan printed"… */
  readonly done: string;
  /** Whether dagrun waits in the FIFO's open (its writer not there yet, the default) or in a read. */
  readonly waitsIn?: "open" | "read";
  /** A writer that opens the FIFO and holds it open without writing. */
  readonly holdingWriter?: boolean;
  /** Standard input left open and empty (a pipe), rather than /dev/null. */
  readonly stdinPipe?: boolean;
}

/** The exit status of a process each signal ended. */
const EXIT_STATUS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

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
    const directory = await taskFileBesideFifo({
      tasks: [{ name: "a", type: "exec", arguments: "touch ran" }],
    });
    const cases: InterruptCase[] = [
      { args: ["fifo"], signal: "SIGINT", done: "nothing ran" },
      // Read before the report opens: no report file is created, hence none left.
      {
        args: ["tasks.json", "--resume", "fifo", "--report", "r.ndjson"],
        signal: "SIGTERM",
        done: "nothing ran",
      },
      { args: ["tasks.json", "--schema", "fifo"], signal: "SIGHUP", done: "nothing ran" },
      // A command that runs nothing says what it had not done instead.
      {
        args: ["tasks.json", "--dry-run", "--from-report", "fifo"],
        signal: "SIGINT",
        done: "no plan printed",
      },
      { args: ["fifo", "--dry-run"], signal: "SIGTERM", done: "no plan printed" },
      { args: ["validate", "fifo"], signal: "SIGTERM", done: "nothing validated" },
      {
        args: ["validate", "tasks.json", "--schema", "fifo"],
        signal: "SIGINT",
        done: "nothing validated",
      },
      { args: ["graph", "fifo"], signal: "SIGINT", done: "no graph printed" },
      {
        args: ["graph", "tasks.json", "--from-report", "fifo"],
        signal: "SIGHUP",
        done: "no graph printed",
      },
      // Named, `run` says what it always said.
      { args: ["run", "fifo"], signal: "SIGTERM", done: "nothing ran" },
      // The writer came, and has written nothing yet.
      {
        args: ["validate", "fifo"],
        signal: "SIGINT",
        done: "nothing validated",
        waitsIn: "read",
        holdingWriter: true,
      },
      {
        args: ["fifo"],
        signal: "SIGINT",
        done: "nothing ran",
        waitsIn: "read",
        holdingWriter: true,
      },
      {
        args: ["-"],
        signal: "SIGTERM",
        done: "nothing ran",
        waitsIn: "read",
        stdinPipe: true,
      },
    ];
    for (const { args, signal, done, waitsIn = "open", holdingWriter, stdinPipe } of cases) {
      await t.step(`${args.join(" ")}, ${signal}`, async () => {
        const writer = holdingWriter
          ? new Deno.Command("sh", {
            args: ["-c", 'exec 3>"$1"; exec sleep 60', "sh", `${directory}/fifo`],
          }).spawn()
          : undefined;
        const input = args.includes("-") ? "standard input" : "fifo";
        const waitedFor = waitsIn === "open"
          ? `waiting for a writer to open ${input}`
          : `reading ${input}`;
        try {
          assert.deepEqual(
            await signalledWhileWaiting({
              args: withoutHistory(args),
              cwd: directory,
              waiting: waitsIn === "open" ? waitsInFifoOpen : waitsInPipeRead,
              what: `dagrun waiting in the input's ${waitsIn}`,
              signal,
              stdin: stdinPipe ? "piped" : "null",
            }),
            {
              code: EXIT_STATUS[signal],
              signal: null,
              stdout: "",
              stderr: `dagrun: interrupted while ${waitedFor}; ${done}\n`,
            },
          );
        } finally {
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
