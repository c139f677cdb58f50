/**
 * Deciding whether a command can run without a shell, as make does: a command made only of
 * plain words means the same to `sh -c` as to a direct exec of its words, and spawning it
 * directly saves starting a shell per task.
 *
 * @module
 */

import { utf8Length } from "../src/utf8_length.ts";

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
  // A first word starting with `-` is a program's name like any other, as it is to `sh -c --`
  // (see `shellArguments`): found or not, it says so as `+x` or `x` does.
  if (words.length === 0 || SHELL_WORDS.has(words[0]!)) return undefined;
  for (const word of words) if (!PLAIN_WORD.test(word)) return undefined;
  if (words[0]!.includes("=")) return undefined;
  return words;
}

/**
 * The longest string, in UTF-8 bytes, that Linux takes as one argument: `MAX_ARG_STRLEN`
 * (32 pages of 4 KiB) holds its terminating NUL too.
 */
export const MAX_ARGUMENT_BYTES = 128 * 1024 - 1;

/**
 * What a script too long for one argument is run by: it joins the pieces it is given as
 * positional parameters (`"$*"` with an empty IFS puts nothing between them) and evals them,
 * after putting back IFS, clearing the positional parameters and unsetting its one variable,
 * all on the script's first line, so that the script's lines keep their numbers.
 */
const JOIN_PIECES =
  '__dagrun_ifs=$IFS; IFS=; eval "IFS=\\$__dagrun_ifs; unset __dagrun_ifs; set --; $*"';

/**
 * The arguments that make `shell` run `script` as `shell -c script` would: those very ones
 * while the script fits in one argument, else the script cut into pieces that do, joined
 * again and evaluated by the shell.
 *
 * Why pieces: Linux takes no argument longer than 128 KiB (`MAX_ARG_STRLEN`), so `sh -c` a
 * longer script fails with E2BIG, but it takes many such arguments, about 2 MB in all
 * (a quarter of the stack limit, the environment included). The pieces keep everything a
 * script can tell of `sh -c`: `$0` (the shell's name), no positional parameters, IFS, stdin,
 * the environment, the directory, the process group and its signals, line numbers (in
 * `$LINENO` and in the shell's messages), the exit status. What shows: dash's messages name
 * `eval` (`/bin/sh: 3: eval: foo: not found`), bash's `$BASH_EXECUTION_STRING` is this wrapper,
 * and bash does not exec the script's last command in place of itself (it does under
 * `bash -c`), so a last command that a signal kills makes its exit status 128 + the signal.
 * A variable named `__dagrun_ifs` in the environment is not seen by the script.
 *
 * A temporary file (`sh -c '. FILE'`) would take any length, but names itself in every message
 * of the shell (`/bin/sh: 3: /tmp/…/script: foo: not found`), changes what `return` does, and must
 * be removed in every ending, a SIGKILLed dagrun's too; a script of more than 2 MB is better
 * kept in a file of the project's, run as `sh build.sh`.
 *
 * `name` is the script's `$0` when it is cut: the caller passes what it runs the shell as,
 * which is what `$0` is otherwise (the shell's `argv[0]`).
 *
 * @example
 * ```ts
 * import { shellArguments } from "./exec_argv.ts";
 * shellArguments("sh", "echo hi"); // ["-c", "echo hi"]
 * shellArguments("sh", "-x; echo hi"); // ["-c", "--", "-x; echo hi"]
 * shellArguments("/bin/sh", "echo hi; ".repeat(20_000)).length; // 5: -c, wrapper, $0, 2 pieces
 * ```
 */
export function shellArguments(name: string, script: string): string[] {
  // A script starting with `-` or `+` (`-x; echo hi`) would be read as the shell's own options
  // (`sh: 0: Illegal option -;`, exit 2, nothing run): `--` ends them, as POSIX has it. Only
  // then, so that every other script reaches the shell exactly as `sh -c` would give it.
  if (fitsOneArgument(script)) return /^[-+]/.test(script) ? ["-c", "--", script] : ["-c", script];
  return ["-c", JOIN_PIECES, name, ...utf8Pieces(new TextEncoder().encode(script))];
}

/** Whether a string is short enough for the kernel to take it as one argument. */
export function fitsOneArgument(text: string): boolean {
  // Most are short: a UTF-8 character takes at most 3 bytes per UTF-16 code unit.
  if (text.length * 3 <= MAX_ARGUMENT_BYTES) return true;
  return text.length <= MAX_ARGUMENT_BYTES && utf8Length(text) <= MAX_ARGUMENT_BYTES;
}

/** Cuts UTF-8 text into pieces of at most one argument's bytes, each of whole characters. */
function utf8Pieces(bytes: Uint8Array): string[] {
  const decoder = new TextDecoder();
  const pieces: string[] = [];
  for (let start = 0; start < bytes.length;) {
    let end = Math.min(start + MAX_ARGUMENT_BYTES, bytes.length);
    // Never between the bytes of one character: back off over continuation bytes.
    while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
    pieces.push(decoder.decode(bytes.subarray(start, end)));
    start = end;
  }
  return pieces;
}
