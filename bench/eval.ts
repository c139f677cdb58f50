/**
 * Benchmark of eval tasks: N trivial snippets (`1 + 1`) through the library's `run()`, with
 * pooled and with fresh workers, against the assignment's Python way (`exec` in threads via
 * `loop.run_in_executor`, `bench/eval_baseline.py`) measured in the same run.
 *
 * Per-task overhead past start-up is `(time(N tasks) - time(1 task)) / (N - 1)`: the 1-task
 * run pays the same start-up (pool, interpreter), so the difference is what each task costs.
 * Each time is the median of `repeats` runs.
 *
 * ```sh
 * deno run -A bench/eval.ts            # 2,000 tasks
 * deno run -A bench/eval.ts 500        # another count
 * ```
 *
 * @module
 */

import { createDefaultRegistry, run } from "../mod.ts";
import type { EvalIsolation } from "../executors/eval.ts";
import { median } from "./measure.ts";

/** Times of one way of running snippets. */
export interface EvalBenchFigure {
  /** What ran: `pooled`, `fresh` or `python`. */
  readonly name: string;
  /** Tasks in the large run. */
  readonly tasks: number;
  /** Median wall time of a 1-task run, in milliseconds. */
  readonly oneTaskMs: number;
  /** Median wall time of the large run, in milliseconds. */
  readonly allTasksMs: number;
  /** Cost of each task past start-up, in milliseconds. */
  readonly perTaskMs: number;
}

/** Options of {@linkcode benchEval}. */
export interface EvalBenchOptions {
  /** Trivial tasks per pooled (and Python) run; 2,000 by default. */
  readonly tasks?: number;
  /** Tasks per fresh run; 200 by default (each costs a worker start, ~12–30 ms of a core). */
  readonly freshTasks?: number;
  /** Runs per figure, of which the median is kept; 5 by default (1 for fresh). */
  readonly repeats?: number;
  /** Also time the Python baseline (needs `python3`); true by default. */
  readonly python?: boolean;
}

/**
 * Runs the eval benchmark and returns its figures: pooled, fresh and, when `python3` is
 * there, the Python baseline.
 *
 * @example
 * ```ts
 * import { benchEval } from "./eval.ts";
 * const figures = await benchEval({ tasks: 200, freshTasks: 20, repeats: 1 });
 * console.log(figures.map((f) => `${f.name}: ${f.perTaskMs.toFixed(3)} ms/task`));
 * ```
 */
export async function benchEval(options: EvalBenchOptions = {}): Promise<EvalBenchFigure[]> {
  const tasks = options.tasks ?? 2000;
  const repeats = options.repeats ?? 5;
  const figures = [
    await measure("pooled", tasks, repeats, (n) => timeRun(n, "pooled")),
    await measure(
      "fresh",
      options.freshTasks ?? Math.min(tasks, 200),
      1,
      (n) => timeRun(n, "fresh"),
    ),
  ];
  if (options.python ?? true) {
    const python = await measure("python", tasks, repeats, timePython).catch(() => undefined);
    if (python) figures.push(python);
  }
  return figures;
}

async function measure(
  name: string,
  tasks: number,
  repeats: number,
  time: (tasks: number) => Promise<number>,
): Promise<EvalBenchFigure> {
  const one: number[] = [];
  const all: number[] = [];
  for (let i = 0; i < repeats; i++) {
    one.push(await time(1));
    all.push(await time(tasks));
  }
  const oneTaskMs = median(one);
  const allTasksMs = median(all);
  return { name, tasks, oneTaskMs, allTasksMs, perTaskMs: (allTasksMs - oneTaskMs) / (tasks - 1) };
}

/** Wall time of `run()` over `count` trivial eval tasks, pool start-up included. */
async function timeRun(count: number, isolation: EvalIsolation): Promise<number> {
  const tasks = Array.from({ length: count }, (_, i) => ({
    name: `t${i}`,
    type: "eval",
    arguments: "1 + 1",
  }));
  const registry = createDefaultRegistry({ eval: { isolation } });
  const started = performance.now();
  const report = await run(tasks, { registry });
  const ms = performance.now() - started;
  if (!report.ok) throw new Error(`Benchmark run failed: ${JSON.stringify(report.counts)}`);
  return ms;
}

const BASELINE = new URL("./eval_baseline.py", import.meta.url);

/** Time the Python program reports for `count` snippets (interpreter start-up excluded). */
async function timePython(count: number): Promise<number> {
  const output = await new Deno.Command("python3", {
    args: [BASELINE.pathname, String(count)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error("python3 eval_baseline.py failed");
  return JSON.parse(new TextDecoder().decode(output.stdout)).ms;
}

/** The figures as a table. */
export function formatEvalBench(figures: readonly EvalBenchFigure[]): string {
  const rows = figures.map((f) =>
    `${f.name.padEnd(7)} ${String(f.tasks).padStart(6)} ${f.oneTaskMs.toFixed(1).padStart(10)} ` +
    `${f.allTasksMs.toFixed(1).padStart(10)} ${f.perTaskMs.toFixed(3).padStart(10)}`
  );
  return ["mode     tasks   1 task ms  all ms     ms/task", ...rows].join("\n");
}

const USAGE = "Usage: deno run -A bench/eval.ts [TASKS]   (default 2000; at least 2)";

if (import.meta.main) {
  const [argument] = Deno.args;
  if (argument === "--help" || argument === "-h") {
    console.log(USAGE);
    Deno.exit(0);
  }
  const tasks = argument === undefined ? 2000 : Number(argument);
  if (!Number.isInteger(tasks) || tasks < 2 || Deno.args.length > 1) {
    console.error(
      `bench/eval.ts: expected one task count of at least 2, got ${Deno.args.join(" ")}`,
    );
    console.error(USAGE);
    Deno.exit(2);
  }
  console.log(formatEvalBench(await benchEval({ tasks })));
  // A worker may outlive terminate(); the benchmark is over.
  Deno.exit(0);
}
