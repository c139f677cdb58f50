/**
 * Finding where a value is in JSON text, for error positions, without a parser module:
 * `JSON.parse` has accepted the text, so a scanner that skips values is enough.
 *
 * @module
 */

import type { JsonPathSegment } from "./load.ts";

/**
 * The offset of the value at `path` in strict JSON `text`, as jsonc-parser's tree has it
 * (the last of duplicate keys wins, as in `JSON.parse`), or the document's offset when there is
 * no such value.
 *
 * @example
 * ```ts
 * import { jsonValueOffset } from "./json_locate.ts";
 *
 * jsonValueOffset('{"a": [1, 2]}', ["a", 1]); // 10
 * ```
 */
export function jsonValueOffset(text: string, path: readonly JsonPathSegment[]): number {
  const root = skipSpace(text, 0);
  let at = root;
  for (const segment of path) {
    const found = text.charCodeAt(at) === BRACKET
      ? typeof segment === "number" ? element(text, at, segment) : undefined
      : text.charCodeAt(at) === BRACE
      ? member(text, at, String(segment))
      : undefined;
    if (found === undefined) return root;
    at = found;
  }
  return at;
}

const BRACE = 0x7b, BRACKET = 0x5b, QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;

/** The offset of element `index` of the array at `at`. */
function element(text: string, at: number, index: number): number | undefined {
  let i = skipSpace(text, at + 1);
  if (text.charCodeAt(i) === 0x5d) return undefined; // `]`: empty
  for (let k = 0;; k++) {
    if (k === index) return i;
    i = skipSpace(text, skipValue(text, i));
    if (text.charCodeAt(i) !== COMMA) return undefined;
    i = skipSpace(text, i + 1);
  }
}

/** The offset of the value of the last member named `key` of the object at `at`. */
function member(text: string, at: number, key: string): number | undefined {
  let found: number | undefined;
  let i = skipSpace(text, at + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    const name = text.slice(i, keyEnd);
    // Most keys have no escapes: compare the raw text before decoding it.
    const matches = name.includes("\\") ? JSON.parse(name) === key : name.slice(1, -1) === key;
    i = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the colon
    if (matches) found = i;
    i = skipSpace(text, skipValue(text, i));
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipSpace(text, i + 1);
  }
  return found;
}

/** The offset just past the value starting at `at`. */
function skipValue(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return skipString(text, at);
  if (first !== BRACE && first !== BRACKET) {
    let i = at;
    while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    return i;
  }
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) i = skipString(text, i) - 1;
    else if (code === BRACE || code === BRACKET) depth++;
    else if ((code === 0x7d || code === 0x5d) && --depth === 0) return i + 1;
  }
  return text.length;
}

/** The offset just past the string whose opening quote is at `at`. */
function skipString(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === BACKSLASH) i++;
    else if (code === QUOTE) return i + 1;
  }
  return text.length;
}

function skipSpace(text: string, at: number): number {
  let i = at;
  // JSON's whitespace: space, tab, line feed, carriage return.
  for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;) {
    c = text.charCodeAt(++i);
  }
  return i;
}
