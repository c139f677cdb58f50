/**
 * The benchmark workloads: each writes its graph for every tool, runs the tools alternately
 * and returns medians and ratios.
 *
 * @module
 */

import {
  alternate,
  available,
  CLI,
  dagrun,
  median,
  MOD,
  ROOT,
  timeCommand,
  timeToLine,
  type ToolCommand,
} from "./measure.ts";
import {
  type BenchTask,
  chain,
  independent,
  layered,
  makespanBound,
  randomSleeps,
  writeWorkload,
} from "./workloads.ts";
import type { OverheadSample } from "./scheduler_overhead.ts";
import { benchEval } from "./eval.ts";

/** One measured figure. */
export interface Metric {
  /** What it measures, such as `dagrun` or `make -j 8`. */
  readonly label: string;
  /** The median. */
  readonly value: number;
  /** Its unit, such as `ms` or `µs/hop`. */
  readonly unit: string;
  /** The raw samples, when there are several. */
  readonly samples?: readonly number[];
  /** This figure divided by the reference figure of the workload (dagrun ÷ peer). */
  readonly ratio?: number;
  /**
   * The smallest and largest ratio of single rounds: each round runs every tool once, one
   * after the other, so a round's ratio compares runs made under the same load. The spread
   * says how far one run's ratio can stray from the medians'.
   */
  readonly ratioRange?: readonly [number, number];
}

/** The outcome of one workload. */
export interface WorkloadResult {
  /** Short name, used by `--only`. */
  readonly name: string;
  /** What was run. */
  readonly description: string;
  /** The figures. */
  readonly metrics: Metric[];
  /** Skipped peers, targets and other remarks. */
  readonly notes: string[];
}

/** Settings shared by all workloads. */
export interface SuiteOptions {
  /** Where generated files go. */
  readonly workDir: string;
  /** Timed repetitions per tool. */
  readonly runs: number;
  /** Smaller graphs for a smoke run. */
  readonly quick: boolean;
}

/** A workload of the suite. */
export interface Workload {
  /** Short name. */
  readonly name: string;
  /** Runs it. */
  readonly run: (options: SuiteOptions) => Promise<WorkloadResult>;
}

/** The peers available on this machine, and notes for the missing ones. */
function peers(dir: string, jobs: number, notes: string[]): ToolCommand[] {
  const found: ToolCommand[] = [];
  if (available("make")) {
    found.push({
      tool: `make -j ${jobs}`,
      program: "make",
      args: ["-s", "-j", `${jobs}`],
      cwd: dir,
    });
  } else notes.push("make is not installed: skipped");
  if (available("ninja")) {
    found.push({
      tool: `ninja -j ${jobs}`,
      program: "ninja",
      args: ["-j", `${jobs}`],
      cwd: dir,
      // ninja's log would otherwise grow with every run.
      reset: () => Deno.remove(`${dir}/.ninja_log`).catch(() => {}),
    });
  } else notes.push("ninja is not installed (apt-get install ninja-build): skipped");
  return found;
}

/** Writes a graph and times dagrun and the peers on it, alternately. */
async function compare(
  dir: string,
  tasks: readonly BenchTask[],
  jobs: number,
  runs: number,
  notes: string[],
  dagrunArgs: readonly string[] = [],
): Promise<Map<string, number[]>> {
  const paths = await writeWorkload(dir, tasks);
  const commands = [
    { ...dagrun(paths.taskFile, dir, ["-j", `${jobs}`, ...dagrunArgs]), tool: `dagrun -j ${jobs}` },
    ...peers(dir, jobs, notes),
  ];
  return await alternate(commands, runs);
}

/**
 * Metrics from samples taken in rounds (see `alternate`), each with its ratio to the first
 * (dagrun's): the ratio of the medians, and the range of the rounds' ratios.
 */
export function metrics(
  samples: Map<string, number[]>,
  unit: string,
  transform: (ms: number, tool: string) => number = (ms) => ms,
): Metric[] {
  const list = [...samples].map(([label, values]) => ({
    label,
    value: transform(median(values), label),
    unit,
    samples: values.map((value) => Number(value.toFixed(3))),
    rounds: values.map((value) => transform(value, label)),
  }));
  const reference = list[0]!;
  return list.map(({ rounds, ...metric }, i) => {
    if (i === 0) return metric;
    const ratios = rounds.map((value, round) => reference.rounds[round]! / value);
    return {
      ...metric,
      ratio: reference.value / metric.value,
      ratioRange: [Math.min(...ratios), Math.max(...ratios)] as const,
    };
  });
}

const hop: Workload = {
  name: "hop",
  async run({ workDir, runs, quick }) {
    const notes: string[] = [];
    const length = quick ? 20 : 200;
    const long = await compare(`${workDir}/hop-${length}`, chain(length), 8, runs, notes);
    const one = await compare(`${workDir}/hop-1`, chain(1), 8, runs, []);
    // Per hop: the chain's time less a one-task run's, so start-up is not counted as hops.
    const perHop = new Map([...long].map(([tool, values]) => [tool, values]));
    const result = metrics(perHop, "ms/hop", (ms, tool) => {
      return (ms - median(one.get(tool)!)) / (length - 1);
    });
    notes.push(
      `ms/hop = (median of the ${length}-task chain − median of a 1-task run) / ${length - 1}`,
      ...[...long].map(([tool, values]) =>
        `${tool}: ${median(values).toFixed(1)} ms for the chain, ` +
        `${median(one.get(tool)!).toFixed(1)} ms for one task`
      ),
    );
    return {
      name: "hop",
      description: `hop latency: a chain of ${length} /bin/true tasks`,
      metrics: result,
      notes,
    };
  },
};

const spawn: Workload = {
  name: "spawn",
  async run({ workDir, runs, quick }) {
    const notes: string[] = [];
    const count = quick ? 200 : 2000;
    const samples = await compare(`${workDir}/spawn-${count}`, independent(count), 8, runs, notes);
    const result = metrics(samples, "ms");
    notes.push(
      ...result.map((metric) =>
        `${metric.label}: ${Math.round(count / (metric.value / 1000))} tasks/s (start-up included)`
      ),
    );
    return {
      name: "spawn",
      description: `spawn throughput: ${count} independent /bin/true tasks at -j 8`,
      metrics: result,
      notes,
    };
  },
};

const layeredDag: Workload = {
  name: "layered",
  async run({ workDir, runs, quick }) {
    const notes: string[] = [];
    const count = quick ? 200 : 2000;
    const layers = quick ? 10 : 45;
    const tasks = layered(count, layers);
    const samples = await compare(`${workDir}/layered-${count}`, tasks, 8, runs, notes);
    return {
      name: "layered",
      description: `layered DAG: ${count} /bin/true tasks in ${layers} layers, 1–3 dependencies ` +
        `each on the layer before, at -j 8`,
      metrics: metrics(samples, "ms"),
      notes,
    };
  },
};

const evalThroughput: Workload = {
  name: "eval",
  async run({ workDir, runs, quick }) {
    const count = quick ? 200 : 2000;
    const dir = `${workDir}/eval-${count}`;
    await Deno.mkdir(dir, { recursive: true });
    const taskFile = `${dir}/tasks.json`;
    const tasks = Array.from({ length: count }, (_, i) => ({
      name: `e${i}`,
      type: "eval",
      arguments: "1",
    }));
    await Deno.writeTextFile(taskFile, JSON.stringify({ tasks }));
    const samples = await alternate([{
      ...dagrun(taskFile, dir, ["-j", "8"]),
      tool: "dagrun -j 8",
    }], runs);
    const result = metrics(samples, "ms");
    // Per-task cost past start-up, pooled and fresh workers, beside the Python baseline
    // (asyncio + run_in_executor + exec, as the assignment's program runs snippets).
    const figures = await benchEval({
      tasks: count,
      freshTasks: quick ? 20 : 200,
      repeats: runs,
    });
    const python = figures.find((figure) => figure.name === "python");
    const pooled = figures.find((figure) => figure.name === "pooled")!;
    for (const figure of figures) {
      result.push({
        label: figure.name === "python"
          ? "python threads per task past start-up"
          : `dagrun ${figure.name} per task past start-up`,
        value: figure.perTaskMs,
        unit: "ms/task",
        // The column is dagrun ÷ this: pooled against the Python baseline.
        ...(figure.name === "python" ? { ratio: pooled.perTaskMs / figure.perTaskMs } : {}),
      });
    }
    return {
      name: "eval",
      description:
        `eval throughput: ${count} trivial eval tasks (\`1\`) through the CLI at -j 8, ` +
        "and per-task cost past start-up through the library (bench/eval.ts)",
      metrics: result,
      notes: [
        `${
          Math.round(count / (result[0]!.value / 1000))
        } tasks/s through the CLI (start-up included)`,
        ...(python ? [] : ["python3 missing: no Python baseline"]),
      ],
    };
  },
};

const schedulerOverhead: Workload = {
  name: "scheduler",
  async run({ quick }) {
    const sizes = quick ? [1_000, 10_000] : [10_000, 100_000, 1_000_000];
    const result: Metric[] = [];
    const notes: string[] = [];
    for (const mode of ["schedule", "run"] as const) {
      for (const size of sizes) {
        const sample = await overheadSample(size, mode);
        const label = `${mode}() ${size.toLocaleString("en")} tasks`;
        result.push(
          { label, value: sample.usPerTask, unit: "µs/task (wall)" },
          { label, value: sample.cpuUsPerTask, unit: "µs/task (CPU)" },
          { label, value: sample.bytesPerTask, unit: "B/task peak" },
        );
        notes.push(
          `${mode}() ${size} tasks, ${sample.edges} edges, mean of ${sample.runs} runs: ` +
            `${sample.ms.toFixed(0)} ms, ` +
            `${sample.usPerTask.toFixed(2)} µs/task, ${
              Math.round(sample.bytesPerTask)
            } B/task peak`,
        );
      }
    }
    return {
      name: "scheduler",
      description: "scheduler overhead: ~3 dependencies per task, a no-op executor, -j 8, " +
        "one subprocess per size (peak memory is above the process's baseline, graph included)",
      metrics: result,
      notes: [
        "timed: each whole call as a library user makes it, schedule(tasks) alone, or " +
        "run(tasks) (checking the task objects as a task file, names, dependencies, cycles " +
        "and types, the critical-path priority, then scheduling), garbage collection included; " +
        "code warmed on a 10,000-task graph first; mean of the runs",
        ...overheadRatios(result),
        ...notes,
      ],
    };
  },
};

/** Per mode, the growth per task from the smallest size to the largest. */
function overheadRatios(metrics: readonly Metric[]): string[] {
  const notes: string[] = [];
  for (const mode of ["schedule", "run"]) {
    const wall = metrics.filter((m) => m.label.startsWith(`${mode}()`) && m.unit.includes("wall"));
    if (wall.length < 2) continue;
    const ratio = wall[wall.length - 1]!.value / wall[0]!.value;
    notes.push(
      `${mode}(): ${ratio.toFixed(2)}× per task from ${wall[0]!.label.split(" ")[1]} to ${
        wall[wall.length - 1]!.label.split(" ")[1]
      } tasks`,
    );
  }
  return notes;
}

async function overheadSample(size: number, mode: "schedule" | "run"): Promise<OverheadSample> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--v8-flags=--expose-gc",
      `${ROOT}bench/scheduler_overhead.ts`,
      `${size}`,
      mode,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`scheduler_overhead.ts ${size} ${mode} failed`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

const makespan: Workload = {
  name: "makespan",
  async run({ workDir, runs, quick }) {
    const count = quick ? 30 : 300;
    const dir = `${workDir}/makespan-${count}`;
    const tasks = randomSleeps(count);
    const { criticalPath, totalWork, bound } = makespanBound(tasks, 4);
    const paths = await writeWorkload(dir, tasks);
    const history = `${dir}/.dagrun_history.json`;
    const notes: string[] = [];
    const withHistory = {
      ...dagrun(paths.taskFile, dir, ["-j", "4"]),
      tool: "dagrun -j 4 (history)",
    };
    const commands: ToolCommand[] = [
      withHistory,
      {
        ...dagrun(paths.taskFile, dir, ["-j", "4", "--no-history"]),
        tool: "dagrun -j 4 (no history)",
      },
      ...peers(dir, 4, notes),
    ];
    await Deno.remove(history).catch(() => {});
    // One untimed run records the history the timed ones read (and go on updating); the
    // runs are long, so nothing else is warmed up.
    await timeCommand(withHistory);
    const samples = await alternate(commands, Math.min(runs, quick ? 1 : 2), timeCommand, false);
    const result = [...samples].map(([label, values]) => ({
      label,
      value: median(values) / 1000 / bound,
      unit: "× bound",
      samples: values.map((ms) => Number((ms / 1000).toFixed(3))),
    }));
    notes.push(
      `lower bound max(critical path ${criticalPath.toFixed(2)} s, total work ` +
        `${totalWork.toFixed(2)} s / 4) = ${
          bound.toFixed(2)
        } s; samples are seconds of wall time, ` +
        "process start-up included",
    );
    return {
      name: "makespan",
      description: `makespan: a random ${count}-task DAG of sleep 0.05–0.4 s at -j 4`,
      metrics: result,
      notes,
    };
  },
};

const startup: Workload = {
  name: "startup",
  async run({ workDir, runs }) {
    const dir = `${workDir}/startup`;
    const paths = await writeWorkload(dir, chain(1));
    const empty = `${dir}/empty.ts`;
    await Deno.writeTextFile(empty, "");
    const runsHere = Math.max(runs, 5);
    const bundled = "dagrun to first Started:";
    const fromSources = "mod.ts (the sources) to first Started:";
    const samples = new Map<string, number[]>([
      [bundled, []],
      ["deno run empty.ts", []],
      [fromSources, []],
    ]);
    const first = dagrun(paths.taskFile, dir, []);
    const firstFromSources = dagrun(paths.taskFile, dir, [], MOD);
    const bare: ToolCommand = {
      tool: "deno",
      program: Deno.execPath(),
      args: ["run", "-A", "--quiet", empty],
      cwd: dir,
    };
    await timeToLine(first, "Started:");
    await timeCommand(bare);
    await timeToLine(firstFromSources, "Started:");
    for (let run = 0; run < runsHere; run++) {
      samples.get(bundled)!.push(await timeToLine(first, "Started:"));
      samples.get("deno run empty.ts")!.push(await timeCommand(bare));
      samples.get(fromSources)!.push(await timeToLine(firstFromSources, "Started:"));
    }
    return {
      name: "startup",
      description: "start-up: process start to the first `Started:` line, against an empty " +
        "`deno run`",
      metrics: metrics(samples, "ms"),
      notes: [
        `dagrun is run as \`deno run -A ${CLI.replace(ROOT, "")} FILE\` (the bundle ` +
        `\`deno task build\` makes), and from the sources as \`deno run -A ` +
        `${MOD.replace(ROOT, "")} FILE\``,
      ],
    };
  },
};

/** Every workload, in the order the suite runs them. */
export const WORKLOADS: readonly Workload[] = [
  hop,
  spawn,
  layeredDag,
  evalThroughput,
  schedulerOverhead,
  makespan,
  startup,
];
