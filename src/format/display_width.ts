/**
 * How many terminal columns text takes, for the status line (which must never wrap: a
 * wrapped line cannot be erased) and the report table's alignment.
 *
 * A code point takes 2 columns when East Asian Wide or Fullwidth (CJK, Hangul, kana,
 * fullwidth forms) or an emoji shown as one, 0 when it combines with the one before
 * (combining marks, zero-width joiners and spaces, variation selectors), else 1: the rules
 * of `wcwidth`, which terminals follow. The wide ranges are Markus Kuhn's; emoji are those
 * with the `Emoji_Presentation` property.
 *
 * @module
 */

/** Combining marks, format characters (zero-width joiners and spaces), variation selectors. */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}]/u;
/** Emoji drawn as pictures by default, two columns wide in terminals. */
const EMOJI = /\p{Emoji_Presentation}/u;
/** Anything that may not be one column per UTF-16 unit; plain text skips the slow path. */
const NOT_NARROW = /[^\u0020-\u007e\u00a0-\u02ff]/;

/**
 * The columns `text` takes in a terminal.
 *
 * @example
 * ```ts
 * import { displayWidth } from "./display_width.ts";
 *
 * displayWidth("build"); // 5
 * displayWidth("编译"); // 4
 * displayWidth("e\u0301"); // 1: e and a combining acute accent
 * ```
 */
export function displayWidth(text: string): number {
  if (!NOT_NARROW.test(text)) return text.length;
  let width = 0;
  for (const character of text) width += codePointWidth(character);
  return width;
}

/**
 * `text` cut to at most `columns` columns, ending in `…` when cut; whole characters only
 * (never half a surrogate pair or half a wide character).
 *
 * @example
 * ```ts
 * import { clipToWidth } from "./display_width.ts";
 *
 * clipToWidth("compile", 5); // "comp…"
 * clipToWidth("编译测试", 5); // "编译…"
 * ```
 */
export function clipToWidth(text: string, columns: number): string {
  if (displayWidth(text) <= columns) return text;
  if (columns < 1) return "";
  let width = 0, end = 0;
  for (const character of text) {
    const next = codePointWidth(character);
    // Room is kept for the ellipsis.
    if (width + next > columns - 1) break;
    width += next;
    end += character.length;
  }
  return text.slice(0, end) + "…";
}

/** The columns one code point (given as a string) takes. */
function codePointWidth(character: string): number {
  const code = character.codePointAt(0)!;
  if (code < 0x300) return code >= 0x20 && (code < 0x7f || code >= 0xa0) ? 1 : 0;
  if (ZERO_WIDTH.test(character)) return 0;
  if (isWide(code) || EMOJI.test(character)) return 2;
  return 1;
}

function isWide(code: number): boolean {
  return code >= 0x1100 && (
    code <= 0x115f || // Hangul Jamo initial consonants
    code === 0x2329 || code === 0x232a ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) || // CJK … Yi
    (code >= 0xac00 && code <= 0xd7a3) || // Hangul syllables
    (code >= 0xf900 && code <= 0xfaff) || // CJK compatibility ideographs
    (code >= 0xfe10 && code <= 0xfe19) || // vertical forms
    (code >= 0xfe30 && code <= 0xfe6f) || // CJK compatibility forms
    (code >= 0xff00 && code <= 0xff60) || // fullwidth forms
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x2fffd) || // CJK extension planes
    (code >= 0x30000 && code <= 0x3fffd)
  );
}
