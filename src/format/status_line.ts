/**
 * The live status line, ninja-style: `[done/total] running: a, b, c (+4) 1.2s`, kept as the
 * last line of a terminal below the streaming output and gone when the run ends.
 *
 * It wraps the sink the formatter writes to: before any text goes out the line is erased
 * (`\r` and erase-line), and once the text is out it is drawn again, so output scrolls above
 * it and it never lands in the middle of a task's line. Only for terminals: the caller
 * decides, and never uses it when stdout is a pipe or a file, for NDJSON, or with `--quiet`.
 *
 * @module
 */

import { ERASE_LINE, type TextSink } from "../output.ts";
import type { RunEvent } from "../types.ts";
import { isForegroundJob } from "../process_groups.ts";
import { printable } from "./printable.ts";
import { clipToWidth, displayWidth } from "./display_width.ts";

/** Options of {@linkcode createStatusLine}. */
export interface StatusLineOptions {
  /** The terminal's width in columns; `Deno.consoleSize()` by default. */
  readonly columns?: () => number;
  /** How often the elapsed time is refreshed, in ms; 100 by default. */
  readonly intervalMs?: number;
  /**
   * Whether this process is its terminal's foreground job; asked at each refresh and on
   * resuming. {@linkcode isForegroundJob} by default.
   */
  readonly foreground?: () => boolean;
}

/** A status line bound to a sink. */
export interface StatusLine {
  /** The sink to give the formatter: it erases and redraws the line around each write. */
  readonly sink: TextSink;
  /** Feed it every event before the formatter sees it; `run_ended` erases the line for good. */
  readonly onEvent: (event: RunEvent) => void;
  /** Erases the line and stops the timer (also done on `run_ended`). */
  stop(): void;
  /** Erases the line before the process is suspended (Ctrl-Z). */
  suspend(): void;
  /** Draws it again once the process is continued, if it is in the foreground. */
  resume(): void;
}

/**
 * Creates a status line writing through `sink`.
 *
 * @example
 * ```ts
 * import { createStatusLine } from "./status_line.ts";
 * import { createSink } from "../output.ts";
 * const status = createStatusLine(createSink(), { columns: () => 80 });
 * status.onEvent({ event: "run_started", total: 3, time: Date.now() });
 * status.stop();
 * ```
 */
export function createStatusLine(sink: TextSink, options: StatusLineOptions = {}): StatusLine {
  const columns = options.columns ?? terminalColumns;
  const isForeground = options.foreground ?? isForegroundJob;
  const running = new Set<string>();
  let total = 0, done = 0, startedAt = 0;
  let active = false, drawn = false, redrawQueued = false;
  // A job in the background (`dagrun … &`, or `bg` after Ctrl-Z) writes its output lines as
  // any program does, but no status line: redrawn every 100 ms, it would wipe the line the
  // user is typing at the prompt. Asked at the first draw, not when the run starts: the first
  // call (a permission query, a read of /proc) is not on the way to the first `Started:`.
  let foreground: boolean | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  const render = () =>
    formatStatus(
      done,
      total,
      firstNames(running, 64),
      performance.now() - startedAt,
      columns(),
      running.size,
    );
  const draw = () => {
    redrawQueued = false;
    if (!active || !(foreground ??= isForeground())) return;
    sink.out((drawn ? ERASE_LINE : "") + render());
    drawn = true;
  };
  const erase = () => {
    if (drawn) sink.out(ERASE_LINE);
    drawn = false;
  };
  const queueRedraw = () => {
    if (redrawQueued || !active) return;
    redrawQueued = true;
    // After the sink's own flush of the text just written, which is queued before us.
    queueMicrotask(draw);
  };
  const stop = () => {
    active = false;
    erase();
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const refresh = () => {
    foreground = isForeground();
    if (foreground) draw();
    else erase();
  };
  const write = (text: string, stream: "out" | "err") => {
    erase();
    sink[stream](text);
    queueRedraw();
  };

  const onEvent = (event: RunEvent) => {
    switch (event.event) {
      case "run_started":
        total = event.total;
        startedAt = performance.now();
        active = true;
        timer = setInterval(refresh, options.intervalMs ?? 100);
        // The timer only refreshes the clock; it must not keep the process alive.
        Deno.unrefTimer(timer as unknown as number);
        break;
      case "task_started":
        running.add(event.task);
        break;
      case "task_ended":
        running.delete(event.task);
        done++;
        break;
      case "task_skipped":
        done++;
        break;
      case "run_ended":
        stop();
        return;
      default:
        return;
    }
    queueRedraw();
  };

  return {
    sink: {
      out: (text) => write(text, "out"),
      err: (text) => write(text, "err"),
      flush: () => sink.flush(),
    },
    onEvent,
    stop,
    suspend: () => {
      erase();
      sink.flush();
    },
    resume: refresh,
  };
}

/**
 * The text of the line, cut to fit in `width - 1` columns so the terminal never wraps it
 * (counted as the terminal counts them: a CJK character or an emoji takes two): as many
 * running names as fit, then `(+N)` for the rest; nothing on a terminal 1 column wide. `running` may hold only the first
 * few names when `runningCount` gives the whole number.
 *
 * @example
 * ```ts
 * import { formatStatus } from "./status_line.ts";
 * formatStatus(3, 9, ["a", "b"], 1234, 80); // "[3/9] running: a, b 1.2s"
 * ```
 */
export function formatStatus(
  done: number,
  total: number,
  running: readonly string[],
  elapsedMs: number,
  width: number,
  runningCount: number = running.length,
): string {
  const head = `[${done}/${total}]`;
  const clock = `${(elapsedMs / 1000).toFixed(1)}s`;
  // Any wider and the terminal wraps it, and the erasing reaches only its last row.
  const room = width - 1;
  if (runningCount === 0) return clipToWidth(`${head} ${clock}`, room);
  for (let shown = running.length; shown >= 1; shown--) {
    const rest = runningCount - shown;
    const line = `${head} running: ${running.slice(0, shown).join(", ")}${
      rest > 0 ? ` (+${rest})` : ""
    } ${clock}`;
    if (displayWidth(line) <= room) return line;
  }
  return clipToWidth(`${head} running: (+${runningCount}) ${clock}`, room);
}

/** The first `count` names of a set, without copying all of a large one. */
function firstNames(names: Set<string>, count: number): string[] {
  const first: string[] = [];
  for (const name of names) {
    if (first.length === count) break;
    first.push(printable(name));
  }
  return first;
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}
