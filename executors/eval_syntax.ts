/**
 * Whether an eval snippet uses module syntax: an `import` or `export` token in its code, not
 * the word in a comment, a string, a template's text or a regular expression.
 *
 * A lexical scan, not a parse: it skips what cannot hold a token and looks at the words
 * left. Where it cannot tell a regular expression from a division (after `)` or `}`), it
 * guesses; a guess that hides a real `import` declaration costs nothing, as the snippet then
 * fails to compile as a function and runs as a module all the same (see `eval_worker.ts`).
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

/**
 * Whether `code` has an `import` or `export` token: a static or dynamic `import`,
 * `import.meta`, or an `export`; not a property named so (`loader.import()`, `{ export: 1 }`).
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
  const length = code.length;
  /** Per template expression (`${`) entered: the depth of braces open inside it. */
  const templates: number[] = [];
  /** Whether the scan is in a template's text (inside backticks, outside `${}`). */
  let inTemplate = false;
  /** Whether a `/` here starts a regular expression (from the last token). */
  let expression = true;
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
    if (char === " " || char === "\t" || char === "\n" || char === "\r") {
      i++;
    } else if (char === "/" && code[i + 1] === "/") {
      i = lineEnd(code, i);
    } else if (char === "/" && code[i + 1] === "*") {
      const close = code.indexOf("*/", i + 2);
      i = close === -1 ? length : close + 2;
    } else if (char === "'" || char === '"') {
      i = skipString(code, i, char);
      expression = false;
    } else if (char === "`") {
      inTemplate = true;
      i++;
    } else if (char === "/" && expression) {
      i = skipRegex(code, i);
      expression = false;
    } else if (isIdentifierStart(char)) {
      const start = i;
      while (i < length && isIdentifierPart(code[i]!)) i++;
      const word = code.slice(start, i);
      if ((word === "import" || word === "export") && !isPropertyName(code, start, i)) return true;
      expression = BEFORE_EXPRESSION.has(word);
    } else if (char >= "0" && char <= "9") {
      while (i < length && (isIdentifierPart(code[i]!) || code[i] === ".")) i++;
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
      // After a closing bracket a `/` divides; `}` more often ends a block than an object.
      expression = char !== ")" && char !== "]";
      i++;
    }
  }
  return false;
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

/**
 * Whether the word from `start` to `end` names a property: after a `.` (but not a spread
 * `...`), or before a `:` (an object's key; neither keyword is ever followed by one).
 */
function isPropertyName(code: string, start: number, end: number): boolean {
  let before = start - 1;
  while (before >= 0 && /\s/.test(code[before]!)) before--;
  if (code[before] === "." && code.slice(before - 2, before + 1) !== "...") return true;
  let after = end;
  while (after < code.length && /\s/.test(code[after]!)) after++;
  return code[after] === ":";
}

function isIdentifierStart(char: string): boolean {
  return /[A-Za-z_$]/.test(char) || char > "\x7f";
}

function isIdentifierPart(char: string): boolean {
  return /[\w$]/.test(char) || char > "\x7f";
}
