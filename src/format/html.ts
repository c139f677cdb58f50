/**
 * `--report-html`: a self-contained HTML page of a finished run. One bar per task on a time
 * axis, coloured by status; lines from each dependency's end to its dependent's start; the
 * critical path outlined; a tooltip (SVG `<title>`) with command, exit code and duration;
 * the tail of every task's output below. The SVG is drawn here, not by a script, so the page
 * needs no network and its bars can be checked in the DOM. Every piece of user text goes
 * through {@linkcode escapeHtml}.
 *
 * @module
 */

import { criticalPath } from "../critical_path.ts";
import { ANSI_CSS, createAnsiRenderer, escapeHtml } from "./ansi_html.ts";
import { STATUS_COLORS } from "./graph.ts";
import { formatDuration } from "./human.ts";
import { durationsOf, type TaskRecord, type Timeline } from "./timeline.ts";
import { printable, printableKey } from "./printable.ts";

const LABEL_WIDTH = 200, CHART_WIDTH = 880, ROW = 26, BAR = 16, TOP = 30;

/**
 * Renders the page.
 *
 * @example
 * ```ts
 * import { renderHtmlReport } from "./html.ts";
 * const html = renderHtmlReport({ start: 0, end: 10, tasks: [] }, "tasks.json");
 * html.startsWith("<!DOCTYPE html>"); // true
 * ```
 */
export function renderHtmlReport(timeline: Timeline, title: string): string {
  const total = Math.max(1, timeline.end - timeline.start);
  const scale = CHART_WIDTH / total;
  const x = (time: number) => LABEL_WIDTH + (time - timeline.start) * scale;
  const rowOf = new Map(timeline.tasks.map((task, i) => [task.name, i]));
  const y = (row: number) => TOP + row * ROW;
  const critical = criticalPath(timeline.tasks, durationsOf(timeline)).tasks;
  const onPath = new Set(critical);
  const height = TOP + timeline.tasks.length * ROW + 10;

  const parts: string[] = [];
  parts.push(axis(total, (t) => x(timeline.start + t), height));
  timeline.tasks.forEach((task, row) => parts.push(label(task, y(row))));
  for (const task of timeline.tasks) {
    for (const dependency of task.dependencies) {
      const from = timeline.tasks[rowOf.get(dependency) ?? -1];
      if (from?.end === undefined || task.end === undefined) continue;
      const x1 = x(from.end), y1 = y(rowOf.get(dependency)!) + ROW / 2;
      const x2 = x(task.start ?? task.end), y2 = y(rowOf.get(task.name)!) + ROW / 2;
      const isCritical = onPath.has(task.name) && onPath.has(dependency) &&
        critical.indexOf(dependency) === critical.indexOf(task.name) - 1;
      parts.push(
        `<path class="dep${isCritical ? " critical" : ""}" data-from="${
          escapeHtml(printableKey(dependency))
        }" data-to="${escapeHtml(printableKey(task.name))}" d="M${n(x1)},${n(y1)} C${n(x1 + 12)},${
          n(y1)
        } ${n(x2 - 12)},${n(y2)} ${n(x2)},${n(y2)}"/>`,
      );
    }
  }
  timeline.tasks.forEach((task, row) => parts.push(bar(task, y(row), x, onPath.has(task.name))));

  const svg = `<svg xmlns="http://www.w3.org/2000/svg" id="timeline" width="${
    LABEL_WIDTH + CHART_WIDTH + 20
  }" height="${height}" data-duration-ms="${n(total)}">\n${parts.join("\n")}\n</svg>`;
  return page(title, timeline, total, critical, svg);
}

function page(
  title: string,
  timeline: Timeline,
  total: number,
  critical: readonly string[],
  svg: string,
): string {
  const counts = { ok: 0, failed: 0, skipped: 0 };
  for (const task of timeline.tasks) if (task.status in counts) counts[task.status as "ok"]++;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dagrun: ${escapeHtml(printable(title))}</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 16px; margin: 0 0 4px; }
p.summary { margin: 0 0 8px; color: #555; }
svg text { font: 12px sans-serif; fill: #222; }
.grid { stroke: #e5e5e5; }
.bar { stroke: #0003; }
.bar.critical { stroke: #6a1b9a; stroke-width: 3; }
.ok { fill: ${STATUS_COLORS.ok}; } .failed { fill: ${STATUS_COLORS.failed}; }
.skipped { fill: ${STATUS_COLORS.skipped}; }
.dep { fill: none; stroke: #9e9e9e; stroke-width: 1; }
.dep.critical { stroke: #6a1b9a; stroke-width: 2; }
.dep.hl { stroke: #1565c0; stroke-width: 2.5; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 6px; border-radius: 3px; }
pre { background: #f6f6f6; padding: 6px; overflow-x: auto; max-height: 20em; }
${ANSI_CSS}
</style>
</head>
<body>
<h1>dagrun: ${escapeHtml(printable(title))}</h1>
<p class="summary">${timeline.tasks.length} ${
    timeline.tasks.length === 1 ? "task" : "tasks"
  }: ${counts.ok} ok, ${counts.failed} failed, ${counts.skipped} skipped in ${
    formatDuration(total)
  } &middot; critical path: ${
    critical.map((name) => escapeHtml(printable(name))).join(" &rarr; ") || "none"
  }</p>
<p class="legend"><span style="background:${STATUS_COLORS.ok}">ok</span><span style="background:${STATUS_COLORS.failed}">failed</span><span style="background:${STATUS_COLORS.skipped}">skipped</span><span style="outline:3px solid #6a1b9a">critical path</span> hover a bar for details</p>
${svg}
<h2>Output</h2>
${timeline.tasks.map(outputBlock).join("\n")}
<script>
// Hovering a bar highlights its dependency lines.
document.documentElement.dataset.interactive = "true";
for (const bar of document.querySelectorAll(".bar")) {
  const name = bar.dataset.task;
  const lines = [...document.querySelectorAll(".dep")].filter((line) =>
    line.dataset.from === name || line.dataset.to === name);
  bar.addEventListener("mouseenter", () => lines.forEach((line) => line.classList.add("hl")));
  bar.addEventListener("mouseleave", () => lines.forEach((line) => line.classList.remove("hl")));
}
</script>
</body>
</html>
`;
}

/** Grid lines and labels; `x` maps ms since the start to a position. */
function axis(total: number, x: (offset: number) => number, height: number): string {
  const step = niceStep(total / 8);
  const ticks: string[] = [];
  for (let t = 0; t <= total + 1e-9; t += step) {
    const at = n(x(t));
    ticks.push(
      `<line class="grid" x1="${at}" y1="${TOP - 6}" x2="${at}" y2="${height}"/>` +
        `<text x="${at}" y="${TOP - 10}" text-anchor="middle">${formatDuration(t)}</text>`,
    );
  }
  return `<g class="axis">${ticks.join("")}</g>`;
}

/** 1, 2 or 5 times a power of ten, at least `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1e-3)));
  for (const factor of [1, 2, 5, 10]) if (factor * power >= rough) return factor * power;
  return 10 * power;
}

function label(task: TaskRecord, top: number): string {
  return `<text class="label" x="6" y="${n(top + ROW / 2 + 4)}">${
    escapeHtml(clip(task.name))
  }</text>`;
}

function bar(task: TaskRecord, top: number, x: (time: number) => number, critical: boolean) {
  const status = task.status === "pending" || task.status === "running" ? "skipped" : task.status;
  // The key the page's script matches dependency lines on: no control character (invalid in
  // HTML, and NUL or a lone surrogate would come out as U+FFFD, one key for several tasks).
  const attributes = `data-task="${escapeHtml(printableKey(task.name))}" data-status="${status}"`;
  if (task.start === undefined) {
    // Never ran: a small diamond where it was skipped (or taken as done from a report).
    const cx = n(x(task.end ?? 0));
    const why = task.resumed
      ? "resumed: ok in the earlier run"
      : `skipped: ${printable(task.detail ?? "")}`;
    return `<g class="skip" ${attributes}><path class="skipped" d="M${cx},${n(top + 5)} l6,${
      ROW / 2 - 5
    } l-6,${ROW / 2 - 5} l-6,${-(ROW / 2 - 5)} z"/><title>${
      escapeHtml(`${printable(task.name)}\n${why}`)
    }</title></g>`;
  }
  const duration = (task.end ?? task.start) - task.start;
  const tip = [
    printable(task.name),
    `command: ${
      printable(
        typeof task.arguments === "string" ? task.arguments : JSON.stringify(task.arguments),
      )
    }`,
    `status: ${status}${task.exitCode === undefined ? "" : `, exit code ${task.exitCode}`}`,
    `duration: ${formatDuration(duration)}`,
    ...(task.detail ? [`error: ${printable(task.detail)}`] : []),
  ].join("\n");
  return `<rect class="bar ${status}${critical ? " critical" : ""}" ${attributes} data-start-ms="${
    n(task.start)
  }" data-duration-ms="${n(duration)}" x="${n(x(task.start))}" y="${
    n(top + (ROW - BAR) / 2)
  }" width="${
    n(Math.max(1, x(task.start + duration) - x(task.start)))
  }" height="${BAR}" rx="3"><title>${escapeHtml(tip)}</title></rect>`;
}

function outputBlock(task: TaskRecord): string {
  if (task.output.length === 0) return "";
  const dropped = task.droppedBytes > 0
    ? `… ${task.droppedBytes.toLocaleString("en-US")} bytes left out\n`
    : "";
  // Colours as the terminal showed them, each stream keeping its own from line to line (a
  // colour set in lines left out is not known).
  const renderers = { stdout: createAnsiRenderer(), stderr: createAnsiRenderer() };
  const html = task.output.map((line) => renderers[line.stream].line(line.text, line.continues))
    .join("\n");
  return `<details${task.status === "failed" ? " open" : ""}><summary>${
    escapeHtml(printable(task.name))
  } (${task.status})</summary><pre>${escapeHtml(dropped)}${html}</pre></details>`;
}

/** A label of at most 28 characters, counted in code points so as not to split one. */
function clip(name: string): string {
  const characters = [...printable(name)];
  return characters.length > 28 ? characters.slice(0, 27).join("") + "…" : characters.join("");
}

function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}
