import assert from "node:assert/strict";
import { createDefaultRegistry } from "../src/run.ts";
import { createEvalExecutor, parseEvalPermissions } from "../executors/eval.ts";
import {
  checkEvalPermissions,
  parseGrantedEvalPermissions,
  workerOptionsEnabled,
} from "../executors/eval_permissions.ts";
import { MOD, runCli, writeTaskFile } from "./helpers.ts";

/** A task file whose exec task leaves a file behind if it ever runs. */
async function markerTasks(): Promise<{ file: string; marker: string }> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-perm-" });
  const marker = `${directory}/ran`;
  const file = await writeTaskFile({
    tasks: [
      { name: "touch", type: "exec", arguments: `touch ${marker}` },
      { name: "snippet", type: "eval", arguments: "1" },
    ],
  });
  return { file, marker };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("--eval-permissions rejects a malformed value before anything runs", async (t) => {
  const { file, marker } = await markerTasks();
  const cases: [string, RegExp][] = [
    ["read=", /'read=': expected a value after '='/],
    ["net=a b", /'net=a b': invalid host 'a b'/],
    ["net=http://example.com", /'net=http:\/\/example.com': expected a host/],
    ["net=example.com:99999", /'net=example.com:99999': invalid port '99999'/],
    ["net=::1", /'net=::1': an IPv6 address must be in brackets/],
    ["import=a/b", /'import=a\/b': invalid host 'a\/b'/],
    ["env=", /'env=': expected a value after '='/],
    ["sys=hostname,uptime", /'sys=uptime': unknown system information kind 'uptime'/],
    ["read,fly", /'fly': expected inherit, none/],
  ];
  for (const [value, message] of cases) {
    await t.step(value, async () => {
      const result = await runCli([file, "--eval-permissions", value]);
      assert.equal(result.code, 2, result.stderr);
      const [first = ""] = result.stderr.split("\n");
      assert.match(first, /^dagrun: Invalid eval permission /);
      assert.match(first, message);
      assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
      assert.equal(result.stdout, "");
      assert.equal(await exists(marker), false, "the exec task ran");
    });
  }
});

Deno.test("--eval-permissions takes the forms Deno's workers take", async () => {
  const file = await writeTaskFile({
    tasks: [{ name: "a", type: "eval", arguments: "console.log(Deno.env.get('HOME') ? 1 : 0)" }],
  });
  const result = await runCli([
    file,
    "--eval-permissions",
    "env=HOME,A=B,net=*.example.com:443,[::1]:80,10.0.0.0/8,sys=hostname,osRelease,run=ls",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\[a\] 1$/m);
});

Deno.test("parseEvalPermissions() merges a permission named twice", () => {
  assert.deepEqual(parseEvalPermissions("read=/a,read=/b,/c"), { read: ["/a", "/b", "/c"] });
  assert.deepEqual(parseEvalPermissions("read=/a,read"), { read: true });
  assert.deepEqual(parseEvalPermissions("read,read=/a"), { read: true });
});

/** Whether Deno takes `permissions` for a worker: its constructor checks them at once. */
function workerTakes(permissions: Deno.PermissionOptions): boolean {
  try {
    new Worker(new URL("data:text/javascript,close()"), {
      type: "module",
      deno: { permissions },
    }).terminate();
    return true;
  } catch {
    return false;
  }
}

Deno.test("checkEvalPermissions() agrees with Deno's workers value by value", () => {
  const values: Record<string, (string | URL)[]> = {
    net: [
      "example.com",
      "example.com:0",
      "example.com:65535",
      "example.com:65536",
      "example.com:",
      ":80",
      "a b",
      "a_b",
      "-x",
      "a.",
      ".a",
      "a..b",
      "é.com",
      "*.example.com",
      "*.example.com:443",
      "*",
      "x.*",
      "**.x",
      "1.2.3.4",
      "1.2.3.4:80",
      "10.0.0.0/8",
      "10.0.0.0/8:80",
      "10.0.0.0/33",
      "300.0.0.0/8",
      "[::1]",
      "[::1]:80",
      "[::1]:",
      "[::1]x",
      "[::1",
      "[abc]",
      "[1.2.3.4]",
      "[fe80::1%eth0]",
      "::1",
      "a:1:2",
      "http://example.com",
      "a/b",
      "a@b",
    ],
    import: ["example.com", "jsr.io:443", "", "a b", "http://example.com"],
    read: ["/tmp", "", " ", "relative", new URL("file:///tmp"), new URL("http://example.com/")],
    env: ["HOME", "", "A=B", "A*", " "],
    sys: ["hostname", "osRelease", "inspector", "uptime", "HOSTNAME", ""],
    run: ["ls", "", "a b", new URL("file:///bin/ls")],
    ffi: ["/lib/x.so", ""],
  };
  for (const [name, list] of Object.entries(values)) {
    for (const value of list) {
      const permissions = { [name]: [value] } as Deno.PermissionOptions;
      let checked = true;
      try {
        checkEvalPermissions(permissions);
      } catch (error) {
        assert.ok(error instanceof TypeError, String(error));
        checked = false;
      }
      assert.equal(checked, workerTakes(permissions), `${name}: ${JSON.stringify(value)}`);
    }
  }
});

Deno.test("createEvalExecutor() rejects permissions Deno would refuse, naming them", () => {
  const cases: [unknown, RegExp][] = [
    [{ read: [""] }, /read: an empty path/],
    [{ net: ["a b"] }, /net: invalid host 'a b'/],
    [{ raed: true }, /unknown permission 'raed'/],
    [{ read: "none" }, /read: expected "inherit", a boolean or a list, not a string \("none"\)/],
    [{ read: ["/tmp", 3] }, /read: expected a string, not a number \(3\)/],
    [true, /expected "inherit", "none" or an object, not a boolean \(true\)/],
    [null, /expected "inherit", "none" or an object, not null/],
  ];
  for (const [permissions, message] of cases) {
    const options = { permissions: permissions as Deno.PermissionOptions };
    assert.throws(() => createEvalExecutor(options), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Invalid eval permissions: /);
      assert.match(error.message, message);
      return true;
    });
    assert.throws(() => createDefaultRegistry({ eval: options }), TypeError);
  }
  // What Deno takes is taken.
  createEvalExecutor({ permissions: { read: [new URL("file:///tmp")], net: false } }).dispose?.();
});

Deno.test("--eval-permissions refuses more than dagrun itself was given, before anything runs", async () => {
  const { file, marker } = await markerTasks();
  // Everything but net: a worker may not be given what its parent lacks.
  const allowed = ["read", "write", "env", "run", "sys", "ffi", "import"].map((n) =>
    `--allow-${n}`
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...allowed, "--quiet", MOD, file, "--eval-permissions", "read,net=example.com"],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 2, stderr);
  assert.match(
    stderr,
    /^dagrun: Invalid eval permission 'net=example.com': dagrun itself was not given it\n/,
  );
  assert.equal(await exists(marker), false, "the exec task ran");
});

Deno.test("--eval-permissions is checked once: the executor takes the checked set as it is", () => {
  const permissions = parseGrantedEvalPermissions("read=/tmp,/var,env=HOME,net=example.com");
  // Frozen: what was checked is what the workers get.
  assert.ok(Object.isFrozen(permissions));
  assert.throws(() => (permissions as { read: string[] }).read.push(""), TypeError);
  const querySync = Deno.permissions.querySync;
  let queries = 0;
  Deno.permissions.querySync = (descriptor) => {
    queries++;
    return querySync.call(Deno.permissions, descriptor);
  };
  try {
    assert.equal(checkEvalPermissions(permissions), permissions);
  } finally {
    Deno.permissions.querySync = querySync;
  }
  assert.equal(queries, 0);
  // An object of the library's own is checked, as before.
  assert.throws(() => checkEvalPermissions({ read: [""] }), /read: an empty path/);
});

Deno.test("whether workers take permissions is looked up once, not again by the executor", () => {
  const first = workerOptionsEnabled();
  const readTextFileSync = Deno.readTextFileSync;
  let reads = 0;
  Deno.readTextFileSync = (path) => {
    reads++;
    return readTextFileSync(path);
  };
  try {
    assert.equal(workerOptionsEnabled(), first);
  } finally {
    Deno.readTextFileSync = readTextFileSync;
  }
  assert.equal(reads, 0);
});
