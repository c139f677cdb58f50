import assert from "node:assert/strict";
import { createAnsiRenderer, pastEscapeSequence } from "../src/format/ansi_html.ts";

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

Deno.test("CAN and SUB cancel a CSI sequence too, and are not shown", () => {
  assert.equal(render("\x1b[31\x18shown"), "shown");
  assert.equal(render("\x1b[1;3\x1ashown"), "shown");
  assert.equal(render("\x9b31\x18shown"), "shown");
  assert.equal(render("\x1b(\x18shown"), "shown");
  assert.equal(pastEscapeSequence("\x1b[3\x18ab", 2), 4);
});
