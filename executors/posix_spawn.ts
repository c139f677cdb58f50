/**
 * Spawning through glibc's `posix_spawnp` over Deno's FFI, for the exec executor's hot path.
 *
 * Why: a task must run in a process group of its own, so that stopping it stops everything
 * it started. `Deno.Command` gives that only through `detached`, which it implements with a
 * `setsid()` in a pre-exec hook, and a pre-exec hook forces Rust to `fork()` the whole Deno
 * process instead of the `vfork`-style `posix_spawn` it uses otherwise: that fork is most of
 * the cost of a short task. glibc's `posix_spawnp` takes `POSIX_SPAWN_SETSID` and stays on
 * the cheap path. Measured on the benchmark's 200-task chain, see the README.
 *
 * It needs `--allow-ffi` and `--allow-read` (for `/proc/self/fd`), Linux and glibc; without
 * them {@linkcode createPosixSpawner} returns `undefined` and the caller uses `Deno.Command`.
 *
 * @module
 */

/** What the exec executor needs of a child process; `Deno.ChildProcess` has the same shape. */
export interface SpawnedChild {
  /** The child's process id, also its process group id. */
  readonly pid: number;
  /** Its standard output. */
  readonly stdout: ReadableStream<Uint8Array>;
  /** Its standard error. */
  readonly stderr: ReadableStream<Uint8Array>;
  /** Resolves when it has ended. */
  readonly status: Promise<{ success: boolean; code: number; signal: Deno.Signal | null }>;
}

/** Spawns argv in `cwd` in a new session, or returns the `errno` of a failure. */
export type PosixSpawner = (argv: readonly string[], cwd: string) => SpawnedChild | number;

const SYMBOLS = {
  posix_spawnp: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "pointer"],
    result: "i32",
  },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  // On a thread of Deno's blocking pool, so the event loop goes on while the child runs.
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32", nonblocking: true },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

const POSIX_SPAWN_SETSID = 0x80; // glibc
const O_CLOEXEC = 0o2000000;
const O_RDONLY = 0;
/** Opaque glibc structures, with room to spare (80 and 336 bytes on x86_64). */
const FILE_ACTIONS_SIZE = 512, ATTR_SIZE = 1024;

const encoder = new TextEncoder();
const cString = (text: string) => encoder.encode(text + "\0");

/**
 * A spawner over glibc's `posix_spawnp`, or `undefined` where it cannot work (another OS,
 * no glibc, no FFI or read permission): callers then use `Deno.Command`.
 */
export function createPosixSpawner(): PosixSpawner | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
    const read = Deno.permissions.querySync({ name: "read", path: "/proc/self/fd" });
    if (read.state !== "granted") return undefined;
    const libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    return spawnerOver(libc);
  } catch {
    return undefined;
  }
}

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

function spawnerOver(libc: Libc): PosixSpawner {
  const attr = new Uint8Array(ATTR_SIZE);
  libc.posix_spawnattr_init(attr);
  libc.posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID);
  const devNull = cString("/dev/null");
  const errno = () => new Deno.UnsafePointerView(libc.__errno_location()!).getInt32();

  return (argv, cwd) => {
    const out = new Int32Array(2), err = new Int32Array(2);
    if (libc.pipe2(bytes(out), O_CLOEXEC) !== 0) return errno();
    if (libc.pipe2(bytes(err), O_CLOEXEC) !== 0) {
      closeAll(libc, out);
      return errno();
    }
    const actions = new Uint8Array(FILE_ACTIONS_SIZE);
    libc.posix_spawn_file_actions_init(actions);
    const cwdBytes = cString(cwd);
    libc.posix_spawn_file_actions_addchdir_np(actions, cwdBytes);
    libc.posix_spawn_file_actions_addopen(actions, 0, devNull, O_RDONLY, 0);
    libc.posix_spawn_file_actions_adddup2(actions, out[1]!, 1);
    libc.posix_spawn_file_actions_adddup2(actions, err[1]!, 2);
    const args = argv.map(cString);
    const pid = new Int32Array(1);
    const failure = libc.posix_spawnp(
      bytes(pid),
      args[0]!,
      actions,
      attr,
      bytes(pointers(args)),
      currentEnviron(),
    );
    libc.posix_spawn_file_actions_destroy(actions);
    libc.close(out[1]!);
    libc.close(err[1]!);
    if (failure !== 0) {
      libc.close(out[0]!);
      libc.close(err[0]!);
      return failure;
    }
    return {
      pid: pid[0]!,
      stdout: readEnd(libc, out[0]!),
      stderr: readEnd(libc, err[0]!),
      status: waitFor(libc, pid[0]!),
    };
  };
}

function bytes(array: Int32Array | BigUint64Array): Uint8Array {
  return new Uint8Array(array.buffer);
}

function closeAll(libc: Libc, fds: Int32Array): void {
  for (const fd of fds) libc.close(fd);
}

/** A NULL-terminated array of pointers to the given C strings. */
function pointers(strings: readonly Uint8Array[]): BigUint64Array {
  const array = new BigUint64Array(strings.length + 1);
  for (let i = 0; i < strings.length; i++) {
    array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(strings[i]!)));
  }
  return array;
}

/**
 * The environment as `envp`, rebuilt when it changes (a task may call `Deno.env.set`);
 * the strings are kept referenced alongside the array of pointers to them.
 */
let environ: { key: string; strings: Uint8Array[]; array: BigUint64Array } | undefined;
function currentEnviron(): Deno.PointerValue {
  const entries = Object.entries(Deno.env.toObject());
  const key = entries.join("\0");
  if (environ?.key !== key) {
    const strings = entries.map(([name, value]) => cString(`${name}=${value}`));
    environ = { key, strings, array: pointers(strings) };
  }
  return Deno.UnsafePointer.of(environ.array);
}

/** A pipe's read end as a stream: opened anew through `/proc/self/fd`, then closed. */
function readEnd(libc: Libc, fd: number): ReadableStream<Uint8Array> {
  try {
    return Deno.openSync(`/proc/self/fd/${fd}`, { read: true }).readable;
  } finally {
    libc.close(fd);
  }
}

async function waitFor(libc: Libc, pid: number) {
  const status = new Int32Array(1);
  // Deno's signal handlers restart interrupted calls, so -1 means the child was not ours
  // to wait for any more (someone else reaped it): its outcome is unknown.
  if (await libc.waitpid(pid, bytes(status), 0) === -1) {
    return { success: false, code: 255, signal: null };
  }
  const raw = status[0]!;
  const signal = raw & 0x7f;
  if (signal === 0) {
    const code = (raw >> 8) & 0xff;
    return { success: code === 0, code, signal: null };
  }
  return { success: false, code: 128 + signal, signal: SIGNAL_NAMES[signal] ?? null };
}

/** Linux signal numbers on x86_64 and aarch64. */
const SIGNAL_NAMES: Record<number, Deno.Signal> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  24: "SIGXCPU",
  25: "SIGXFSZ",
};
