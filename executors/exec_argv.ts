/**
 * Deciding whether a command can run without a shell, as make does: a command made only of
 * plain words means the same to `sh -c` as to a direct exec of its words, and spawning it
 * directly saves starting a shell per task.
 *
 * @module
 */

// Conservative on purpose: every character that means anything to sh (quotes, escapes,
// `$`, backquotes, globs, redirections, pipes, `;`, `&`, parentheses, braces, `~`, `#`,
// `!`, newlines, ...) sends the command to the shell. `=` is fine in arguments but not in
// the first word, where it would be an assignment.
const PLAIN_WORD = /^[A-Za-z0-9_@%+,./:-][A-Za-z0-9_@%+,./:=-]*$/;

/**
 * Shell builtins and reserved words: as a first word they mean the shell's own version
 * (`echo -e`, `cd`, `exit`, `kill %1`, `test`), which an exec could not reproduce. Those of
 * dash and of bash, for a /bin/sh that is either (`chdir` is dash's, `source` bash's).
 */
const SHELL_WORDS = new Set([
  ".",
  ":",
  "[",
  "alias",
  "bg",
  "bind",
  "break",
  "builtin",
  "caller",
  "case",
  "cd",
  "chdir",
  "command",
  "compgen",
  "complete",
  "compopt",
  "continue",
  "coproc",
  "declare",
  "dirs",
  "disown",
  "do",
  "done",
  "echo",
  "elif",
  "else",
  "enable",
  "esac",
  "eval",
  "exec",
  "exit",
  "export",
  "false",
  "fc",
  "fg",
  "fi",
  "for",
  "function",
  "getopts",
  "hash",
  "help",
  "history",
  "if",
  "in",
  "jobs",
  "kill",
  "let",
  "local",
  "logout",
  "mapfile",
  "popd",
  "printf",
  "pushd",
  "pwd",
  "read",
  "readarray",
  "readonly",
  "return",
  "select",
  "set",
  "shift",
  "shopt",
  "source",
  "suspend",
  "test",
  "then",
  "time",
  "times",
  "trap",
  "true",
  "type",
  "typeset",
  "ulimit",
  "umask",
  "unalias",
  "unset",
  "until",
  "wait",
  "while",
]);

/**
 * The words of a command when it has no shell syntax at all, so it can be exec'd directly
 * with the same meaning; `undefined` when it needs a shell.
 *
 * @example
 * ```ts
 * import { plainWords } from "./exec_argv.ts";
 * plainWords("gcc -O2 -c main.c"); // ["gcc", "-O2", "-c", "main.c"]
 * plainWords("echo $HOME"); // undefined
 * ```
 */
export function plainWords(command: string): string[] | undefined {
  const words = command.split(/[ \t]+/).filter((word) => word !== "");
  // A first word starting with `-` reads as an option to some shells: theirs to word.
  if (words.length === 0 || SHELL_WORDS.has(words[0]!) || words[0]!.startsWith("-")) {
    return undefined;
  }
  for (const word of words) if (!PLAIN_WORD.test(word)) return undefined;
  if (words[0]!.includes("=")) return undefined;
  return words;
}
