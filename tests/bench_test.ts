// Keeps the benchmark suite from rotting: its generators, its arguments and one quick workload.
import assert from "node:assert/strict";
import {
  chain,
  layered,
  makespanBound,
  randomSleeps,
  toMakefile,
  toNinja,
  toTaskFile,
} from "../bench/workloads.ts";
import { formatWorkload, parseBenchArgs, runSuite } from "../bench/main.ts";
import { measureOverhead } from "../bench/scheduler_overhead.ts";
import { metrics } from "../bench/suite.ts";

Deno.test("bench layered() builds layers depending on 1-3 tasks of the layer before", () => {
  const tasks = layered(2000, 45);
  assert.equal(tasks.length, 2000);
  const layerOf = new Int32Array(tasks.length);
  tasks.forEach((task, i) => {
    if (task.dependencies.length === 0) return;
    assert.ok(task.dependencies.length >= 1 && task.dependencies.length <= 3);
    const layers = new Set(task.dependencies.map((d) => layerOf[d]!));
    assert.equal(layers.size, 1);
    layerOf[i] = layerOf[task.dependencies[0]!]! + 1;
  });
  assert.equal(Math.max(...layerOf), 44);
});

Deno.test("bench writes the same graph for dagrun, make and ninja", () => {
  const tasks = chain(3);
  assert.deepEqual(JSON.parse(toTaskFile(tasks)).tasks[2], {
    name: "t2",
    type: "exec",
    arguments: "/bin/true",
    dependencies: ["t1"],
  });
  assert.match(toMakefile(tasks), /^t2: t1\n\t@\/bin\/true$/m);
  assert.match(toNinja(tasks), /^build t2: run \| t1\n {2}cmd = \/bin\/true$/m);
});

Deno.test("bench makespanBound() is the longer of the critical path and work per slot", () => {
  const tasks = [
    { command: "sleep 1", dependencies: [] },
    { command: "sleep 2", dependencies: [0] },
    { command: "sleep 0.5", dependencies: [] },
  ];
  assert.deepEqual(makespanBound(tasks, 4), { criticalPath: 3, totalWork: 3.5, bound: 3 });
  assert.equal(makespanBound(tasks, 1).bound, 3.5);
  const random = randomSleeps(300);
  assert.deepEqual(random, randomSleeps(300)); // deterministic
  assert.ok(random.every((task, i) => task.dependencies.every((d) => d < i)));
});

Deno.test("bench parses its arguments and rejects unknown workloads", () => {
  assert.deepEqual(parseBenchArgs(["--quick", "--only", "hop,spawn"]), {
    quick: true,
    only: ["hop", "spawn"],
    runs: 1,
    out: undefined,
  });
  assert.throws(() => parseBenchArgs(["--only", "nope"]), /Unknown workload 'nope'/);
  assert.throws(() => parseBenchArgs(["--runs", "0"]), /Invalid --runs/);
});

Deno.test("bench measures scheduler overhead in process", async () => {
  const sample = await measureOverhead(1000, "schedule");
  assert.equal(sample.tasks, 1000);
  assert.equal(sample.edges, 2994);
  assert.ok(sample.usPerTask > 0);
});

Deno.test("bench gives each peer the ratio of the medians and the range of the rounds' ratios", () => {
  // Round by round, dagrun against make: 1.1, 1.5, 1.2; medians 12 and 10.
  const samples = new Map([["dagrun", [11, 15, 12]], ["make", [10, 10, 10]]]);
  const [dagrun, make] = metrics(samples, "ms");
  assert.equal(dagrun!.ratio, undefined);
  assert.equal(dagrun!.ratioRange, undefined);
  assert.equal(make!.ratio, 1.2);
  assert.deepEqual(make!.ratioRange, [1.1, 1.5]);
  // The rounds go through the same transform as the medians (hop: less a one-task run).
  const [, perHop] = metrics(samples, "ms/hop", (ms, tool) => ms - (tool === "make" ? 5 : 6));
  assert.equal(perHop!.ratio, 6 / 5);
  assert.deepEqual(perHop!.ratioRange, [5 / 5, 9 / 5]);
  assert.match(
    formatWorkload({ name: "x", description: "x", metrics: [dagrun!, make!], notes: [] }),
    /^\| make \| 10\.0 \| ms \| 1\.200 \| 1\.100–1\.500 \|$/m,
  );
});

Deno.test("bench runs the quick hop workload against the peers", async () => {
  const [result] = await runSuite(parseBenchArgs(["--quick", "--only", "hop"]), () => {});
  assert.equal(result!.name, "hop");
  assert.equal(result!.metrics[0]!.label, "dagrun -j 8");
  assert.equal(result!.metrics[0]!.unit, "ms/hop");
  // A one-run quick figure may even come out negative on a loaded machine: only the shape counts.
  assert.match(formatWorkload(result!), /^\| dagrun -j 8 \| -?[\d.]+ \| ms\/hop \|/m);
});

Deno.test("bench/eval.ts refuses a count that is not a number in one line, before running anything", async () => {
  for (const args of [["abc"], ["1"], ["10", "20"]]) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../bench/eval.ts", import.meta.url).pathname, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 2, stderr);
    assert.match(stderr, /^bench\/eval\.ts: expected one task count of at least 2, got /);
    assert.doesNotMatch(stderr, /Traceback|^ {4}at /m);
  }
});
