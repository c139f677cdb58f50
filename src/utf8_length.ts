/**
 * The length of a string in UTF-8, without encoding it into a buffer of its own: the HTML
 * report counts every byte a task prints, and exec measures scripts and environments of
 * megabytes.
 *
 * @module
 */

const encoder = new TextEncoder();
// Reused, and made on first use (not at start-up): encodeInto() is about 20 times as fast as
// a regular expression looking for non-ASCII, and a task printing 200 MB hands every byte of
// it to utf8Length().
let scratch: Uint8Array | undefined;

/**
 * The length of `text` in UTF-8 (a lone surrogate counts as the 3 bytes of the U+FFFD it is
 * encoded as).
 *
 * @example
 * ```ts
 * import { utf8Length } from "./utf8_length.ts";
 *
 * utf8Length("aé€🙂"); // 10
 * ```
 */
export function utf8Length(text: string): number {
  scratch ??= new Uint8Array(256 * 1024);
  let bytes = 0;
  // encodeInto() stops before a character that does not fit, a pair of surrogates included.
  for (let rest = text; rest !== "";) {
    const { read, written } = encoder.encodeInto(rest, scratch);
    bytes += written;
    rest = rest.slice(read);
  }
  return bytes;
}
