/**
 * Names and messages as the terminal should see them: a task file may give a task a name
 * holding control characters (the assignment's schema allows any single-line string), and
 * printed raw an escape sequence in a name would drive the terminal. Task output is not
 * passed through here: its colours are the tools' own.
 *
 * @module
 */

// C0 controls (tab and newline included: a table cell must stay on its line), DEL, C1:
// matching them is the point.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// What is escaped once anything is: the controls, and the backslash, so that the escaped
// text reads back as the very text (`\\u0007` in a name is not the escape of BEL).
// deno-lint-ignore no-control-regex
const ESCAPED = /[\\\u0000-\u001f\u007f-\u009f]/g;

/**
 * `text` with each control character written as a `\u` escape, as JSON writes it, and then
 * each backslash doubled; text without control characters (most of it) is returned as it is,
 * backslashes included.
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
  if (!CONTROL.test(text)) return text;
  return text.replace(
    ESCAPED,
    (c) => c === "\\" ? "\\\\" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
