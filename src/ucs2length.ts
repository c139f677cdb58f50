/**
 * The length of a string in Unicode code points, as JSON Schema's `minLength` and
 * `maxLength` count it: ajv's runtime helper `ucs2length`, kept here so that the
 * precompiled validator loads no `npm:` module (any costs 20 ms of start-up).
 *
 * @module
 */

/**
 * Counts code points: a surrogate pair is one, a lone surrogate is one.
 *
 * @example
 * ```ts
 * import { ucs2length } from "./ucs2length.ts";
 *
 * ucs2length("a😀"); // 2
 * ```
 */
export function ucs2length(text: string): number {
  const end = text.length;
  let length = 0;
  for (let i = 0; i < end; length++) {
    const code = text.charCodeAt(i++);
    // A high surrogate followed by a low one: the pair is one code point.
    if (code >= 0xd800 && code <= 0xdbff && i < end && (text.charCodeAt(i) & 0xfc00) === 0xdc00) {
      i++;
    }
  }
  return length;
}
