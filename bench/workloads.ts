/**
 * Generated benchmark graphs, and the same graph written as a dagrun task file, a Makefile
 * and a `build.ninja`, so that every tool runs exactly the same commands.
 *
 * @module
 */

/** One node of a generated graph: a shell command and the indices it depends on. */
export interface BenchTask {
  /** The command, identical for every tool. */
  readonly command: string;
  /** Indices of earlier tasks this one depends on. */
  readonly dependencies: readonly number[];
}

/** A small deterministic PRNG (mulberry32), so a workload is the same graph on every run. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A chain: task i depends on task i-1. */
export function chain(length: number, command = "/bin/true"): BenchTask[] {
  return Array.from({ length }, (_, i) => ({ command, dependencies: i === 0 ? [] : [i - 1] }));
}

/** Independent tasks. */
export function independent(count: number, command = "/bin/true"): BenchTask[] {
  return Array.from({ length: count }, () => ({ command, dependencies: [] }));
}

/**
 * `count` tasks in `layers` layers; every task past the first layer depends on 1–3 distinct
 * tasks of the layer before.
 */
export function layered(count: number, layers: number, seed = 1, command = "/bin/true") {
  const next = random(seed);
  const tasks: BenchTask[] = [];
  let previous: number[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const size = Math.floor(count * (layer + 1) / layers) - Math.floor(count * layer / layers);
    const current: number[] = [];
    for (let k = 0; k < size; k++) {
      const dependencies = new Set<number>();
      const wanted = Math.min(previous.length, 1 + Math.floor(next() * 3));
      while (dependencies.size < wanted) {
        dependencies.add(previous[Math.floor(next() * previous.length)]!);
      }
      current.push(tasks.length);
      tasks.push({ command, dependencies: [...dependencies] });
    }
    previous = current;
  }
  return tasks;
}

/**
 * A random DAG of `sleep` tasks: each task depends on up to three random earlier ones
 * (often none, so the graph is wide enough for the limit to matter), sleeping 0.05–0.4 s.
 */
export function randomSleeps(count: number, seed = 7): BenchTask[] {
  const next = random(seed);
  const tasks: BenchTask[] = [];
  for (let i = 0; i < count; i++) {
    const seconds = (0.05 + Math.round(next() * 35) / 100).toFixed(2);
    const dependencies = new Set<number>();
    const wanted = i === 0 ? 0 : Math.floor(next() * 4);
    for (let k = 0; k < wanted; k++) dependencies.add(Math.floor(next() * i));
    tasks.push({ command: `sleep ${seconds}`, dependencies: [...dependencies] });
  }
  return tasks;
}

/** The seconds a `sleep N` command sleeps; 0 for anything else. */
export function sleepSeconds(command: string): number {
  const match = /^sleep (\d+(?:\.\d+)?)$/.exec(command);
  return match ? Number(match[1]) : 0;
}

/**
 * The lower bound on the makespan of a graph on `slots` slots: the longer of its critical
 * path and its total work divided by the slots.
 */
export function makespanBound(tasks: readonly BenchTask[], slots: number): {
  criticalPath: number;
  totalWork: number;
  bound: number;
} {
  // Tasks only depend on earlier ones, so file order is a topological order.
  const finish = new Float64Array(tasks.length);
  let criticalPath = 0, totalWork = 0;
  tasks.forEach((task, i) => {
    const seconds = sleepSeconds(task.command);
    let start = 0;
    for (const dependency of task.dependencies) start = Math.max(start, finish[dependency]!);
    finish[i] = start + seconds;
    criticalPath = Math.max(criticalPath, finish[i]!);
    totalWork += seconds;
  });
  return { criticalPath, totalWork, bound: Math.max(criticalPath, totalWork / slots) };
}

const name = (i: number) => `t${i}`;

/** The graph as a dagrun task file. */
export function toTaskFile(tasks: readonly BenchTask[], type = "exec"): string {
  return JSON.stringify({
    tasks: tasks.map((task, i) => ({
      name: name(i),
      type,
      arguments: task.command,
      dependencies: task.dependencies.map(name),
    })),
  });
}

/**
 * The graph as a Makefile of phony targets, with an `all` target depending on every task.
 * make runs a recipe without a shell when it has no shell syntax, as these have none.
 */
export function toMakefile(tasks: readonly BenchTask[]): string {
  const lines = [
    ".PHONY: all " + tasks.map((_, i) => name(i)).join(" "),
    "all: " + tasks.map((_, i) => name(i)).join(" "),
  ];
  tasks.forEach((task, i) => {
    lines.push(`${name(i)}: ${task.dependencies.map(name).join(" ")}`.trimEnd());
    lines.push(`\t@${task.command}`);
  });
  return lines.join("\n") + "\n";
}

/**
 * The graph as a `build.ninja`. The outputs are never created, so ninja runs every edge on
 * every invocation; dependencies are implicit inputs.
 */
export function toNinja(tasks: readonly BenchTask[]): string {
  const lines = ["rule run", "  command = $cmd", ""];
  tasks.forEach((task, i) => {
    const inputs = task.dependencies.length > 0
      ? ` | ${task.dependencies.map(name).join(" ")}`
      : "";
    lines.push(`build ${name(i)}: run${inputs}`, `  cmd = ${task.command}`);
  });
  lines.push("", `build all: phony ${tasks.map((_, i) => name(i)).join(" ")}`, "default all");
  return lines.join("\n") + "\n";
}

/** Writes the three forms of a graph into `dir`; returns their paths. */
export async function writeWorkload(
  dir: string,
  tasks: readonly BenchTask[],
): Promise<{ taskFile: string; makefile: string; ninja: string }> {
  await Deno.mkdir(dir, { recursive: true });
  const paths = {
    taskFile: `${dir}/tasks.json`,
    makefile: `${dir}/Makefile`,
    ninja: `${dir}/build.ninja`,
  };
  await Deno.writeTextFile(paths.taskFile, toTaskFile(tasks));
  await Deno.writeTextFile(paths.makefile, toMakefile(tasks));
  await Deno.writeTextFile(paths.ninja, toNinja(tasks));
  return paths;
}
