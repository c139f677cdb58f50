/**
 * Whether an eval snippet uses module syntax: an `import` or `export` token in its code, not
 * the word in a comment, a string, a template's text or a regular expression, nor a member
 * named so.
 *
 * A lexical scan, not a parse (a parser would weigh on every worker's start): it splits the
 * code into tokens, skipping what cannot hold one, and judges each `import` and `export` by
 * the tokens around it.
 *
 * @module
 */

/** Words after which a `/` starts a regular expression, not a division. */
const BEFORE_EXPRESSION = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

/** A token the scan found: a word (a private `#name` included), a punctuator, or a value. */
interface Token {
  readonly kind: "word" | "punctuator" | "value";
  /** The word or the punctuator; empty for a value (a string, template, regex or number). */
  readonly text: string;
  /** A line break comes between this token and the one before it. */
  readonly afterLineBreak: boolean;
}

/** Words that, on the same line before a name, make it a class or object member's. */
const MEMBER_MODIFIERS = new Set(["static", "get", "set", "async"]);

/** Tokens after which a method's `{` on the next line still makes the name before a method's. */
const BEFORE_MEMBER = new Set([",", "*", ...MEMBER_MODIFIERS]);

/**
 * Whether `code` has an `import` or `export` token: a static or dynamic `import`,
 * `import.meta`, or an `export`; not a member named so, read or defined (`loader.import()`,
 * `{ export: 1 }`, `{ import() {} }`, `class { static export() {} }`, `this.#import`).
 *
 * @example
 * ```ts
 * import { usesModuleSyntax } from "./eval_syntax.ts";
 * usesModuleSyntax("import { sep } from 'node:path'"); // true
 * usesModuleSyntax("// nothing to import\nreturn 1"); // false
 * ```
 */
export function usesModuleSyntax(code: string): boolean {
  // Most snippets have neither word: no scan.
  if (!code.includes("import") && !code.includes("export")) return false;
  const tokens = tokenize(code);
  return tokens.some((token, i) =>
    token.kind === "word" && (token.text === "import" || token.text === "export") &&
    !namesMember(tokens, i)
  );
}

/**
 * Whether the `import` or `export` at `tokens[at]` names a member rather than starting a
 * declaration, a dynamic import or `import.meta`. A member name is read after a `.` (`?.`
 * included, a spread `...` not), or defined: before a `:` (a key), before `=`, `;` or `}`
 * (a class field), after `static`, `get`, `set` or `async` on its line, or before a parameter
 * list and a `{` (a method). Neither keyword can be followed by any of those, except a
 * dynamic `import(…)` ending a line before a block: a `{` on the next line makes a method only
 * after a `,`, a `*` or a modifier, as a guess the wrong way would run a dynamic import as a
 * function's, whose relative specifiers resolve against the worker's own URL. A guess that
 * hides an `import` declaration, `import.meta` or an `export` costs nothing: the snippet then
 * fails to compile as a function and runs as a module all the same (see `eval_worker.ts`).
 */
function namesMember(tokens: readonly Token[], at: number): boolean {
  const word = tokens[at]!;
  const before = tokens[at - 1];
  const after = tokens[at + 1];
  if (before?.text === ".") return true;
  if (before?.kind === "word" && MEMBER_MODIFIERS.has(before.text) && !word.afterLineBreak) {
    return true;
  }
  if (!after) return false;
  if (after.text === ":" || after.text === "=" || after.text === ";" || after.text === "}") {
    return true;
  }
  if (after.text !== "(") return false;
  if (word.text === "export") return true; // never called: a method
  const close = matchingParenthesis(tokens, at + 1);
  const body = close === undefined ? undefined : tokens[close + 1];
  if (body?.text !== "{") return false;
  return !body.afterLineBreak || (before !== undefined && BEFORE_MEMBER.has(before.text));
}

/** The index of the `)` that closes the `(` at `tokens[open]`, if any. */
function matchingParenthesis(tokens: readonly Token[], open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const text = tokens[i]!.text;
    if (text === "(") depth++;
    else if (text === ")" && --depth === 0) return i;
  }
  return undefined;
}

/**
 * The tokens of `code`, skipping what cannot hold one: comments and the text of strings,
 * templates and regular expressions. Where it cannot tell a regular expression from a
 * division (after `)` or `}`), it guesses.
 */
function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  const length = code.length;
  /** Per template expression (`${`) entered: the depth of braces open inside it. */
  const templates: number[] = [];
  /** Whether the scan is in a template's text (inside backticks, outside `${}`). */
  let inTemplate = false;
  /** Whether a `/` here starts a regular expression (from the last token). */
  let expression = true;
  let lineBreak = false;
  const push = (kind: Token["kind"], text: string) => {
    tokens.push({ kind, text, afterLineBreak: lineBreak });
    lineBreak = false;
  };
  let i = 0;
  while (i < length) {
    if (inTemplate) {
      i = skipTemplateText(code, i);
      inTemplate = false;
      expression = code.startsWith("${", i);
      if (expression) templates.push(0);
      i += expression ? 2 : 1; // past `${`, or the closing backtick
      continue;
    }
    const char = code[i]!;
    if (char === "\n" || char === "\r") {
      lineBreak = true;
      i++;
    } else if (char === " " || char === "\t") {
      i++;
    } else if (char === "/" && code[i + 1] === "/") {
      i = lineEnd(code, i);
    } else if (char === "/" && code[i + 1] === "*") {
      const close = code.indexOf("*/", i + 2);
      const end = close === -1 ? length : close + 2;
      if (/[\n\r]/.test(code.slice(i, end))) lineBreak = true;
      i = end;
    } else if (char === "'" || char === '"') {
      i = skipString(code, i, char);
      push("value", "");
      expression = false;
    } else if (char === "`") {
      push("value", "");
      inTemplate = true;
      i++;
    } else if (char === "/" && expression) {
      i = skipRegex(code, i);
      push("value", "");
      expression = false;
    } else if (isIdentifierStart(char) || (char === "#" && isIdentifierStart(code[i + 1] ?? ""))) {
      const start = i++;
      while (i < length && isIdentifierPart(code[i]!)) i++;
      const word = code.slice(start, i);
      push("word", word);
      expression = BEFORE_EXPRESSION.has(word);
    } else if (char >= "0" && char <= "9") {
      while (i < length && (isIdentifierPart(code[i]!) || code[i] === ".")) i++;
      push("value", "");
      expression = false;
    } else {
      if (char === "{" && templates.length > 0) {
        templates[templates.length - 1]!++;
      } else if (char === "}" && templates.length > 0) {
        if (templates[templates.length - 1] === 0) {
          templates.pop();
          inTemplate = true;
          i++;
          continue;
        }
        templates[templates.length - 1]!--;
      }
      const spread = code.startsWith("...", i);
      push("punctuator", spread ? "..." : char);
      // After a closing bracket a `/` divides; `}` more often ends a block than an object.
      expression = char !== ")" && char !== "]";
      i += spread ? 3 : 1;
    }
  }
  return tokens;
}

/** The index of the first character past `start` that is not plain template text. */
function skipTemplateText(code: string, start: number): number {
  let i = start;
  while (i < code.length) {
    const char = code[i];
    if (char === "\\") i += 2;
    else if (char === "`" || (char === "$" && code[i + 1] === "{")) return i;
    else i++;
  }
  return i;
}

/** The index past a quoted string starting at `start` (or past its line, if unterminated). */
function skipString(code: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < code.length) {
    const char = code[i];
    if (char === "\\") i += 2;
    else if (char === quote) return i + 1;
    else if (char === "\n") return i;
    else i++;
  }
  return i;
}

/**
 * The index past a regular expression starting at `start`, its flags included. One that does
 * not end on its line was a division after all: the scan goes on after the `/`.
 */
function skipRegex(code: string, start: number): number {
  let inClass = false;
  for (let i = start + 1; i < code.length; i++) {
    const char = code[i];
    if (char === "\\") i++;
    else if (char === "\n" || char === "\r") break;
    else if (char === "[") inClass = true;
    else if (char === "]") inClass = false;
    else if (char === "/" && !inClass) {
      i++;
      while (i < code.length && isIdentifierPart(code[i]!)) i++;
      return i;
    }
  }
  return start + 1;
}

function lineEnd(code: string, start: number): number {
  const newline = code.indexOf("\n", start);
  return newline === -1 ? code.length : newline;
}

function isIdentifierStart(char: string): boolean {
  return /[A-Za-z_$]/.test(char) || char > "\x7f";
}

function isIdentifierPart(char: string): boolean {
  return /[\w$]/.test(char) || char > "\x7f";
}
