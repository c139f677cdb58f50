/**
 * Durations as task files and the command line write them: a number of seconds, or a string
 * of numbers with units such as `"90s"`, `"1m30s"`, `"500ms"`, `"1.5h"`.
 *
 * @module
 */

/**
 * The JSON Schema pattern of a duration string (kept in step with the schema file): numbers
 * with units, or a bare `"0"`, which needs none (as Go's `time.ParseDuration` takes it), so that
 * `"0"` is read as the number 0 is rather than refused as malformed.
 */
export const DURATION_PATTERN = "^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$";

/** The longest duration a timer can wait: setTimeout fires at once past 2^31 - 1 ms. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * {@linkcode MAX_DURATION_MS} as a duration string, to the millisecond: a limit said rounded
 * ("596h") would be contradicted by the longer durations it takes (`"596h30m"`).
 */
const MAX_DURATION_TEXT = "596h31m23.647s";

/**
 * The longest duration a run can have recorded, a year in milliseconds: beyond it a recorded
 * duration is corrupt, not measured (taken as it is, it would outweigh every real one).
 */
const MAX_MEASURED_MS = 365 * 24 * 3600 * 1000;

/**
 * Whether a value read from a history or a report is a duration a run could have measured:
 * a number of milliseconds from 0 to a year (not `Infinity`, which `1e400` parses to).
 *
 * @example
 * ```ts
 * import { isMeasuredDuration } from "./duration.ts";
 * isMeasuredDuration(1520.4); // true
 * isMeasuredDuration(-1); // false
 * ```
 */
export function isMeasuredDuration(value: unknown): value is number {
  return typeof value === "number" && value >= 0 && value <= MAX_MEASURED_MS;
}

const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
const WHOLE = new RegExp(DURATION_PATTERN);
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds in a duration: a number of seconds or a string such as `"1m30s"` (or `"0"`);
 * rounded to a whole millisecond.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("1m30s"); // 90000
 * parseDuration(0.25); // 250
 * ```
 *
 * @throws {RangeError} for a malformed string, a negative number or more than
 * {@linkcode MAX_DURATION_MS}; the message completes a sentence naming the value.
 */
export function parseDuration(value: number | string): number {
  let ms: number;
  if (typeof value === "number") {
    // Infinity (what JSON makes of 1e400) is past the limit below, not negative.
    if (Number.isNaN(value) || value < 0) {
      throw new RangeError(`must be a non-negative number of seconds, not ${value}`);
    }
    ms = value * 1_000;
  } else {
    if (!WHOLE.test(value)) {
      throw new RangeError(
        `must be a number of seconds or a duration such as "90s", "1m30s" or "500ms", not ${
          JSON.stringify(value)
        }`,
      );
    }
    ms = 0;
    for (const [, amount, unit] of value.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  }
  ms = Math.round(ms);
  if (ms > MAX_DURATION_MS) {
    // A number as it is: JSON.stringify(Infinity) is "null".
    throw new RangeError(
      `must be at most ${MAX_DURATION_TEXT} (24.8 days), not ${
        typeof value === "number" ? value : JSON.stringify(value)
      }`,
    );
  }
  return ms;
}

/**
 * Whether a duration is zero as written, in every part (`0`, `"0"`, `"0s"`, `"0m0.0s"`), rather
 * than above zero and rounded to no milliseconds (`0.0001`): a time limit's messages say
 * "> 0" for the one, "at least 1ms" for the other.
 *
 * @example
 * ```ts
 * import { isZeroDuration } from "./duration.ts";
 * isZeroDuration("0ms"); // true
 * isZeroDuration("0.0001"); // false
 * ```
 */
export function isZeroDuration(value: number | string): boolean {
  return !/[1-9]/.test(String(value));
}

/** `0.3s`, `1.5s`, `90s`: how messages name a duration. */
export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(3).replace(/0+$/, "")}s`;
}
