/**
 * The NDJSON formatter: every event as one JSON object per line, nothing else on stdout.
 * The shape is published as `schema/events.schema.json`.
 *
 * @module
 */

import type { RunEvent } from "../types.ts";
import type { TextSink } from "../output.ts";

/**
 * Creates a listener that writes each event as a line of JSON to the sink's stdout.
 *
 * @example
 * ```ts
 * import { createNdjsonFormatter, createSink } from "@dagrun/dagrun";
 *
 * const onEvent = createNdjsonFormatter(createSink());
 * onEvent({ event: "run_started", total: 0, time: Date.now() });
 * ```
 */
export function createNdjsonFormatter(sink: TextSink): (event: RunEvent) => void {
  return (event) => sink.out(JSON.stringify(event) + "\n");
}
