/**
 * The benchmark suite: `deno task bench [--quick] [--only NAME[,NAME]] [--runs N] [--out DIR]`.
 *
 * Runs dagrun, `make -j` and `ninja` on the same generated graphs, alternately, and writes
 * medians and ratios to `bench/results/` as JSON and as a dated Markdown table. `--quick`
 * runs small graphs once and writes nothing unless `--out` is given.
 *
 * @module
 */

import { BUNDLE, staleness } from "../dist/build.ts";
import { ROOT } from "./measure.ts";
import { type SuiteOptions, type WorkloadResult, WORKLOADS } from "./suite.ts";

/** What the suite's command line asks for. */
export interface BenchArgs {
  /** Small graphs, one run. */
  readonly quick: boolean;
  /** Workload names to run; all when empty. */
  readonly only: readonly string[];
  /** Timed repetitions per tool. */
  readonly runs: number;
  /** Where results go; none for a quick run unless given. */
  readonly out: string | undefined;
}

/** Parses the suite's arguments. */
export function parseBenchArgs(args: readonly string[]): BenchArgs {
  let quick = false, runs: number | undefined, out: string | undefined;
  const only: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`Missing a value after '${arg}'`);
      return next;
    };
    if (arg === "--quick") quick = true;
    else if (arg === "--only") only.push(...value().split(","));
    else if (arg === "--runs") runs = Number(value());
    else if (arg === "--out") out = value();
    else throw new Error(`Unknown argument '${arg}'`);
  }
  const unknown = only.filter((name) => !WORKLOADS.some((workload) => workload.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown workload '${unknown[0]}': expected one of ${
        WORKLOADS.map((w) => w.name).join(", ")
      }`,
    );
  }
  runs ??= quick ? 1 : 5;
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`Invalid --runs '${runs}'`);
  return { quick, only, runs, out: out ?? (quick ? undefined : `${ROOT}bench/results`) };
}

/** Runs the selected workloads, printing each result as it comes. */
export async function runSuite(
  args: BenchArgs,
  log: (text: string) => void = console.log,
): Promise<WorkloadResult[]> {
  const workDir = await Deno.makeTempDir({ prefix: "dagrun-bench-" });
  const options: SuiteOptions = { workDir, runs: args.runs, quick: args.quick };
  const results: WorkloadResult[] = [];
  try {
    for (const workload of WORKLOADS) {
      if (args.only.length > 0 && !args.only.includes(workload.name)) continue;
      log(`# ${workload.name}`);
      const result = await workload.run(options);
      log(formatWorkload(result));
      results.push(result);
    }
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
  return results;
}

/** A workload's result as a Markdown table with its notes. */
export function formatWorkload(result: WorkloadResult): string {
  const lines = [
    `### ${result.name}: ${result.description}`,
    "",
    "| tool / figure | median | unit | dagrun ÷ this | one round's, from–to |",
    "|---|---:|---|---:|---:|",
    ...result.metrics.map((metric) =>
      `| ${metric.label} | ${format(metric.value)} | ${metric.unit} | ${
        metric.ratio === undefined ? "" : format(metric.ratio)
      } | ${metric.ratioRange ? metric.ratioRange.map(format).join("–") : ""} |`
    ),
    "",
    ...result.notes.map((note) => `- ${note}`),
  ];
  return lines.join("\n") + "\n";
}

function format(value: number): string {
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(3);
}

/** The machine and versions the figures were measured on. */
function environment() {
  const versions = (program: string, args: string[]) => {
    try {
      const output = new Deno.Command(program, { args, stdout: "piped", stderr: "null" })
        .outputSync();
      return new TextDecoder().decode(output.stdout).split("\n")[0]!.trim();
    } catch {
      return "missing";
    }
  };
  return {
    deno: Deno.version.deno,
    make: versions("make", ["--version"]),
    ninja: versions("ninja", ["--version"]),
    cpus: navigator.hardwareConcurrency,
    loadAverage: Deno.loadavg(),
    os: `${Deno.build.os} ${Deno.osRelease()}`,
  };
}

/** Writes `DATE.json` and `DATE.md` (and `latest.json`) into `dir`. */
export async function writeResults(
  dir: string,
  args: BenchArgs,
  results: readonly WorkloadResult[],
): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const env = environment();
  const json = JSON.stringify(
    { date: new Date().toISOString(), args, environment: env, results },
    null,
    2,
  );
  const markdown = [
    `# dagrun benchmarks, ${date}`,
    "",
    `Deno ${env.deno}, ${env.make}, ninja ${env.ninja}, ${env.cpus} CPUs, ${env.os}; ` +
    `load average at the end ${env.loadAverage.map((n) => n.toFixed(2)).join(" ")}. ` +
    `Medians of ${args.runs} alternating runs; \`deno task bench\`.`,
    "",
    ...results.map(formatWorkload),
  ].join("\n");
  const paths = [`${dir}/${date}.json`, `${dir}/${date}.md`, `${dir}/latest.json`];
  await Deno.writeTextFile(paths[0]!, json + "\n");
  await Deno.writeTextFile(paths[1]!, markdown);
  await Deno.writeTextFile(paths[2]!, json + "\n");
  return paths;
}

const USAGE = `Usage: deno task bench [--quick] [--only NAME[,NAME]] [--runs N] [--out DIR]

  --quick        small graphs, one run each; writes nothing unless --out is given
  --only NAMES   run only these workloads: ${WORKLOADS.map((w) => w.name).join(", ")}
  --runs N       timed runs per tool (default 5)
  --out DIR      where results go (default bench/results)`;

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  let args: BenchArgs;
  try {
    args = parseBenchArgs(Deno.args);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    Deno.exit(2);
  }
  // The suite runs the bundle: measuring one older than the sources would mislead.
  const stale = await staleness(await Deno.readTextFile(BUNDLE).catch(() => ""));
  if (stale) {
    console.error(`bench: ${stale}`);
    Deno.exit(2);
  }
  const results = await runSuite(args);
  if (args.out) {
    for (const path of await writeResults(args.out, args, results)) console.log(`wrote ${path}`);
  }
}
