/**
 * Task output with terminal escape sequences, as HTML: SGR colours and attributes (the 16
 * standard colours, 256 colours, true colour, bold, faint, italic, underline, inverse,
 * strike-through) become styled spans; the cursor's moves within a line (carriage return,
 * backspace, CHA, CUF, CUB) and erasing in it (EL) are applied, as a terminal shows the line;
 * every other escape sequence (other cursor moves and erasures, OSC titles and hyperlinks, DCS
 * strings) is dropped, so that none shows as text. The text between them goes through
 * {@linkcode escapeHtml}; a span's class and style are built from numbers only, never from the
 * output's text.
 *
 * @module
 */

import { MAX_LINE_LENGTH } from "../lines.ts";
import { ucs2length } from "../ucs2length.ts";
import { NONCHARACTER_PATTERN } from "./printable.ts";

/**
 * What escapeHtml() replaces: markup and quotes by entities; NUL and the noncharacters by
 * U+FFFD. NUL may not appear in an HTML page at all (a parser would replace it as this does),
 * nor may a noncharacter, a parse error each: a task's output holding one shows U+FFFD, as
 * for the invalid UTF-8 and lone surrogates it may hold. (Names never hold one here:
 * printable() writes them as `\u` escapes first.)
 */
const HTML_ESCAPED = new RegExp(`[&<>"'\\0]|${NONCHARACTER_PATTERN}`, "g");

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    HTML_ESCAPED,
    // Markup and quotes are ASCII; a noncharacter is past U+FDCF.
    (c) => c === "\0" || c > "\u00ff" ? "\ufffd" : `&#${c.charCodeAt(0)};`,
  );
}

/** A colour: an index of the 256-colour palette, or `#rrggbb`; undefined for the default. */
type Color = number | string | undefined;

/** The SGR state of a stream at a point of its output. */
interface Style {
  fg: Color;
  bg: Color;
  bold: boolean;
  faint: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
  strike: boolean;
}

const PLAIN: Readonly<Style> = {
  fg: undefined,
  bg: undefined,
  bold: false,
  faint: false,
  italic: false,
  underline: false,
  inverse: false,
  strike: false,
};

/**
 * The 16 standard colours, chosen to read on the page's light grey `<pre>` (the CSS of
 * {@linkcode ANSI_CSS} uses them; `white` is light grey there so that it stays visible).
 */
const STANDARD_COLORS = [
  "#000000",
  "#c4221c",
  "#1b8a1b",
  "#9a7400",
  "#1f4fc4",
  "#a626a4",
  "#0e8494",
  "#a0a0a0",
  "#5c5c5c",
  "#e53935",
  "#2aa82a",
  "#c49a00",
  "#3b78ff",
  "#d254d2",
  "#13a5b8",
  "#d6d6d6",
];

/** The page's text and `<pre>` background: the default colours, swapped by inverse. */
const DEFAULT_FG = "#222222", DEFAULT_BG = "#f6f6f6";

/** The style sheet of the classes {@linkcode createAnsiRenderer} puts on its spans. */
export const ANSI_CSS = [
  ...STANDARD_COLORS.map((color, i) => `.f${i}{color:${color}}.b${i}{background:${color}}`),
  `.fd{color:${DEFAULT_BG}}.bd{background:${DEFAULT_FG}}`,
  ".sb{font-weight:bold}.sf{opacity:.7}.si{font-style:italic}",
  ".su{text-decoration:underline}.ss{text-decoration:line-through}",
  ".su.ss{text-decoration:underline line-through}",
].join("\n");

/** Renders lines of one stream, keeping its SGR state from line to line as a terminal does. */
export interface AnsiRenderer {
  /**
   * One line (without its newline) as HTML; every span it opens is closed at its end.
   * `continues` says the line is a piece of a longer one (cut at 64 Ki characters) whose next
   * piece is the next line given: an escape sequence it leaves unfinished is read on into it.
   */
  line(text: string, continues?: boolean): string;
}

/**
 * Creates a renderer for one stream of a task's output. Each line shows what a terminal shows
 * at its end: a carriage return, a backspace and the cursor moves within a line (CHA, CUF,
 * CUB) move where the next characters are written, over those already there, and erasing
 * in the line (EL) blanks it; BEL and the other controls print nothing.
 *
 * @example
 * ```ts
 * import { createAnsiRenderer } from "./ansi_html.ts";
 * createAnsiRenderer().line("\x1b[31mred\x1b[0m plain"); // '<span class="f1">red</span> plain'
 * createAnsiRenderer().line("10%\r20%\r100%"); // "100%"
 * ```
 */
export function createAnsiRenderer(): AnsiRenderer {
  let style: Style = { ...PLAIN };
  // The start of an escape sequence that the last piece of a long line left unfinished.
  let carried = "";
  return {
    line(piece, continues = false) {
      const text = carried + piece;
      carried = "";
      const cells = new LineCells();
      let at = 0;
      while (at < text.length) {
        const next = nextRendererControl(text, at);
        if (next === -1) {
          cells.write(text.slice(at), style);
          break;
        }
        cells.write(text.slice(at, next), style);
        const control = text[next]!;
        if (control === "\r") cells.column = 0;
        else if (control === "\b") cells.column = Math.max(0, cells.column - 1);
        if (!SEQUENCE_STARTS.includes(control)) {
          // Carriage return and backspace done; BEL and the rest print nothing.
          at = next + 1;
          continue;
        }
        const end = sequenceEnd(text, next);
        if (end === -1) {
          if (continues) carried = unfinishedSequence(text, next);
          break;
        }
        const sgr = sgrParameters(text, next, end);
        if (sgr !== undefined) style = applySgr(style, sgr);
        else moveInLine(cells, text, next, end);
        at = end;
      }
      return cells.html();
    },
  };
}

/**
 * One line as a terminal holds it: a character (a code point; wide characters and combining
 * marks are not told apart) and its style per column, and the column written next. Text
 * written at the end, as almost all is, is held as it comes, a string per write; it is split
 * into characters only once something is written over or erased.
 */
class LineCells {
  // The style of a blank left by erasing or by a cursor moved past the end: plain, and
  // known by its identity, so that blanks at the end of the line are not written out.
  static readonly BLANK: Readonly<Style> = { ...PLAIN };
  // One entry per write until split, then one per column.
  #texts: string[] = [];
  #styles: Readonly<Style>[] = [];
  #split = false;
  #length = 0; // in columns
  column = 0;

  /** Writes `text` from the column on, over what is there. */
  write(text: string, style: Readonly<Style>): void {
    if (text === "") return;
    if (!this.#split && this.column === this.#length) {
      this.#texts.push(text);
      this.#styles.push(style);
      this.#length += ucs2length(text);
      this.column = this.#length;
      return;
    }
    this.#splitIntoColumns();
    // A cursor moved past the end leaves blanks before what it writes.
    while (this.#texts.length < this.column) this.#push(" ", LineCells.BLANK);
    for (const character of text) {
      if (this.column === this.#texts.length) this.#push(character, style);
      else {
        this.#texts[this.column] = character;
        this.#styles[this.column] = style;
      }
      this.column++;
    }
    this.#length = this.#texts.length;
  }

  /** Blanks the columns in [from, to). */
  blank(from: number, to: number): void {
    this.#splitIntoColumns();
    for (let i = from; i < Math.min(to, this.#texts.length); i++) {
      this.#texts[i] = " ";
      this.#styles[i] = LineCells.BLANK;
    }
  }

  /** Drops everything from `column` on (blanks at the end of a line show as nothing). */
  truncate(column: number): void {
    if (column >= this.#length) return;
    this.#splitIntoColumns();
    this.#texts.length = this.#styles.length = this.#length = column;
  }

  /** The line as HTML: each run of one style in one span. */
  html(): string {
    let html = "", count = this.#texts.length;
    while (count > 0 && this.#styles[count - 1] === LineCells.BLANK) count--;
    for (let start = 0; start < count;) {
      let end = start + 1;
      while (end < count && sameStyle(this.#styles[end]!, this.#styles[start]!)) end++;
      html += wrap(this.#styles[start]!, escapeHtml(this.#texts.slice(start, end).join("")));
      start = end;
    }
    return html;
  }

  #splitIntoColumns(): void {
    if (this.#split) return;
    this.#split = true;
    const [texts, styles] = [this.#texts, this.#styles];
    this.#texts = [];
    this.#styles = [];
    texts.forEach((text, i) => {
      for (const character of text) this.#push(character, styles[i]!);
    });
  }

  #push(character: string, style: Readonly<Style>): void {
    this.#texts.push(character);
    this.#styles.push(style);
  }
}

/**
 * The last column (from 0) a move takes the cursor to, as a terminal's stops at its right
 * margin: the page has none, but `ESC[2000000000C` must not write two billion blanks. The
 * text of a line the page holds is no longer (a longer one comes in pieces of this length),
 * so no move within it is cut.
 */
const LAST_COLUMN = MAX_LINE_LENGTH - 1;

/** Applies the CSI sequence `text[start, end)` if it moves the cursor in the line or erases it. */
function moveInLine(cells: LineCells, text: string, start: number, end: number): void {
  const body = csiBody(text, start, end);
  if (body === undefined || !/^\d*$/.test(body)) return;
  const n = body === "" ? 0 : Number(body);
  switch (text[end - 1]) {
    case "G": // CHA: to column n (1 when 0 or none)
      cells.column = Math.min(Math.max(1, n) - 1, LAST_COLUMN);
      break;
    case "C": // CUF: n forward
      // Nor back: text written on may have taken the cursor past the bound.
      cells.column = Math.max(cells.column, Math.min(cells.column + Math.max(1, n), LAST_COLUMN));
      break;
    case "D": // CUB: n back
      cells.column = Math.max(0, cells.column - Math.max(1, n));
      break;
    case "K": // EL: erase to the end (0), from the start through the cursor (1), all (2)
      if (n === 0) cells.truncate(cells.column);
      else if (n === 1) cells.blank(0, cells.column + 1);
      else if (n === 2) {
        cells.truncate(cells.column);
        cells.blank(0, cells.column);
      }
      break;
  }
}

/** Where the next character the renderer must act on is: a control, or -1 if none. */
function nextRendererControl(text: string, from: number): number {
  RENDERER_CONTROL.lastIndex = from;
  return RENDERER_CONTROL.exec(text)?.index ?? -1;
}

// Every C0 control but tab (a line holds no newline), DEL, and the C1 controls: ESC and the
// 8-bit introducers start a sequence, carriage return and backspace move the cursor, and a
// terminal prints nothing for the others (BEL rings, NUL is padding…).
// deno-lint-ignore no-control-regex -- control characters are what it looks for
const RENDERER_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * The characters that start an escape sequence: ESC, and the 8-bit introducers written as
 * characters: DCS, SOS, CSI, OSC, PM, APC.
 */
const SEQUENCE_STARTS = "\x1b\x90\x98\x9b\x9d\x9e\x9f";

/**
 * What of the unfinished sequence starting at `start` is carried into the next piece: all of
 * it for a CSI or ESC sequence, whose parameters count; for a string (OSC, DCS…), whose text
 * is dropped, its introducer, and the ESC at its end that may begin the terminator.
 */
function unfinishedSequence(text: string, start: number): string {
  const introducer = text.charCodeAt(start) === 0x1b ? 2 : 1;
  if (sequenceKind(text, start) !== "string") return text.slice(start);
  return text.slice(start, start + introducer) +
    (text.length - 1 >= start + introducer && text.endsWith("\x1b") ? "\x1b" : "");
}

/** The kind of the escape sequence at `start`; "unknown" for an ESC that ends the text. */
function sequenceKind(text: string, start: number): "csi" | "string" | "other" | "unknown" {
  const first = text.charCodeAt(start);
  if (first !== 0x1b) return first === 0x9b ? "csi" : "string";
  if (start + 1 >= text.length) return "unknown";
  const second = text[start + 1]!;
  return second === "[" ? "csi" : "]PX^_".includes(second) ? "string" : "other";
}

/**
 * The index just past the escape sequence starting at `start` (ESC or a C1 introducer), as
 * ECMA-48 delimits them; -1 when `text` ends before the sequence does. A lone ESC is one
 * character.
 */
function sequenceEnd(text: string, start: number): number {
  const kind = sequenceKind(text, start);
  if (kind === "unknown") return -1;
  let at = start + (text.charCodeAt(start) === 0x1b && kind !== "other" ? 2 : 1);
  if (kind === "csi") {
    // Parameter and intermediate bytes, then one final byte in @–~.
    while (at < text.length) {
      const code = text.charCodeAt(at++);
      if (code >= 0x40 && code <= 0x7e) return at;
      // CAN and SUB cancel it, as a terminal does, and are gone with it.
      if (code === 0x18 || code === 0x1a) return at;
      if (code < 0x20 || code > 0x3f) return at - 1; // malformed: stop before it
    }
    return -1;
  }
  if (kind === "string") {
    // OSC, DCS, SOS, PM, APC: up to the string terminator (ESC \ or ST), or BEL for OSC.
    // CAN and SUB cancel it, as a terminal does: what follows them is shown, not swallowed.
    while (at < text.length) {
      const code = text.charCodeAt(at);
      if (code === 0x07 || code === 0x9c || code === 0x18 || code === 0x1a) return at + 1;
      if (code === 0x1b) return at + 1 >= text.length ? -1 : text[at + 1] === "\\" ? at + 2 : at;
      at++;
    }
    return -1;
  }
  // ESC, intermediates (space–/), one final byte (0–~), CAN or SUB cancelling it; ESC
  // followed by anything else is alone.
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code >= 0x20 && code <= 0x2f) at++;
    else if ((code >= 0x30 && code <= 0x7e) || code === 0x18 || code === 0x1a) return at + 1;
    else return start + 1;
  }
  return -1;
}

/** Where the next escape sequence (one of {@linkcode SEQUENCE_STARTS}) starts; -1 if none. */
function nextSequenceStart(text: string, from: number): number {
  SEQUENCE_START.lastIndex = from;
  return SEQUENCE_START.exec(text)?.index ?? -1;
}

const SEQUENCE_START = new RegExp(`[${SEQUENCE_STARTS}]`, "g");

/**
 * `index`, or the end of the escape sequence it falls inside: where a text cut at `index`
 * may begin without the rest of a sequence (`[31m`) showing as text.
 *
 * @example
 * ```ts
 * import { pastEscapeSequence } from "./ansi_html.ts";
 * pastEscapeSequence("ab\x1b[31mred", 4); // 7
 * ```
 */
export function pastEscapeSequence(text: string, index: number): number {
  const start = sequenceAcross(text, index);
  if (start === -1) return index;
  // One cut short ends with the text.
  const end = sequenceEnd(text, start);
  return end === -1 ? text.length : end;
}

/**
 * The start of the escape sequence that `text`, a piece of a long line, leaves unfinished at
 * its end, as it is read on into the next piece; undefined when it leaves none.
 *
 * @example
 * ```ts
 * import { unfinishedSequenceAt } from "./ansi_html.ts";
 * unfinishedSequenceAt("red\x1b[3"); // "\x1b[3"
 * unfinishedSequenceAt("red\x1b[31m"); // undefined
 * ```
 */
export function unfinishedSequenceAt(text: string): string | undefined {
  const start = sequenceAcross(text, text.length);
  return start === -1 ? undefined : unfinishedSequence(text, start);
}

/**
 * The start of the escape sequence that begins before `index` and ends after it, or runs on
 * past the end of `text`; -1 when there is none.
 */
function sequenceAcross(text: string, index: number): number {
  // Read forward from the start, as the renderer reads the line: looked for backward, a C1
  // character in an OSC's text (a title, a link) would pass for the start of a sequence.
  for (let at = 0;;) {
    const start = nextSequenceStart(text, at);
    if (start === -1 || start >= index) return -1;
    at = sequenceEnd(text, start);
    if (at === -1 || at > index) return start;
  }
}

/**
 * Where `text`, the piece after one that left the escape sequence `sequence` unfinished (as
 * {@linkcode unfinishedSequenceAt} gives it), goes on past that sequence's rest; -1 when the
 * sequence runs on past it (an OSC image, a DCS string may fill several pieces).
 *
 * @example
 * ```ts
 * import { restOfSequence } from "./ansi_html.ts";
 * restOfSequence("\x1b[3", "1mred"); // 2
 * restOfSequence("\x1b]", "0;a long title"); // -1
 * ```
 */
export function restOfSequence(sequence: string, text: string): number {
  const end = sequenceEnd(sequence + text, 0);
  return end === -1 ? -1 : Math.max(0, end - sequence.length);
}

/** The parameters of the SGR sequence `text[start, end)`, or undefined when it is not one. */
function sgrParameters(text: string, start: number, end: number): string | undefined {
  if (text.charCodeAt(end - 1) !== 0x6d /* m */) return undefined;
  const body = csiBody(text, start, end);
  return body !== undefined && /^[\d;:]*$/.test(body) ? body : undefined;
}

/** The parameters and intermediates of the CSI sequence `text[start, end)`; undefined if none. */
function csiBody(text: string, start: number, end: number): string | undefined {
  const code = text.charCodeAt(end - 1);
  // A sequence cancelled by CAN or SUB, or cut short, has no final byte: it does nothing.
  if (code < 0x40 || code > 0x7e) return undefined;
  return text.charCodeAt(start) === 0x9b
    ? text.slice(start + 1, end - 1)
    : text[start + 1] === "["
    ? text.slice(start + 2, end - 1)
    : undefined;
}

/** The style after the SGR parameters `parameters` (`1;31`, `38;5;208`, `38:2::1:2:3`). */
function applySgr(current: Readonly<Style>, parameters: string): Style {
  const style = { ...current };
  const codes = parameters.split(";");
  for (let i = 0; i < codes.length; i++) {
    const [code = "", ...sub] = codes[i]!.split(":");
    const n = code === "" ? 0 : Number(code);
    if (n === 38 || n === 48 || n === 58) {
      // Sub-parameters (38:5:n, 38:2::r:g:b) or the next parameters (38;5;n, 38;2;r;g;b).
      // 58, the underline's colour, is not drawn, but its numbers are taken all the same:
      // read one by one, 58;2;1;3;4 would turn on faint, bold, italic and underline.
      let args: string[];
      if (sub.length > 0) args = sub[0] === "2" && sub.length === 5 ? ["2", ...sub.slice(2)] : sub;
      else {
        args = codes.slice(i + 1, i + 1 + (codes[i + 1] === "2" ? 4 : 2));
        i += args.length;
      }
      const color = extendedColor(args);
      if (n === 38) style.fg = color ?? style.fg;
      else if (n === 48) style.bg = color ?? style.bg;
      continue;
    }
    if (n === 0) Object.assign(style, PLAIN);
    else if (n === 1) style.bold = true;
    else if (n === 2) style.faint = true;
    else if (n === 3) style.italic = true;
    // 4:0 is "not underlined"; 4:1 to 4:5 (single, double, curly, dotted, dashed) are drawn
    // as one underline, and so is 21, ECMA-48's double underline.
    else if (n === 4) style.underline = sub[0] !== "0";
    else if (n === 7) style.inverse = true;
    else if (n === 9) style.strike = true;
    else if (n === 21) style.underline = true;
    else if (n === 22) [style.bold, style.faint] = [false, false];
    else if (n === 23) style.italic = false;
    else if (n === 24) style.underline = false;
    else if (n === 27) style.inverse = false;
    else if (n === 29) style.strike = false;
    else if (n >= 30 && n <= 37) style.fg = n - 30;
    else if (n === 39) style.fg = undefined;
    else if (n >= 40 && n <= 47) style.bg = n - 40;
    else if (n === 49) style.bg = undefined;
    else if (n >= 90 && n <= 97) style.fg = n - 90 + 8;
    else if (n >= 100 && n <= 107) style.bg = n - 100 + 8;
    // Others (blink, conceal, fonts…) are left out.
  }
  return style;
}

/** `5;n` (a palette index) or `2;r;g;b` as a colour; undefined when malformed. */
function extendedColor(args: readonly string[]): Color {
  const numbers = args.map((arg) => arg === "" ? 0 : Number(arg));
  if (numbers.some((value) => !Number.isInteger(value) || value < 0 || value > 255)) {
    return undefined;
  }
  if (numbers[0] === 5 && numbers.length === 2) return numbers[1]!;
  if (numbers[0] === 2 && numbers.length === 4) {
    return "#" + numbers.slice(1).map(hex).join("");
  }
  return undefined;
}

/** The colour of a 256-colour palette index above 15: the 6×6×6 cube, then 24 greys. */
function paletteColor(index: number): string {
  if (index >= 232) return "#" + hex(8 + 10 * (index - 232)).repeat(3);
  const levels = [0, 95, 135, 175, 215, 255];
  const cube = index - 16;
  return "#" + [Math.floor(cube / 36), Math.floor(cube / 6) % 6, cube % 6]
    .map((level) => hex(levels[level]!)).join("");
}

/** A colour channel, 0–255, as two hex digits. */
function hex(value: number): string {
  return value.toString(16).padStart(2, "0");
}

function sameStyle(a: Readonly<Style>, b: Readonly<Style>): boolean {
  return a.fg === b.fg && a.bg === b.bg && a.bold === b.bold && a.faint === b.faint &&
    a.italic === b.italic && a.underline === b.underline && a.inverse === b.inverse &&
    a.strike === b.strike;
}

/** `html` in a span of `style`'s classes and colours; as it is when the style is plain. */
function wrap(style: Readonly<Style>, html: string): string {
  const classes: string[] = [], css: string[] = [];
  const [fg, bg] = style.inverse ? [style.bg, style.fg] : [style.fg, style.bg];
  if (style.inverse) {
    // The default colours swapped: the page's background as text, its text as background.
    if (fg === undefined) classes.push("fd");
    if (bg === undefined) classes.push("bd");
  }
  for (const [color, prefix, property] of [[fg, "f", "color"], [bg, "b", "background"]] as const) {
    if (color === undefined) continue;
    if (typeof color === "number" && color < 16) classes.push(`${prefix}${color}`);
    else css.push(`${property}:${typeof color === "number" ? paletteColor(color) : color}`);
  }
  if (style.bold) classes.push("sb");
  if (style.faint) classes.push("sf");
  if (style.italic) classes.push("si");
  if (style.underline) classes.push("su");
  if (style.strike) classes.push("ss");
  if (classes.length === 0 && css.length === 0) return html;
  const classAttribute = classes.length === 0 ? "" : ` class="${classes.join(" ")}"`;
  const styleAttribute = css.length === 0 ? "" : ` style="${css.join(";")}"`;
  return `<span${classAttribute}${styleAttribute}>${html}</span>`;
}
