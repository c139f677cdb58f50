import assert from "node:assert/strict";
import { forEachLine, forEachLineBlock, LineBlockSplitter, MAX_LINE_LENGTH } from "../src/lines.ts";

/** A byte stream delivering the given chunks, as a pipe might cut them. */
function streamOf(...chunks: (string | number[])[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(
    chunks.map((chunk) =>
      typeof chunk === "string" ? encoder.encode(chunk) : new Uint8Array(chunk)
    ),
  );
}

async function blocks(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const seen: string[] = [];
  await forEachLineBlock(stream, (lines) => seen.push(lines));
  return seen;
}

Deno.test("forEachLineBlock() passes the complete lines of each read as one block", async () => {
  assert.deepEqual(await blocks(streamOf("a\nb\nc", "d\ne\n", "f")), ["a\nb", "cd\ne", "f"]);
});

Deno.test("forEachLineBlock() drops the \\r of \\r\\n endings", async () => {
  assert.deepEqual(await blocks(streamOf("a\r\nb\r\n", "c\r\n")), ["a\nb", "c"]);
  // The \r in one read, its \n in the next.
  assert.deepEqual(await blocks(streamOf("a\r", "\nb\r", "\n")), ["a", "b"]);
  assert.deepEqual(await blocks(streamOf("x\ny\r", "", "\nz")), ["x", "y", "z"]);
  // Only the \r that ends a line: one before another \r (or U+2028) ends none, and stays.
  assert.deepEqual(await blocks(streamOf("p\r\rq\n", "r\r\r\n", "s\r\u2028t")), [
    "p\r\rq",
    "r\r",
    "s\r\u2028t",
  ]);
});

Deno.test("forEachLineBlock() decodes a character split across reads", async () => {
  // "é" is 0xC3 0xA9; the pipe cut it in two.
  assert.deepEqual(await blocks(streamOf([0x63, 0x61, 0x66, 0xc3], [0xa9, 0x0a])), ["café"]);
});

Deno.test("forEachLineBlock() turns invalid UTF-8 into U+FFFD", async () => {
  assert.deepEqual(await blocks(streamOf([0x61, 0xff, 0xfe, 0x0a])), ["a\uFFFD\uFFFD"]);
});

Deno.test("forEachLineBlock() passes an endless line on in bounded pieces", async () => {
  const piece = "y".repeat(10_000);
  const seen = await blocks(streamOf(...Array.from({ length: 30 }, () => piece)));
  assert.equal(seen.join("").length, 300_000);
  assert.ok(seen.length >= 4);
  for (const block of seen) assert.ok(block.length <= MAX_LINE_LENGTH);
});

Deno.test("forEachLineBlock() reads a process's pipe into one reused buffer", async () => {
  const child = new Deno.Command("sh", {
    args: ["-c", "seq 1 100000"],
    stdout: "piped",
  }).spawn();
  let last = "";
  let count = 0;
  await forEachLineBlock(child.stdout, (lines) => {
    const split = lines.split("\n");
    count += split.length;
    last = split.at(-1)!;
  });
  await child.status;
  assert.equal(count, 100_000);
  assert.equal(last, "100000");
});

Deno.test("forEachLine() still calls back once per line", async () => {
  const lines: string[] = [];
  await forEachLine(streamOf("a\nb", "\nc"), (line) => lines.push(line));
  assert.deepEqual(lines, ["a", "b", "c"]);
});

Deno.test("LineBlockSplitter passes the lines of pushed chunks, the buffer reusable at once", () => {
  const seen: string[] = [];
  const splitter = new LineBlockSplitter((lines) => seen.push(lines));
  const buffer = new Uint8Array(8);
  const push = (bytes: string | number[]) => {
    const encoded = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    buffer.set(encoded);
    splitter.push(buffer.subarray(0, encoded.length));
    buffer.fill(0x7a); // whatever the splitter kept must not see this
  };
  push("a\nb");
  push("c\r\nd");
  push([0xc3]); // "é" cut in two
  push([0xa9, 0x0a, 0x65]);
  splitter.end();
  assert.deepEqual(seen, ["a", "bc", "dé", "e"]);
});

Deno.test("LineBlockSplitter passes nothing for no output", () => {
  const seen: string[] = [];
  const splitter = new LineBlockSplitter((lines) => seen.push(lines));
  splitter.end();
  assert.deepEqual(seen, []);
});

Deno.test("LineBlockSplitter joins a \\r\\n cut between pushes and drops the \\r", () => {
  const seen: string[] = [];
  const splitter = new LineBlockSplitter((lines) => seen.push(lines));
  const encoder = new TextEncoder();
  for (const piece of ["a\r", "\nb\r\nc\r", "", "\n", "d\re"]) splitter.push(encoder.encode(piece));
  splitter.end();
  // Blocks hold the lines each push completed; a \r that ends no line stays.
  assert.deepEqual(seen, ["a\nb", "c", "d\re"]);
});

Deno.test("LineBlockSplitter passes an endless pushed line on in bounded pieces", () => {
  const seen: string[] = [];
  const splitter = new LineBlockSplitter((lines) => seen.push(lines));
  const piece = new TextEncoder().encode("y".repeat(10_000));
  for (let i = 0; i < 30; i++) splitter.push(piece);
  splitter.push(new TextEncoder().encode("\nlast\n"));
  splitter.end();
  assert.ok(seen.length >= 5);
  for (const block of seen.slice(0, -1)) assert.ok(block.length <= MAX_LINE_LENGTH);
  // The pieces and the rest of the line, then the next line.
  assert.equal(seen.join(""), "y".repeat(300_000) + "\nlast");
});

Deno.test("LineBlockSplitter cuts a long line that its newline ends at the bound too, not into a piece of up to twice it", () => {
  const seen: string[] = [];
  const splitter = new LineBlockSplitter((lines) => seen.push(lines));
  // One 64 Ki read of the line, then its end and the next line in another read, as a pipe
  // delivers `head -c 100000 /dev/zero | tr '\\0' x; echo next`.
  splitter.push(new TextEncoder().encode("x".repeat(MAX_LINE_LENGTH)));
  splitter.push(new TextEncoder().encode("x".repeat(30_000) + "\r\nnext\n"));
  splitter.end();
  for (const block of seen) {
    for (const line of block.split("\n")) {
      assert.ok(line.length <= MAX_LINE_LENGTH, `${line.length}`);
    }
  }
  assert.deepEqual(seen, ["x".repeat(MAX_LINE_LENGTH), "x".repeat(30_000) + "\nnext"]);
});

Deno.test("LineBlockSplitter says which blocks are pieces of a long line: not a whole line of that length", () => {
  const seen: [string, boolean][] = [];
  const splitter = new LineBlockSplitter((lines, continues) => seen.push([lines, continues]));
  const encoder = new TextEncoder();
  // A line of exactly MAX_LINE_LENGTH characters whose newline comes in the next read, as a
  // pipe delivers `head -c 65536 /dev/zero | tr '\\0' x; echo`: whole, alone in its block.
  splitter.push(encoder.encode("x".repeat(MAX_LINE_LENGTH)));
  splitter.push(encoder.encode("\n"));
  // A longer one: its first MAX_LINE_LENGTH characters are a piece, the rest ends a block.
  splitter.push(encoder.encode("y".repeat(MAX_LINE_LENGTH + 10)));
  splitter.push(encoder.encode("\nz\n"));
  splitter.end();
  assert.deepEqual(seen, [
    ["x".repeat(MAX_LINE_LENGTH), false],
    ["y".repeat(MAX_LINE_LENGTH), true],
    ["y".repeat(10) + "\nz", false],
  ]);
});

Deno.test("LineBlockSplitter passes a final line without a newline, and invalid UTF-8 as U+FFFD", () => {
  const seen: string[] = [];
  const splitter = new LineBlockSplitter((lines) => seen.push(lines));
  splitter.push(new Uint8Array([0x61, 0x0a, 0x62, 0xff]));
  splitter.push(new Uint8Array([0xc3])); // a character cut off by the end
  splitter.end();
  assert.deepEqual(seen, ["a", "b\uFFFD\uFFFD"]);
});

Deno.test("LineBlockSplitter never cuts a long line inside a surrogate pair", () => {
  const seen: string[] = [];
  const splitter = new LineBlockSplitter((lines) => seen.push(lines));
  // "a" then emoji (two UTF-16 units each): a cut at 64 Ki units falls inside one.
  // Pushed before its newline, as a pipe delivers a long line: the part not yet ended is cut.
  splitter.push(new TextEncoder().encode("a" + "😀".repeat(100_000)));
  splitter.push(new TextEncoder().encode("\n"));
  splitter.end();
  assert.ok(seen.length >= 3);
  for (const block of seen) {
    assert.ok(block.length <= MAX_LINE_LENGTH);
    assert.ok(block.isWellFormed(), "a piece with half a character");
  }
  assert.equal(seen.join(""), "a" + "😀".repeat(100_000));
});
