import assert from "node:assert/strict";
import { printable, printableKey } from "../src/format/printable.ts";

Deno.test("printable leaves text without control characters as it is", () => {
  for (const text of ["build", "C:\\work\\x", "naïve 名前 🚀", ""]) {
    assert.equal(printable(text), text);
  }
});

Deno.test("printable escapes control characters as JSON does, and then backslashes too", () => {
  assert.equal(printable("a\u001b[2Jb\u0007"), "a\\u001b[2Jb\\u0007");
  // A name that holds a backslash sequence of its own is told apart from the escape of a
  // control character: the escaped form reads back, as a JSON string, as the very name.
  for (const text of ["\\u0007\u0007", "\u0007\\u0007", "tab\there\\", "\u009b\\\\"]) {
    const shown = printable(text);
    assert.equal(JSON.parse(`"${shown}"`), text);
  }
  assert.notEqual(printable("\\u0007\u0007"), printable("\u0007\\u0007"));
});

Deno.test("printable escapes the invisible characters that reorder or break a line as shown", () => {
  // U+202E would show the rest of the line backwards: "a\u202Edab" reads as "abad".
  assert.equal(printable("a\u202edab"), "a\\u202edab");
  for (
    const c of ["\u061c", "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u2066", "\u2069"]
  ) {
    const shown = printable(`x${c}\\y`);
    assert.equal(shown, `x\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}\\\\y`);
    assert.equal(JSON.parse(`"${shown}"`), `x${c}\\y`);
  }
  // Zero-width joiners are part of how emoji and some scripts are written: left alone.
  assert.equal(printable("👩\u200d💻"), "👩\u200d💻");
});

Deno.test("printable escapes lone surrogates, which would all print as U+FFFD", () => {
  // Two tasks named "a\ud800" and "a\udfff" (JSON allows both) printed alike, and like
  // "a\ufffd".
  assert.equal(printable("a\ud800"), "a\\ud800");
  assert.equal(printable("\udfffb\\"), "\\udfffb\\\\");
  assert.equal(printable("\ud83d\ude00\ud83d"), "\ud83d\ude00\\ud83d");
  assert.equal(JSON.parse(`"${printable("x\udc00\\y")}"`), "x\udc00\\y");
  // A whole pair is a character: left alone, as U+FFFD itself is.
  assert.equal(printable("😀\ufffd"), "😀\ufffd");
});

Deno.test("printable escapes the noncharacters, every one and nothing else, as JSON reads back", () => {
  // U+FDD0 to U+FDEF and the last two code points of every plane: reserved, never to show.
  const noncharacter = /^\p{Noncharacter_Code_Point}$/u;
  // The other characters printable() escapes, as its own pattern lists them.
  // deno-lint-ignore no-control-regex
  const control = /^[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]$/;
  const missed: string[] = [];
  for (let code = 0; code <= 0x10ffff; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue; // lone surrogates: tested above
    const character = String.fromCodePoint(code);
    const escaped = printable(`a${character}`) !== `a${character}`;
    const expected = noncharacter.test(character) || control.test(character);
    if (escaped !== expected) missed.push(code.toString(16));
  }
  assert.deepEqual(missed, []);
  assert.equal(printable("a\ufdd0b\uffff"), "a\\ufdd0b\\uffff");
  // Past the first plane, as its two UTF-16 units, as JSON writes it.
  assert.equal(printable("\u{10ffff}\\"), "\\udbff\\udfff\\\\");
  assert.equal(JSON.parse(`"${printable("x\u{1fffe}\\y")}"`), "x\u{1fffe}\\y");
  assert.equal(printableKey("\u{2ffff}"), "\\ud87f\\udfff");
  // Their neighbours are characters: left alone.
  assert.equal(
    printable("\ufdcf\ufdf0\ufffd\u{1fffd}\u{10000}"),
    "\ufdcf\ufdf0\ufffd\u{1fffd}\u{10000}",
  );
});
