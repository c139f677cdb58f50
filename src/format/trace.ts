/**
 * Chrome trace-event JSON of a run, for Perfetto (<https://ui.perfetto.dev>) and
 * `chrome://tracing`: one complete (`"ph": "X"`) event per task that ran, on lanes such that
 * tasks overlapping in time never share one.
 *
 * @module
 */

import type { Timeline } from "./timeline.ts";

/** One event of the trace-event format. */
export interface TraceEvent {
  /** Task name (or the metadata name). */
  readonly name: string;
  /** Category: the task type. */
  readonly cat: string;
  /** Phase: `X` for a complete event, `M` for metadata. */
  readonly ph: "X" | "M";
  /** Start, µs since the run started. */
  readonly ts: number;
  /** Duration in µs (complete events). */
  readonly dur?: number;
  /** Process id; always 1. */
  readonly pid: number;
  /** Thread id: the lane, from 1. */
  readonly tid: number;
  /** Status, exit code, command, or the metadata's value. */
  readonly args?: Record<string, unknown>;
}

/**
 * Builds the trace of a finished run. Lanes are assigned greedily by start time, each task
 * taking the lowest lane free at its start, which uses as few lanes as the peak concurrency.
 *
 * @example
 * ```ts
 * import { toTraceEvents } from "./trace.ts";
 * toTraceEvents({ start: 0, end: 0, tasks: [] }); // { traceEvents: [...metadata] }
 * ```
 */
export function toTraceEvents(timeline: Timeline): { traceEvents: TraceEvent[] } {
  const ran = timeline.tasks
    .filter((task) =>
      task.start !== undefined && task.end !== undefined &&
      task.status !== "skipped"
    )
    .sort((a, b) => a.start! - b.start! || a.end! - b.end!);
  const laneEnds: number[] = [];
  const micros = (time: number) => Math.round((time - timeline.start) * 1000);
  const events: TraceEvent[] = [
    {
      name: "process_name",
      cat: "__metadata",
      ph: "M",
      ts: 0,
      pid: 1,
      tid: 0,
      args: { name: "dagrun" },
    },
  ];
  for (const task of ran) {
    const ts = micros(task.start!), end = Math.max(ts, micros(task.end!));
    let lane = laneEnds.findIndex((laneEnd) => laneEnd <= ts);
    if (lane === -1) lane = laneEnds.push(0) - 1;
    laneEnds[lane] = end;
    events.push({
      name: task.name,
      cat: task.type,
      ph: "X",
      ts,
      dur: end - ts,
      pid: 1,
      tid: lane + 1,
      args: {
        status: task.status,
        ...(task.exitCode === undefined ? {} : { exitCode: task.exitCode }),
        ...(task.detail === undefined ? {} : { error: task.detail }),
        arguments: task.arguments,
      },
    });
  }
  laneEnds.forEach((_, lane) =>
    events.push({
      name: "thread_name",
      cat: "__metadata",
      ph: "M",
      ts: 0,
      pid: 1,
      tid: lane + 1,
      args: { name: `lane ${lane + 1}` },
    })
  );
  return { traceEvents: events };
}
