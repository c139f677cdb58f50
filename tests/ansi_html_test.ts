import assert from "node:assert/strict";
import { createAnsiRenderer, pastEscapeSequence } from "../src/format/ansi_html.ts";
import { MAX_LINE_LENGTH } from "../src/lines.ts";

/** One line through a fresh renderer. */
const render = (text: string) => createAnsiRenderer().line(text);

Deno.test("the arguments of an underline colour (SGR 58) are not read as attributes", () => {
  // 58;2;1;3;4 read one number at a time: faint, bold, italic, underline; 58;5;9: strike.
  assert.equal(render("\x1b[58;2;1;3;4mx"), "x");
  assert.equal(render("\x1b[58;5;9mx"), "x");
  assert.equal(render("\x1b[58:5:9;1mx"), '<span class="sb">x</span>');
  // What follows the colour still counts, and 59 (the default underline colour) is harmless.
  assert.equal(render("\x1b[58;5;9;1mx\x1b[59my"), '<span class="sb">xy</span>');
});

Deno.test("underline styles: 4:0 ends the underline, 4:1 to 4:5 and 21 (double) draw one", () => {
  assert.equal(render("\x1b[4mu\x1b[4:0mx"), '<span class="su">u</span>x');
  for (const style of ["4:1", "4:2", "4:3", "4:4", "4:5", "21"]) {
    assert.equal(render(`\x1b[${style}mx`), '<span class="su">x</span>', style);
  }
  // 21 is ECMA-48's double underline, not "bold off": bold stays.
  assert.equal(render("\x1b[1;21mx"), '<span class="sb su">x</span>');
});

Deno.test("CAN and SUB cancel an escape sequence: the text after them shows", () => {
  assert.equal(render("\x1b]0;title\x18shown"), "shown");
  assert.equal(render("\x1bPdcs\x1ashown"), "shown");
  assert.equal(render("\x9d0;title\x18shown"), "shown");
  // A cut just after the cancelled sequence starts there, not at the end of the line.
  assert.equal(pastEscapeSequence("\x1b]0;t\x18shown", 7), 7);
});

Deno.test("pastEscapeSequence() sees a C1 character inside an OSC as the OSC's text", () => {
  // The title holds U+009B (CSI as a character): a cut after it is still inside the title.
  const line = "\x1b]0;a\x9b31mb\x07shown";
  const cut = pastEscapeSequence(line, 9);
  assert.equal(cut, 11);
  assert.equal(render(line.slice(cut)), "shown");
  assert.equal(pastEscapeSequence("ab\x1b[31mred", 4), 7);
  assert.equal(pastEscapeSequence("ab\x1b[31mred", 7), 7);
  assert.equal(pastEscapeSequence("ab\x1b[31mred", 2), 2);
  assert.equal(pastEscapeSequence("\x1b]0;unterminated", 5), 16);
});

Deno.test("a carriage return writes over the line as on a terminal; BEL and other controls show nothing", () => {
  // A progress line shows what the terminal shows at its end.
  assert.equal(render("10%\r20%\r100%"), "100%");
  // What the new text does not cover stays, as on a terminal…
  assert.equal(render("abcdef\rxy"), "xycdef");
  // …unless the line is erased (EL 0 and 2), and backspace steps back.
  assert.equal(render("downloading\r\x1b[Kok"), "ok");
  assert.equal(render("downloading\x1b[2K\rok"), "ok");
  assert.equal(render("downloading\x1b[1G\x1b[0Kok"), "ok");
  assert.equal(render("ab\bc"), "ac");
  assert.equal(render("abc\x1b[2Dx\x1b[3Cy"), "axc  y");
  assert.equal(render("abcdef\x1b[4G\x1b[1Kx"), "   xef");
  // Each character keeps the colour it was written in.
  assert.equal(
    render("\x1b[31mfailed\r\x1b[32mok"),
    '<span class="f2">ok</span><span class="f1">iled</span>',
  );
  // A trailing carriage return moves the cursor only.
  assert.equal(render("done\r"), "done");
  // BEL rings, NUL, DEL and the other C0 and C1 controls print nothing; a tab is text.
  assert.equal(render("ding\x07 done\x00\x01\x7f\x85\x9c\tend"), "ding done\tend");
});

Deno.test("an escape sequence cut between two pieces of a long line is read on into the next", () => {
  const pieces = createAnsiRenderer();
  assert.equal(pieces.line("a\x1b[3", true), "a");
  assert.equal(pieces.line("1mred"), '<span class="f1">red</span>');
  // A lone ESC, an OSC (hyperlink) and an OSC's string terminator cut after its ESC.
  assert.equal(pieces.line("b\x1b", true), '<span class="f1">b</span>');
  assert.equal(pieces.line("[0mplain"), "plain");
  assert.equal(pieces.line("x\x1b]8;;https://exa", true), "x");
  assert.equal(pieces.line("mple.org/\x07link"), "link");
  assert.equal(pieces.line("\x1b]0;title\x1b", true), "");
  assert.equal(pieces.line("\\shown"), "shown");
  // A sequence left unfinished at the end of a whole line ends there, as before.
  const lines = createAnsiRenderer();
  assert.equal(lines.line("a\x1b]0;unterminated"), "a");
  assert.equal(lines.line("next"), "next");
});

Deno.test("CAN and SUB cancel a CSI sequence too, and are not shown", () => {
  assert.equal(render("\x1b[31\x18shown"), "shown");
  assert.equal(render("\x1b[1;3\x1ashown"), "shown");
  assert.equal(render("\x9b31\x18shown"), "shown");
  assert.equal(render("\x1b(\x18shown"), "shown");
  assert.equal(pastEscapeSequence("\x1b[3\x18ab", 2), 4);
});

Deno.test("a cursor moved right without bound stops at column 64 Ki, as a terminal stops at its last", () => {
  // 2,000,000,000 blanks would take the page (and the run writing it) down.
  for (const move of ["\x1b[2000000000C", "\x1b[2000000000G", "\x1b[99999999999999999999C"]) {
    assert.equal(
      render(`a${move}b`),
      "a" + " ".repeat(MAX_LINE_LENGTH - 2) + "b",
      JSON.stringify(move),
    );
  }
  // Text written on goes past it; a move forward from there goes neither back nor on.
  assert.equal(
    render("a\x1b[2000000000Cbc\x1b[Cd"),
    "a" + " ".repeat(MAX_LINE_LENGTH - 2) + "bcd",
  );
  // Within the bound, a move is as it was: "\x1b[999C\x1b[4D" right-aligns on a terminal.
  assert.equal(render("a\x1b[999C\x1b[4Dend"), "a" + " ".repeat(995) + "end");
});
