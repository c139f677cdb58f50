/**
 * One pass over a task file's text, before or beside the parser, for what the parsers do not
 * report: nesting deep enough to overflow a recursive parser, and a key repeated in an object
 * (`JSON.parse` and jsonc-parser both keep the last, so a second `"tasks"` would silently
 * drop the first list).
 *
 * The pass skips each string with `indexOf` rather than character by character: it costs
 * ≈ 0.5 s for a 144 MB file of a million tasks, where the nesting check alone took ≈ 0.45 s
 * and `JSON.parse` itself takes 1.2–1.8 s, and nothing measurable for a file written by hand.
 *
 * @module
 */

import type { JsonPathSegment } from "./load.ts";

/** What {@linkcode scanJson} found; offsets are UTF-16 offsets into the text. */
export interface JsonStructure {
  /** Where nesting first went deeper than the limit. */
  readonly tooDeepAt?: number;
  /** The first key repeated in its object: where it is, where the first one is, and the key. */
  readonly duplicate?: { readonly offset: number; readonly firstOffset: number; key: string };
}

/**
 * Scans JSON or JSONC text (with `comments`, `//` and `/* *\/` comments are skipped). On text
 * that is not well formed it still ends, finding what it can; the parser reports the rest.
 *
 * @example
 * ```ts
 * import { scanJson } from "./json_structure.ts";
 *
 * scanJson('{"a": 1, "a": 2}', 100, false).duplicate; // { offset: 9, firstOffset: 1, key: "a" }
 * ```
 */
export function scanJson(text: string, maxNesting: number, comments: boolean): JsonStructure {
  // The keys of the open objects, one after another, with their offsets; `from` holds, per
  // open object or array, where its keys begin (-1 for an array).
  const keys: string[] = [];
  const keyOffsets: number[] = [];
  const from: number[] = [];
  let top = -1, expectKey = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) break;
      if (expectKey && top >= 0) {
        const key = keyAt(text, i, end);
        for (let k = top; k < keys.length; k++) {
          if (keys[k] === key) {
            return { duplicate: { offset: i, firstOffset: keyOffsets[k]!, key } };
          }
        }
        keys.push(key);
        keyOffsets.push(i);
      }
      expectKey = false;
      i = end;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (from.length >= maxNesting) return { tooDeepAt: i };
      top = code === OPEN_BRACE ? keys.length : -1;
      from.push(top);
      expectKey = code === OPEN_BRACE;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      const start = from.pop();
      if (start !== undefined && start >= 0) keys.length = keyOffsets.length = start;
      top = from.length > 0 ? from[from.length - 1]! : -1;
      expectKey = false;
    } else if (code === COMMA) {
      expectKey = top >= 0;
    } else if (comments && code === SLASH) {
      i = commentEnd(text, i);
      if (i < 0) break;
    }
  }
  return {};
}

/**
 * Whether strict JSON text, which `JSON.parse` took as `value`, certainly has no key repeated
 * in its object and no nesting deeper than `maxNesting`, as {@linkcode scanJson} would find:
 * `false` means "scan it" (it may still be fine). Built of string operations V8 runs as
 * machine code from the first call, where `scanJson`'s loop, at a run's start, runs in the
 * interpreter, without type feedback: ≈ 0.5 ms against 1–5 ms for a file of 200 tasks (17 KB).
 * Past {@linkcode QUICK_TEXT_LIMIT} it answers `false`: by then the loop is compiled and the
 * quick test's copies cost more (2.4 s against 1.1 s at 214 MB).
 *
 * How: strip every string and everything but brackets and colons, leaving the text's
 * structure, one colon per key (in strict JSON a quote outside a string opens one, so the
 * strings are matched whole, in order). `JSON.parse` keeps one property per distinct key of an
 * object, so the text has a repeated key exactly when it has more keys than `value` written
 * back with `JSON.stringify`. Then the innermost pairs of brackets are removed a level at a
 * time, a few levels at most: a file nested deeper is scanned.
 *
 * @example
 * ```ts
 * import { plainStructure } from "./json_structure.ts";
 *
 * const text = '{"a": 1, "a": 2}';
 * plainStructure(text, JSON.parse(text), 100); // false: scan it to find the repeat
 * ```
 */
export function plainStructure(text: string, value: unknown, maxNesting: number): boolean {
  if (text.length > QUICK_TEXT_LIMIT) return false;
  try {
    const structure = text.replace(NOT_STRUCTURE, "");
    const keys = structure.length - structure.replaceAll(":", "").length;
    const written = JSON.stringify(value).replace(NOT_STRUCTURE, "");
    if (written.length - written.replaceAll(":", "").length !== keys) return false;
    let brackets = structure.replaceAll(":", "");
    for (let level = 0; level < Math.min(maxNesting, QUICK_LEVELS) && brackets !== ""; level++) {
      brackets = brackets.replace(INNERMOST_PAIR, "");
    }
    return brackets === "";
  } catch {
    // Nothing expected (a regular expression out of backtracking stack, a value too deep to
    // stringify): the scan tells.
    return false;
  }
}

/** The longest text {@linkcode plainStructure} tests (1 MiB of UTF-16 code units). */
export const QUICK_TEXT_LIMIT = 1 << 20;

/** How many levels of nesting {@linkcode plainStructure} peels off before it leaves it to the scan. */
const QUICK_LEVELS = 8;

/** A whole string, or a run of anything but quotes, brackets and colons. */
const NOT_STRUCTURE = /"[^"\\]*(?:\\.[^"\\]*)*"|[^"[\]{}:]+/g;
const INNERMOST_PAIR = /\[\]|\{\}/g;

/**
 * The path of the innermost object or array that holds `offset`, as keys and indices from the
 * document's root: `["tasks", 3]` for a key of the fourth task. Only for messages; the text
 * is scanned as {@linkcode scanJson} scans it.
 */
export function containerPathAt(
  text: string,
  offset: number,
  comments: boolean,
): JsonPathSegment[] {
  // Per open container: the segment it sits under in its parent, and (for an array) the
  // index of the element being read, or (for an object) the last key read.
  const path: JsonPathSegment[] = [];
  const current: (JsonPathSegment | undefined)[] = [];
  const isArray: boolean[] = [];
  let expectKey = false;
  for (let i = 0; i < offset && i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) break;
      if (expectKey) current[current.length - 1] = keyAt(text, i, end);
      expectKey = false;
      i = end;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (current.length > 0) path.push(current[current.length - 1]!);
      isArray.push(code === OPEN_BRACKET);
      current.push(code === OPEN_BRACKET ? 0 : undefined);
      expectKey = code === OPEN_BRACE;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      current.pop();
      isArray.pop();
      path.pop();
      expectKey = false;
    } else if (code === COMMA) {
      const last = current.length - 1;
      if (isArray[last]) current[last] = (current[last] as number) + 1;
      expectKey = !isArray[last];
    } else if (comments && code === SLASH) {
      i = commentEnd(text, i);
      if (i < 0) break;
    }
  }
  return path;
}

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, SLASH = 0x2f, STAR = 0x2a;
const OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d;

/**
 * Where a comment beginning at `start` (a slash) ends: its last character, `start` itself
 * when no comment begins there, or -1 when it runs to the end of the text.
 */
function commentEnd(text: string, start: number): number {
  const next = text.charCodeAt(start + 1);
  if (next === SLASH) return text.indexOf("\n", start + 2);
  if (next !== STAR) return start;
  const end = text.indexOf("*/", start + 2);
  return end < 0 ? -1 : end + 1;
}

/** The offset of the quote that ends the string opening at `start`, or -1 if none does. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  // A quote after an odd number of backslashes is escaped.
  while (end > 0 && text.charCodeAt(end - 1) === BACKSLASH) {
    let backslashes = 1;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) break;
    end = text.indexOf('"', end + 1);
  }
  return end;
}

/** The key written from `start` to `end` (its quotes), escapes decoded. */
function keyAt(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  if (raw.indexOf("\\") === -1) return raw;
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch {
    // A malformed escape: the parser reports it.
    return raw;
  }
}
