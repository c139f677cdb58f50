/**
 * Names and messages as the terminal should see them: a task file may give a task a name
 * holding control characters (the assignment's schema allows any single-line string), and
 * printed raw an escape sequence in a name would drive the terminal. Task output is not
 * passed through here: its colours are the tools' own.
 *
 * @module
 */

// C0 controls (tab and newline included: a table cell must stay on its line), DEL, C1:
// matching them is the point. And the invisible characters that reorder or break a line as
// shown (bidirectional marks, embeddings, overrides and isolates, the line and paragraph
// separators): a name holding U+202E would print the rest of its line backwards, so that
// `Ended : a` could read as something else (the "Trojan Source" trick).
const CONTROL_CHARACTERS =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
/**
 * A Unicode noncharacter, as a pattern without the `u` flag: U+FDD0 to U+FDEF, and the last
 * two code points of each plane, U+FFFE and U+FFFF to U+10FFFE and U+10FFFF (in UTF-16, a high
 * surrogate whose low six bits are all set, then U+DFFE or U+DFFF). They are reserved for a
 * program's own use, never meant to be shown: a terminal shows them as it likes, and an HTML
 * page may not hold them (a parse error, each).
 */
export const NONCHARACTER_PATTERN =
  "[\\ufdd0-\\ufdef\\ufffe\\uffff]|[\\ud83f\\ud87f\\ud8bf\\ud8ff\\ud93f\\ud97f\\ud9bf\\ud9ff\\uda3f\\uda7f\\udabf\\udaff\\udb3f\\udb7f\\udbbf\\udbff][\\udffe\\udfff]";
// What printable() must look at: the controls above and the noncharacters (lone surrogates are
// found by isWellFormed()).
const SHOWN_ESCAPED = new RegExp(`${CONTROL_CHARACTERS.source}|${NONCHARACTER_PATTERN}`);
// What is escaped once anything is: the backslash, so that the escaped text reads back as the
// very text (`\\u0007` in a name is not the escape of BEL); and each character written as a
// `\u` escape: the controls above, a noncharacter, and a lone surrogate (a JSON string may hold
// `"\ud800"`), which no terminal can show: encoded, it would print as U+FFFD, like the
// character U+FFFD itself and every other lone surrogate. A noncharacter is matched before a
// lone surrogate's test can take its high surrogate alone.
const ESCAPED = new RegExp(
  `\\\\|${CONTROL_CHARACTERS.source}|${NONCHARACTER_PATTERN}|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]`,
  "g",
);

/**
 * A character as `\uXXXX` escapes, one per UTF-16 code unit (two for a noncharacter past the
 * first plane, as JSON writes it).
 *
 * @example
 * ```ts
 * import { unicodeEscape } from "./printable.ts";
 *
 * unicodeEscape("\u00e9"); // "\\u00e9"
 * ```
 */
export function unicodeEscape(character: string): string {
  let escaped = "";
  for (let i = 0; i < character.length; i++) {
    escaped += `\\u${character.charCodeAt(i).toString(16).padStart(4, "0")}`;
  }
  return escaped;
}

/**
 * `text` with each control character, each invisible character that reorders or breaks a
 * line, each noncharacter (U+FDD0 to U+FDEF, U+FFFE, U+FFFF, U+1FFFE…) and each lone
 * surrogate, written as a `\u` escape, and then each backslash doubled;
 * text without any of them (most of it) is returned as it is, backslashes included.
 *
 * @example
 * ```ts
 * import { printable } from "./printable.ts";
 *
 * printable("build\u001b[2J"); // "build\\u001b[2J"
 * printable("build"); // "build", the same string
 * ```
 */
export function printable(text: string): string {
  if (!SHOWN_ESCAPED.test(text) && text.isWellFormed()) return text;
  return printableKey(text);
}

/**
 * `text` written so that no two texts give the same string, for a key that must name one task
 * (an HTML page's `data-task`, matched by its script): {@linkcode printable} is not one to one,
 * as it shows a name holding U+0007 and one holding the six characters `\u0007` alike. Here
 * every backslash is doubled and each character `printable()` escapes is a `\uXXXX` escape;
 * text with neither (most names) is returned as it is.
 *
 * @example
 * ```ts
 * import { printableKey } from "./printable.ts";
 *
 * printableKey("a\u0007"); // "a\\u0007"
 * printableKey("a\\u0007"); // "a\\\\u0007"
 * printableKey("build"); // "build"
 * ```
 */
export function printableKey(text: string): string {
  return text.replace(ESCAPED, (c) => c === "\\" ? "\\\\" : unicodeEscape(c));
}
