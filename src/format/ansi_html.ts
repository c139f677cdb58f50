/**
 * Task output with terminal escape sequences, as HTML: SGR colours and attributes (the 16
 * standard colours, 256 colours, true colour, bold, faint, italic, underline, inverse,
 * strike-through) become styled spans; every other escape sequence (cursor moves, erasures,
 * OSC titles and hyperlinks, DCS strings) is dropped, so that none shows as text. The text
 * between them goes through {@linkcode escapeHtml}; a span's class and style are built from
 * numbers only, never from the output's text.
 *
 * @module
 */

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  // NUL may not appear in an HTML page at all: a parser would replace it as this does.
  return text.replace(/[&<>"'\0]/g, (c) => c === "\0" ? "\ufffd" : `&#${c.charCodeAt(0)};`);
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
  /** One line (without its newline) as HTML; every span it opens is closed at its end. */
  line(text: string): string;
}

/**
 * Creates a renderer for one stream of a task's output.
 *
 * @example
 * ```ts
 * import { createAnsiRenderer } from "./ansi_html.ts";
 * createAnsiRenderer().line("\x1b[31mred\x1b[0m plain"); // '<span class="f1">red</span> plain'
 * ```
 */
export function createAnsiRenderer(): AnsiRenderer {
  let style: Style = { ...PLAIN };
  return {
    line(text) {
      let html = "", at = 0, run = "";
      const flush = () => {
        if (run === "") return;
        html += wrap(style, escapeHtml(run));
        run = "";
      };
      while (at < text.length) {
        const next = nextControl(text, at);
        if (next === -1) {
          run += text.slice(at);
          break;
        }
        run += text.slice(at, next);
        const end = escapeSequenceEnd(text, next);
        const sgr = sgrParameters(text, next, end);
        if (sgr !== undefined) {
          const changed = applySgr(style, sgr);
          if (!sameStyle(changed, style)) {
            flush();
            style = changed;
          }
        }
        at = end;
      }
      flush();
      return html;
    },
  };
}

/** Where the next escape sequence (ESC, or the C1 controls CSI, OSC, DCS…) starts; -1 if none. */
function nextControl(text: string, from: number): number {
  ESCAPE_START.lastIndex = from;
  return ESCAPE_START.exec(text)?.index ?? -1;
}

// ESC, and the 8-bit introducers written as characters: DCS, SOS, CSI, OSC, PM, APC.
// deno-lint-ignore no-control-regex -- control characters are what it looks for
const ESCAPE_START = /[\x1b\x90\x98\x9b\x9d\x9e\x9f]/g;

/**
 * The index just past the escape sequence starting at `start` (ESC or a C1 introducer), as
 * ECMA-48 delimits them; the end of `text` when it is cut short. A lone ESC is one character.
 *
 * @example
 * ```ts
 * import { escapeSequenceEnd } from "./ansi_html.ts";
 * escapeSequenceEnd("\x1b[1;31mx", 0); // 7
 * ```
 */
export function escapeSequenceEnd(text: string, start: number): number {
  const first = text.charCodeAt(start);
  let kind: "csi" | "string" | "other";
  let at: number;
  if (first === 0x1b) {
    if (start + 1 >= text.length) return text.length;
    const second = text[start + 1]!;
    kind = second === "[" ? "csi" : "]PX^_".includes(second) ? "string" : "other";
    at = start + (kind === "other" ? 1 : 2);
  } else {
    kind = first === 0x9b ? "csi" : "string";
    at = start + 1;
  }
  if (kind === "csi") {
    // Parameter and intermediate bytes, then one final byte in @–~.
    while (at < text.length) {
      const code = text.charCodeAt(at++);
      if (code >= 0x40 && code <= 0x7e) return at;
      // CAN and SUB cancel it, as a terminal does, and are gone with it.
      if (code === 0x18 || code === 0x1a) return at;
      if (code < 0x20 || code > 0x3f) return at - 1; // malformed: stop before it
    }
    return text.length;
  }
  if (kind === "string") {
    // OSC, DCS, SOS, PM, APC: up to the string terminator (ESC \ or ST), or BEL for OSC.
    // CAN and SUB cancel it, as a terminal does: what follows them is shown, not swallowed.
    while (at < text.length) {
      const code = text.charCodeAt(at);
      if (code === 0x07 || code === 0x9c || code === 0x18 || code === 0x1a) return at + 1;
      if (code === 0x1b) return text[at + 1] === "\\" ? at + 2 : at;
      at++;
    }
    return text.length;
  }
  // ESC, intermediates (space–/), one final byte (0–~), CAN or SUB cancelling it; ESC
  // followed by anything else is alone.
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code >= 0x20 && code <= 0x2f) at++;
    else if ((code >= 0x30 && code <= 0x7e) || code === 0x18 || code === 0x1a) return at + 1;
    else return start + 1;
  }
  return text.length;
}

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
  // Read forward from the start, as the renderer reads the line: looked for backward, a C1
  // character in an OSC's text (a title, a link) would pass for the start of a sequence.
  for (let at = 0;;) {
    const start = nextControl(text, at);
    if (start === -1 || start >= index) return index;
    at = escapeSequenceEnd(text, start);
    if (at > index) return at;
  }
}

/** The parameters of the SGR sequence `text[start, end)`, or undefined when it is not one. */
function sgrParameters(text: string, start: number, end: number): string | undefined {
  // A sequence cancelled by CAN or SUB has no final byte: it does nothing.
  if (text.charCodeAt(end - 1) !== 0x6d /* m */) return undefined;
  const body = text.charCodeAt(start) === 0x9b
    ? text.slice(start + 1, end - 1)
    : text[start + 1] === "["
    ? text.slice(start + 2, end - 1)
    : undefined;
  return body !== undefined && /^[\d;:]*$/.test(body) ? body : undefined;
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
    return "#" + numbers.slice(1).map((value) => value.toString(16).padStart(2, "0")).join("");
  }
  return undefined;
}

/** The colour of a 256-colour palette index above 15: the 6×6×6 cube, then 24 greys. */
function paletteColor(index: number): string {
  const hex = (value: number) => value.toString(16).padStart(2, "0");
  if (index >= 232) return "#" + hex(8 + 10 * (index - 232)).repeat(3);
  const levels = [0, 95, 135, 175, 215, 255];
  const cube = index - 16;
  return "#" + [Math.floor(cube / 36), Math.floor(cube / 6) % 6, cube % 6]
    .map((level) => hex(levels[level]!)).join("");
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
