import assert from "node:assert/strict";
import { escapeHtml } from "../src/format/ansi_html.ts";
import { renderHtmlReport } from "../src/format/html.ts";
import type { RunEvent } from "../src/types.ts";
import { runCli, writeTaskFile } from "./helpers.ts";
import { findProgram } from "./terminal_helpers.ts";

const EVIL = "<script>alert(1)</script>";

Deno.test("escapeHtml() escapes markup and quotes", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;",
  );
});

Deno.test("renderHtmlReport() escapes task names and output and needs no network", () => {
  const html = renderHtmlReport({
    start: 0,
    end: 100,
    tasks: [{
      name: EVIL,
      type: "exec",
      arguments: `echo "${EVIL}"`,
      dependencies: [],
      status: "ok",
      start: 0,
      end: 100,
      output: [{ stream: "stdout", text: `<img src=x onerror=alert(2)>` }],
      droppedBytes: 0,
    }],
  }, EVIL);
  assert.equal(html.match(/<script/g)?.length, 1, "only the page's own script");
  assert.doesNotMatch(html, /<img/);
  assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//, "nothing is fetched");
});

/** escapeHtml() undone, and the entities of Chromium's serializer: an attribute's text. */
function unescapeHtml(value: string): string {
  return value.replace(
    /&(lt|gt|quot|amp|#(\d+));/g,
    (_, name, code) =>
      code
        ? String.fromCharCode(Number(code))
        : { lt: "<", gt: ">", quot: '"', amp: "&" }[name as "lt"]!,
  );
}

/** The attributes of every `<rect class="bar …">` in the serialized DOM. */
function bars(dom: string): Record<string, string>[] {
  return [...dom.matchAll(/<rect class="bar[^>]*>/g)].map(([tag]) => {
    const attributes = [...tag.matchAll(/([\w-]+)="([^"]*)"/g)];
    return Object.fromEntries(attributes.map(([, key, value]) => [key!, unescapeHtml(value!)]));
  });
}

const chromium = await findProgram("chromium");

/** The DOM of the page at `path` once headless Chromium has run its scripts, serialized. */
async function dumpDom(path: string): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "dagrun-chromium-" });
  try {
    const output = await new Deno.Command(chromium!, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--virtual-time-budget=2000",
        "--dump-dom",
        `file://${path}`,
      ],
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(90_000),
    }).output();
    return new TextDecoder().decode(output.stdout);
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** The name a `data-task` (or `data-from`, `data-to`) key stands for: printableKey() undone. */
function unkey(key: string): string {
  return key.replace(
    /\\(\\|u([0-9a-f]{4}))/g,
    (_, _escape, hex: string | undefined) => hex ? String.fromCharCode(parseInt(hex, 16)) : "\\",
  );
}

/**
 * Names that JSON allows and the page must keep apart: raw control characters (C0, DEL, C1),
 * a bidirectional override, NUL and a lone surrogate (each of which a page written raw shows
 * as U+FFFD, like U+FFFD itself), and the six characters `\u0007` beside BEL.
 */
const AWKWARD_NAMES = [
  "a\u0000",
  "a\ufffd",
  "a\ud800",
  "bell\u0007",
  "bell\\u0007",
  "\u001b[31mred",
  "del\u007f c1\u0085",
  "rtl\u202eltr",
  "non\ufdd0",
  "non\uffff",
  "non\u{10fffe}",
];

/** A task file of AWKWARD_NAMES, each depending on the one before. */
function awkwardTasks() {
  return AWKWARD_NAMES.map((name, i) => ({
    name,
    type: "exec",
    arguments: "printf '\u001b[31mx'",
    dependencies: i === 0 ? [] : [AWKWARD_NAMES[i - 1]!],
  }));
}

// Controls an HTML page may not hold (tab, newline and carriage return aside: whitespace).
// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

// Noncharacters, which an HTML page may not hold either (a parse error each).
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;

Deno.test("renderHtmlReport() shows a noncharacter in a name as a \\u escape, in output as U+FFFD", () => {
  const html = renderHtmlReport({
    start: 0,
    end: 100,
    tasks: [{
      name: "n\ufdd0",
      type: "exec",
      arguments: "printf '\ufffe'",
      dependencies: [],
      status: "ok",
      start: 0,
      end: 100,
      output: [{ stream: "stdout", text: "out\uffff \u{10ffff}." }],
      droppedBytes: 0,
    }],
  }, "t\u{1fffe}.json");
  assert.ok(!NONCHARACTER.test(html), JSON.stringify(NONCHARACTER.exec(html)?.[0]));
  assert.match(html, /<title>dagrun: t\\ud83f\\udffe\.json<\/title>/);
  assert.match(html, /<summary>n\\ufdd0 \(ok\)<\/summary>/);
  assert.match(html, /command: printf &#39;\\ufffe&#39;/);
  assert.ok(html.includes("out\ufffd \ufffd."), "output's noncharacters shown as U+FFFD");
});

Deno.test("renderHtmlReport() writes each task's key without control characters, one key per task", () => {
  const tasks = awkwardTasks().map((task, i) => ({
    ...task,
    status: "ok" as const,
    start: i * 10,
    end: i * 10 + 10,
    output: [],
    droppedBytes: 0,
  }));
  const html = renderHtmlReport(
    { start: 0, end: tasks.length * 10, tasks },
    "dir\u001b]0;title\u0007/tasks.json",
  );
  assert.ok(!RAW_CONTROL.test(html), JSON.stringify(RAW_CONTROL.exec(html)?.[0]));
  assert.ok(!NONCHARACTER.test(html), JSON.stringify(NONCHARACTER.exec(html)?.[0]));
  assert.ok(html.isWellFormed(), "no lone surrogate");
  const attribute = (name: string) =>
    [...html.matchAll(new RegExp(`${name}="([^"]*)"`, "g"))].map(([, value]) =>
      unkey(unescapeHtml(value!))
    );
  assert.deepEqual(attribute("data-task"), AWKWARD_NAMES);
  assert.deepEqual(attribute("data-from"), AWKWARD_NAMES.slice(0, -1));
  assert.deepEqual(attribute("data-to"), AWKWARD_NAMES.slice(1));
  // Names, commands and the file's name shown as everywhere else.
  assert.match(html, /<title>dagrun: dir\\u001b\]0;title\\u0007\/tasks\.json<\/title>/);
  assert.match(html, /command: printf &#39;\\u001b\[31mx&#39;/);
});

Deno.test({
  name: "--report-html renders in headless Chromium with one bar per task matching the run",
  ignore: chromium === undefined,
  async fn() {
    const file = await writeTaskFile({
      tasks: [
        { name: "fetch", type: "exec", arguments: "sleep 0.3" },
        { name: EVIL, type: "exec", arguments: `echo '${EVIL}'; sleep 0.2` },
        { name: "compile", type: "exec", arguments: "sleep 0.4", dependencies: ["fetch"] },
        { name: "lint", type: "exec", arguments: "exit 3" },
        { name: "docs", type: "exec", arguments: "true", dependencies: ["lint"] },
        { name: "package", type: "exec", arguments: "sleep 0.1", dependencies: ["compile", EVIL] },
      ],
    });
    const directory = file.replace(/\/tasks\.json$/, "");
    const page = `${directory}/report.html`;
    const run = await runCli([file, "--format", "ndjson", "--report-html", page]);
    assert.equal(run.code, 1, run.stderr);
    const events: RunEvent[] = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    const ended = new Map(
      events.flatMap((event) => event.event === "task_ended" ? [[event.task, event]] : []),
    );

    const dom = await dumpDom(page);
    assert.match(dom, /<html[^>]* data-interactive="true"/, "the page's script ran");
    assert.equal(dom.match(/<script/g)?.length, 1, "the task named <script> stayed text");

    const drawn = bars(dom);
    assert.deepEqual(drawn.map((bar) => bar["data-task"]).sort(), [...ended.keys()].sort());
    // One time scale for every bar: width / duration is the same, x follows the start.
    const scales = drawn.map((bar) => Number(bar.width) / Number(bar["data-duration-ms"]));
    for (const bar of drawn) {
      const event = ended.get(bar["data-task"]!)!;
      assert.equal(bar["data-status"], event.status);
      assert.ok(Math.abs(Number(bar["data-duration-ms"]) - event.durationMs) < 0.01);
      assert.ok(Math.abs(Number(bar["data-start-ms"]) - (event.time - event.durationMs)) < 0.01);
      if (event.durationMs > 50) {
        assert.ok(Math.abs(Number(bar.width) / event.durationMs - scales[0]!) < 0.05 * scales[0]!);
      }
    }
    const x = (name: string) => Number(drawn.find((bar) => bar["data-task"] === name)!.x);
    assert.ok(x("fetch") < x("compile") && x("compile") < x("package"));
    assert.match(dom, /class="bar ok critical"[^>]*data-task="compile"/);
    assert.match(dom, /<title>lint\ncommand: exit 3\nstatus: failed, exit code 3\nduration: \d+ms/);
    assert.match(dom, /class="dep critical" data-from="compile" data-to="package"/);
    assert.match(dom, /class="skip" data-task="docs" data-status="skipped"/);
  },
});

Deno.test("--report-html keeps at most MAX_OUTPUT_BYTES of a task's output, saying how much it left out", async () => {
  const { MAX_OUTPUT_BYTES } = await import("../src/format/timeline.ts");
  assert.equal(MAX_OUTPUT_BYTES, 64 * 1024, "the size README documents");
  // One 1,000,000-byte line (passed on in pieces of 64 Ki characters), and 1,000-byte lines.
  const file = await writeTaskFile({
    tasks: [
      { name: "line", type: "exec", arguments: "head -c 1000000 /dev/zero | tr '\\0' x" },
      {
        name: "lines",
        type: "exec",
        arguments: "for i in $(seq 100); do head -c 1000 /dev/zero | tr '\\0' y; echo; done",
      },
    ],
  });
  const page = file.replace(/tasks\.json$/, "report.html");
  const run = await runCli([file, "--quiet", "--report-html", page]);
  assert.equal(run.code, 0, run.stderr);
  const html = await Deno.readTextFile(page);
  const blocks = [...html.matchAll(/<pre>… ([\d,]+) bytes left out\n([xy\n]*)<\/pre>/g)];
  assert.equal(blocks.length, 2, "both blocks say what they left out");
  const [line, lines] = blocks.map(([, leftOut, shown]) => ({ leftOut, shown: shown! }));
  // The last 64 KiB, the line's pieces shown as lines as on the terminal: 48,575 bytes of the
  // 15th piece, its newline and the 16th (16,960 bytes). The 1,000,000 bytes and the 15
  // newlines between pieces, less those 65,536, are left out.
  assert.equal(line!.shown.length, MAX_OUTPUT_BYTES);
  assert.deepEqual(line!.shown.split("\n").map((piece) => piece.length), [48_575, 16_960]);
  assert.equal(line!.leftOut, "934,479");
  // 65 whole lines and their 64 newlines (65,064 bytes), the end of the line before them.
  assert.equal(lines!.shown.length, MAX_OUTPUT_BYTES);
  assert.deepEqual(lines!.shown.split("\n").map((one) => one.length), [
    471,
    ...Array(65).fill(1000),
  ]);
  assert.equal(lines!.leftOut, (100 * 1001 - 1 - MAX_OUTPUT_BYTES).toLocaleString("en-US"));
  assert.ok(html.length < 200_000, `the page is ${html.length} characters`);
});

Deno.test("--report-html shows SGR colours as styled spans and drops other escape sequences", async () => {
  const file = await writeTaskFile({
    tasks: [{
      name: "colours",
      type: "exec",
      arguments: String
        .raw`printf '\033[31mred\033[0m plain\n\033]0;a title\007\033[2K\033[1A\033[1;32m<script>alert(1)</script>\n\033[38;5;208mstill\033[m\n'`,
    }],
  });
  const page = file.replace(/tasks\.json$/, "report.html");
  const run = await runCli([file, "--quiet", "--report-html", page]);
  assert.equal(run.code, 0, run.stderr);
  const html = await Deno.readTextFile(page);
  const shown = html.match(/<pre>([^]*?)<\/pre>/)![1];
  assert.equal(
    shown,
    '<span class="f1">red</span> plain\n' +
      '<span class="f2 sb">&#60;script&#62;alert(1)&#60;/script&#62;</span>\n' +
      '<span class="sb" style="color:#ff8700">still</span>',
  );
  // (The command, in the bar's tooltip, holds them as the four characters `\033`.)
  assert.ok(!html.includes("\x1b") && !html.includes("\x07"), "no escape character is in the page");
  assert.doesNotMatch(html.split("<h2>Output</h2>")[1]!, /31m|0m|2K|1A|a title/);
  assert.equal(html.match(/<script/g)?.length, 1, "only the page's own script");
});

Deno.test("--report-html reads an escape sequence cut between two pieces of a long line as one", async () => {
  // 65,535 x, then ESC: the first piece of 64 Ki characters ends with the ESC, and "[31m"
  // begins the next. The second task's second piece fills the page alone, so that the first
  // is left out whole.
  const file = await writeTaskFile({
    tasks: [
      {
        name: "kept",
        type: "exec",
        arguments: String.raw`head -c 65535 /dev/zero | tr '\0' x; printf '\033[31mred\n'`,
      },
      {
        name: "left-out",
        type: "exec",
        arguments: String
          .raw`head -c 65535 /dev/zero | tr '\0' x; printf '\033[31m'; head -c 65532 /dev/zero | tr '\0' y; printf 'z\n'`,
      },
    ],
  });
  const page = file.replace(/tasks\.json$/, "report.html");
  const run = await runCli([file, "--quiet", "--report-html", page]);
  assert.equal(run.code, 0, run.stderr);
  const html = await Deno.readTextFile(page);
  const [kept, leftOut] = [...html.matchAll(/<pre>([^]*?)<\/pre>/g)].map(([, shown]) => shown!);
  assert.match(kept!, /^… [\d,]+ bytes left out\nx+\n<span class="f1">red<\/span>$/);
  assert.match(leftOut!, /^… [\d,]+ bytes left out\ny{65532}\nz$/);
});

Deno.test("renderHtmlReport() shows task names in tooltips and summaries as everywhere else", () => {
  const name = "a\u202eb\u0007c";
  const task = (status: "failed" | "skipped") => ({
    name: `${name} ${status}`,
    type: "exec",
    arguments: "exit 1",
    dependencies: [],
    status,
    ...(status === "failed" ? { start: 0 } : {}),
    end: 1,
    detail: "why\u001b[2J",
    output: [{ stream: "stdout" as const, text: "out" }],
    droppedBytes: 0,
  });
  const html = renderHtmlReport(
    { start: 0, end: 1, tasks: [task("failed"), task("skipped")] },
    "t",
  );
  const shown = [
    ...html.matchAll(/<title>([^<]*)<\/title>/g),
    ...html.matchAll(/<summary>([^<]*)<\/summary>/g),
  ].map(([, text]) => text!);
  assert.deepEqual(shown, [
    "dagrun: t",
    "a\\u202eb\\u0007c failed\ncommand: exit 1\nstatus: failed\nduration: 1ms\nerror: why\\u001b[2J",
    "a\\u202eb\\u0007c skipped\nskipped: why\\u001b[2J",
    "a\\u202eb\\u0007c failed (failed)",
    "a\\u202eb\\u0007c skipped (skipped)",
  ]);
});

Deno.test("renderHtmlReport() keeps each stream's colour from line to line and closes every span", () => {
  const html = renderHtmlReport({
    start: 0,
    end: 1,
    tasks: [{
      name: "t",
      type: "exec",
      arguments: "",
      dependencies: [],
      status: "ok",
      start: 0,
      end: 1,
      output: [
        { stream: "stdout", text: "\x1b[7;34mblue" },
        { stream: "stderr", text: "plain \x1b[4;9mboth\x1b[24m" },
        { stream: "stdout", text: "on\x1b[27m \x1b[38;2;1;2;3;48;5;232mrgb\x1b[0m" },
      ],
      droppedBytes: 0,
    }],
  }, "t");
  assert.equal(
    html.match(/<pre>([^]*?)<\/pre>/)![1],
    '<span class="fd b4">blue</span>\nplain <span class="su ss">both</span>\n' +
      '<span class="fd b4">on</span><span class="f4"> </span>' +
      '<span style="color:#010203;background:#080808">rgb</span>',
  );
});

Deno.test({
  name:
    "--report-html: in Chromium, hovering a bar of an awkwardly named task lights its own lines",
  ignore: chromium === undefined,
  async fn() {
    const file = await writeTaskFile({ tasks: awkwardTasks() });
    const page = file.replace(/tasks\.json$/, "report.html");
    const run = await runCli([file, "--no-history", "-q", "--report-html", page]);
    assert.equal(run.code, 0, run.stderr);
    const html = await Deno.readTextFile(page);
    assert.ok(!RAW_CONTROL.test(html), JSON.stringify(RAW_CONTROL.exec(html)?.[0]));
    // The page's own script, then a probe that hovers each bar and notes the lines lit.
    const probe = `<script>
for (const bar of document.querySelectorAll(".bar")) {
  bar.dispatchEvent(new MouseEvent("mouseenter"));
  bar.dataset.lit = JSON.stringify([...document.querySelectorAll(".dep.hl")]
    .map((line) => [line.dataset.from, line.dataset.to]));
  bar.dispatchEvent(new MouseEvent("mouseleave"));
}
</script>
</body>`;
    const probed = page.replace(/\.html$/, ".probed.html");
    await Deno.writeTextFile(probed, html.replace("</body>", probe));
    const dom = await dumpDom(probed);
    assert.match(dom, /<html[^>]* data-interactive="true"/, "the page's script ran");
    const drawn = bars(dom);
    assert.deepEqual(drawn.map((bar) => unkey(bar["data-task"]!)), AWKWARD_NAMES);
    for (const [i, bar] of drawn.entries()) {
      const lit = (JSON.parse(bar["data-lit"]!) as [string, string][])
        .map(([from, to]) => [unkey(from), unkey(to)]);
      const own = [
        ...(i > 0 ? [[AWKWARD_NAMES[i - 1], AWKWARD_NAMES[i]]] : []),
        ...(i < AWKWARD_NAMES.length - 1 ? [[AWKWARD_NAMES[i], AWKWARD_NAMES[i + 1]]] : []),
      ];
      assert.deepEqual(lit, own, JSON.stringify(AWKWARD_NAMES[i]));
    }
  },
});
