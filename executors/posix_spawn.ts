/**
 * Spawning through glibc's `posix_spawnp` over Deno's FFI, for the exec executor's hot path.
 *
 * Why: a task must run in a process group of its own, so that stopping it stops everything
 * it started. `Deno.Command` gives that only through `detached`, which it implements with a
 * `setsid()` in a pre-exec hook, and a pre-exec hook forces Rust to `fork()` the whole Deno
 * process instead of the `vfork`-style `posix_spawn` it uses otherwise: that fork is most of
 * the cost of a short task. glibc's `posix_spawnp` takes `POSIX_SPAWN_SETSID` and stays on
 * the cheap path. The child is then watched with one `poll` per wake-up over its two pipes
 * and a pidfd (readable once it has exited), rather than two stream reads and a `waitpid`
 * each holding a thread. Figures in the README's Performance section.
 *
 * It needs `--allow-ffi`, Linux 5.3 and glibc 2.36 (for `pidfd_open`); without them
 * {@linkcode createPosixSpawner} returns `undefined` and the caller uses `Deno.Command`.
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
  readonly status: Promise<ChildStatus>;
  /**
   * SIGKILLs what is left of its process group once it has exited, without the cost of
   * `Deno.kill` throwing for a group that is already gone, as it nearly always is.
   */
  readonly killLeftovers?: () => void;
}

/** How a child ended, as `Deno.CommandStatus` says it. */
export interface ChildStatus {
  /** Whether it exited with code 0. */
  readonly success: boolean;
  /** Its exit code (128 + the signal's number when a signal ended it). */
  readonly code: number;
  /** The signal that ended it, if one did. */
  readonly signal: Deno.Signal | null;
}

/**
 * Spawns argv in `cwd` in a new session, resolving with the child or the `errno` of a
 * failure. `posix_spawnp` returns once the child has exec'd; `inBackground` waits for
 * that on a thread of Deno's blocking pool, so that several spawns overlap, at the price of
 * a thread hop (worth it only when other tasks are running).
 */
export type PosixSpawner = (
  argv: readonly string[],
  cwd: string,
  inBackground: boolean,
) => Promise<SpawnedChild | number>;

const SYMBOLS = {
  posix_spawnp: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  posix_spawnp_in_background: {
    name: "posix_spawnp",
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
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
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "u64"], result: "i64" },
  pidfd_open: { parameters: ["i32", "u32"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  // The one blocking call, on a thread of Deno's blocking pool: the event loop goes on.
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  poll_now: { name: "poll", parameters: ["buffer", "u64", "i32"], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  // The address of libc's `char **environ`, which `Deno.env.set` keeps current.
  environ: { type: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const POSIX_SPAWN_SETSID = 0x80; // glibc
const O_RDONLY = 0, O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const F_SETFL = 4, WNOHANG = 1, POLLIN = 0x1, EAGAIN = 11, SIGKILL = 9;
/** Opaque glibc structures, with room to spare (80 and 336 bytes on x86_64). */
const FILE_ACTIONS_SIZE = 512, ATTR_SIZE = 1024;

const encoder = new TextEncoder();
const cString = (text: string) => encoder.encode(text + "\0");

/**
 * A spawner over glibc's `posix_spawnp`, or `undefined` where it cannot work (another OS,
 * no glibc, no pidfds, no FFI permission): callers then use `Deno.Command`.
 */
export function createPosixSpawner(): PosixSpawner | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
    const libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    // A kernel without pidfds says so here, once, rather than on every spawn.
    const probe = libc.pidfd_open(Deno.pid, 0);
    if (probe < 0) return undefined;
    libc.close(probe);
    return spawnerOver(libc);
  } catch {
    return undefined;
  }
}

function spawnerOver(libc: Libc): PosixSpawner {
  const attr = new Uint8Array(ATTR_SIZE);
  libc.posix_spawnattr_init(attr);
  libc.posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID);
  const devNull = cString("/dev/null");

  return async (argv, cwd, inBackground) => {
    const out = new Int32Array(2), err = new Int32Array(2);
    if (libc.pipe2(bytes(out), O_CLOEXEC) !== 0) return errnoOf(libc);
    if (libc.pipe2(bytes(err), O_CLOEXEC) !== 0) {
      const errno = errnoOf(libc);
      closeAll(libc, out);
      return errno;
    }
    const actions = new Uint8Array(FILE_ACTIONS_SIZE);
    libc.posix_spawn_file_actions_init(actions);
    const cwdBytes = cString(cwd);
    libc.posix_spawn_file_actions_addchdir_np(actions, cwdBytes);
    libc.posix_spawn_file_actions_addopen(actions, 0, devNull, O_RDONLY, 0);
    libc.posix_spawn_file_actions_adddup2(actions, out[1]!, 1);
    libc.posix_spawn_file_actions_adddup2(actions, err[1]!, 2);
    // Every buffer stays referenced here until the call has returned.
    const args = argv.map(cString);
    const argvArray = bytes(pointers(args));
    const envp = bytes(environSnapshot(libc));
    const pid = new Int32Array(1);
    const failure = inBackground
      ? await libc.posix_spawnp_in_background(bytes(pid), args[0]!, actions, attr, argvArray, envp)
      : libc.posix_spawnp(bytes(pid), args[0]!, actions, attr, argvArray, envp);
    libc.posix_spawn_file_actions_destroy(actions);
    libc.close(out[1]!);
    libc.close(err[1]!);
    const pidfd = failure === 0 ? libc.pidfd_open(pid[0]!, 0) : -1;
    if (pidfd < 0) {
      const errno = failure || errnoOf(libc);
      libc.close(out[0]!);
      libc.close(err[0]!);
      // A child that cannot be watched is not left running unwatched.
      if (failure === 0) Deno.kill(-pid[0]!, "SIGKILL");
      return errno;
    }
    return watch(libc, pid[0]!, pidfd, out[0]!, err[0]!, !inBackground);
  };
}

/** One pipe of a child, and the stream its output goes to. */
interface Pipe {
  readonly fd: number;
  open: boolean;
  readonly stream: ReadableStream<Uint8Array>;
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
}

function pipe(libc: Libc, fd: number): Pipe {
  libc.fcntl(fd, F_SETFL, O_NONBLOCK);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return { fd, open: true, stream, controller };
}

/**
 * How long a child running alone is waited for on the main thread, in milliseconds, before
 * waiting moves to a thread of the blocking pool. As make does: a short task in a chain ends
 * sooner than a thread hop. Nothing else of ours is running then; timers and signals are
 * delayed by this much at most.
 */
const QUICK_WAIT_MS = 2;

/**
 * Follows a child until it has exited and both its pipes are closed, with one `poll` per
 * wake-up over the pipes and the pidfd; output is read without blocking as it comes.
 */
function watch(
  libc: Libc,
  pid: number,
  pidfd: number,
  out: number,
  err: number,
  alone: boolean,
): SpawnedChild {
  const pipes = [pipe(libc, out), pipe(libc, err)];
  let settle!: (status: ChildStatus) => void;
  const status = new Promise<ChildStatus>((resolve) => settle = resolve);
  // struct pollfd { int fd; short events; short revents; }, three of them.
  const pollfds = new Int32Array(6);
  const shorts = new Int16Array(pollfds.buffer);

  let running = true;
  const watching = () => running || pipes[0]!.open || pipes[1]!.open;
  /** Fills the pollfds; returns the open pipes, in order, followed by the pidfd if running. */
  const arm = () => {
    const open = pipes.filter((p) => p.open);
    const fds = [...open.map((p) => p.fd), ...(running ? [pidfd] : [])];
    for (let i = 0; i < fds.length; i++) {
      pollfds[i * 2] = fds[i]!;
      shorts[i * 4 + 2] = POLLIN;
      shorts[i * 4 + 3] = 0;
    }
    return { open, count: BigInt(fds.length) };
  };
  /** Handles what poll reported; returns whether output was passed on. */
  const handle = (open: Pipe[]) => {
    let output = false;
    for (let i = 0; i < open.length; i++) {
      if (shorts[i * 4 + 3] !== 0 && drain(libc, open[i]!)) output = true;
    }
    if (running && shorts[open.length * 4 + 3] !== 0) {
      running = false;
      libc.close(pidfd);
      settle(reap(libc, pid));
    }
    return output;
  };
  const loop = async () => {
    if (alone) {
      const deadline = performance.now() + QUICK_WAIT_MS;
      for (let left = QUICK_WAIT_MS; watching() && left > 0;) {
        const { open, count } = arm();
        if (libc.poll_now(bytes(pollfds), count, Math.ceil(left)) <= 0) break;
        // Output waiting in the stream needs the event loop to be passed on: stop here.
        if (handle(open)) break;
        left = deadline - performance.now();
      }
    }
    while (watching()) {
      const { open, count } = arm();
      await libc.poll(bytes(pollfds), count, -1);
      handle(open);
    }
  };
  loop().catch((error) => {
    for (const p of pipes) if (p.open) p.controller.error(error);
    settle({ success: false, code: 255, signal: null });
  });
  return {
    pid,
    stdout: pipes[0]!.stream,
    stderr: pipes[1]!.stream,
    status,
    killLeftovers: () => void libc.kill(-pid, SIGKILL),
  };
}

const chunk = new Uint8Array(64 * 1024);

/**
 * Reads at most one chunk of what a pipe holds, without blocking; closes it at its end.
 * Returns whether output was passed on.
 *
 * One chunk per wake-up is the backpressure: between two polls the event loop runs the
 * stream's reader, which passes the chunk on (writing it synchronously) before the next is
 * read. Reading until `EAGAIN` instead lets a fast writer (`yes`) keep the pipe full while
 * the queue grows without bound.
 */
function drain(libc: Libc, pipe: Pipe): boolean {
  const count = Number(libc.read(pipe.fd, chunk, BigInt(chunk.length)));
  if (count > 0) {
    pipe.controller.enqueue(chunk.slice(0, count));
    return true;
  }
  if (count < 0 && errnoOf(libc) === EAGAIN) return false;
  // End of file, or an error that will not go away: the stream ends either way.
  libc.close(pipe.fd);
  pipe.open = false;
  pipe.controller.close();
  return false;
}

/** The exit status of a child whose pidfd said it has exited. */
function reap(libc: Libc, pid: number): ChildStatus {
  const status = new Int32Array(1);
  if (libc.waitpid(pid, bytes(status), WNOHANG) <= 0) {
    // Someone else reaped it: its outcome is unknown.
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

function bytes(array: Int32Array | BigUint64Array): Uint8Array {
  return new Uint8Array(array.buffer);
}

function closeAll(libc: Libc, fds: Int32Array): void {
  for (const fd of fds) libc.close(fd);
}

function errnoOf(libc: Libc): number {
  return new Deno.UnsafePointerView(libc.__errno_location()!).getInt32();
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
 * A copy of libc's `environ` array as it is now (`Deno.env.set` may have moved it since the
 * last spawn, and may move it again while a spawn runs on another thread; glibc never frees
 * the strings themselves).
 */
function environSnapshot(libc: Libc): BigUint64Array {
  const array = new Deno.UnsafePointerView(libc.environ!).getPointer(0);
  if (!array) return new BigUint64Array(1);
  const view = new Deno.UnsafePointerView(array);
  let count = 0;
  while (view.getBigUint64(count * 8) !== 0n) count++;
  const copy = new BigUint64Array(count + 1);
  view.copyInto(new Uint8Array(copy.buffer, 0, count * 8));
  return copy;
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
