/**
 * Spawning through glibc's `posix_spawnp` over Deno's FFI, for the exec executor's hot path.
 *
 * Why: a task must run in a process group of its own, so that stopping it stops everything
 * it started. `Deno.Command` gives that only through `detached`, which it implements with a
 * `setsid()` in a pre-exec hook, and a pre-exec hook forces Rust to `fork()` the whole Deno
 * process instead of the `vfork`-style `posix_spawn` it uses otherwise: that fork is most of
 * the cost of a short task. glibc's `posix_spawnp` takes `POSIX_SPAWN_SETSID` and stays on
 * the cheap path. The children are then watched together over epoll (see
 * `child_watcher.ts`), their output passed straight to the caller's sinks rather than through
 * streams. Figures in the README's Performance section.
 *
 * It needs `--allow-ffi`, Linux 5.3 and glibc 2.36 (for `pidfd_open`); without them
 * {@linkcode createPosixSpawner} returns `undefined` and the caller uses `Deno.Command`.
 *
 * @module
 */

import type { PushedOutput } from "../src/child.ts";
import { type ChildStatus, ChildWatcher, type ChildWatcherOptions } from "./child_watcher.ts";
import { cString, errnoOf, type Libc, libc as openedLibc } from "./libc.ts";
import { ignoredAtStart } from "../src/ignored_signals.ts";
import { addProcessGroup } from "../src/process_groups.ts";

/**
 * A child spawned here, in a session (and process group) of its own. Its status settles
 * only once {@linkcode SpawnedChild.pipeOutput} was called, which is called exactly once.
 */
export interface SpawnedChild extends PushedOutput {
  /**
   * SIGKILLs what is left of its process group once it has exited, without the cost of
   * `Deno.kill` throwing for a group that is already gone, as it nearly always is.
   */
  readonly killLeftovers: () => void;
}

/**
 * Spawns argv in `cwd` in a new session, resolving with the child or the `errno` of a
 * failure.
 *
 * `posix_spawnp` returns once the child has exec'd, in about 0.1 ms: on this thread unless
 * `inBackground`, which waits for that on a thread of Deno's blocking pool so that several
 * spawns overlap, at the price of a thread hop (worth it only when other children run).
 *
 * With `setPwd`, the child's `PWD` is `cwd` (for a task with a directory of its own, whose
 * inherited PWD would name ours: `printenv PWD`, a Makefile's `$(PWD)`).
 *
 * `waitHere` is asked when the watching starts, once the tasks started in the same turn
 * have been: when it says nothing else is under way, the child is first waited for on this
 * thread, as make does (see `QUICK_WAIT_MS`): a short task in a chain then ends without a
 * thread hop, and the event loop has nothing else to do meanwhile.
 */
export type PosixSpawner = (
  argv: readonly string[],
  cwd: string,
  inBackground: boolean,
  waitHere?: () => boolean,
  setPwd?: boolean,
) => Promise<SpawnedChild | number>;

/** Options of {@linkcode createPosixSpawner}: those of its child watcher (see `waitHere`). */
export type PosixSpawnerOptions = ChildWatcherOptions;

const POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSID = 0x80; // glibc
const O_RDONLY = 0, O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000, F_SETFL = 4;
const SIGKILL = 9, SIGPIPE = 13, SIGSET_SIZE = 128;
/** Opaque glibc structures, with room to spare (80 and 336 bytes on x86_64). */
const FILE_ACTIONS_SIZE = 512, ATTR_SIZE = 1024;

/**
 * A spawner over glibc's `posix_spawnp`, or `undefined` where it cannot work (another OS,
 * no glibc, no pidfds, no FFI permission): callers then use `Deno.Command`.
 */
export function createPosixSpawner(options: PosixSpawnerOptions = {}): PosixSpawner | undefined {
  const libc = openedLibc();
  if (libc === undefined) return undefined;
  try {
    // A kernel without pidfds says so here, once, rather than on every spawn.
    const probe = libc.pidfd_open(Deno.pid, 0);
    if (probe < 0) return undefined;
    libc.close(probe);
    return spawnerOver(libc, new ChildWatcher(libc, options));
  } catch {
    return undefined;
  }
}

function spawnerOver(libc: Libc, watcher: ChildWatcher): PosixSpawner {
  const attr = new Uint8Array(ATTR_SIZE);
  libc.posix_spawnattr_init(attr);
  libc.posix_spawnattr_setsigdefault(attr, signalsToDefault());
  libc.posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF);
  // Opened once: each child gets it by a dup2 rather than opening the path itself.
  const devNull = libc.open(cString("/dev/null"), O_RDONLY | O_CLOEXEC);
  if (devNull < 0) throw new Error("cannot open /dev/null");

  // A spawn on this thread reuses the file actions of the last one when they would be the
  // same: the pipes of a task that ended are closed, so the next task's get the same
  // numbers (a chain of tasks then builds them once).
  const reused = new FileActionsCache(libc, devNull);
  const arena = new ArgvArena();
  const pipe = new Int32Array(2), pid = new Int32Array(1);
  // libc's `char **environ`: where it points is read at each spawn.
  const environ = new Deno.UnsafePointerView(libc.environ!);

  return async (argv, cwd, inBackground, waitHere, setPwd = false) => {
    if (libc.pipe2(pipe, O_CLOEXEC) !== 0) return errnoOf(libc);
    const outRead = pipe[0]!, outWrite = pipe[1]!;
    if (libc.pipe2(pipe, O_CLOEXEC) !== 0) {
      const errno = errnoOf(libc);
      libc.close(outRead);
      libc.close(outWrite);
      return errno;
    }
    const errRead = pipe[0]!, errWrite = pipe[1]!;
    let failure: number, childPid: number;
    if (inBackground) {
      // Every buffer stays referenced here until the call has returned.
      const args = argv.map(cString);
      const argvArray = pointers(args);
      // Another thread: actions and pid of its own, and a copy of the environment, which
      // `Deno.env.set` on this thread may move meanwhile.
      const actions = fileActions(libc, cString(cwd), devNull, outWrite, errWrite);
      const ownPid = new Int32Array(1);
      const pwd = setPwd ? cString(`PWD=${cwd}`) : undefined;
      const environment = environSnapshot(environ, pwd);
      failure = await libc.posix_spawnp_in_background(
        ownPid,
        args[0]!,
        actions,
        attr,
        argvArray,
        environment,
      );
      keepAlive(pwd);
      libc.posix_spawn_file_actions_destroy(actions);
      childPid = ownPid[0]!;
    } else {
      // On this thread the child has exec'd (or failed to) when the call returns: the strings
      // have been read by then, and the arena's can be written over by the next spawn. An
      // argv too long for it gets buffers of its own.
      const own = arena.write(argv) ? undefined : argv.map(cString);
      const file = own ? own[0]! : arena.strings;
      const argvPointers = own ? pointers(own) : arena.pointers;
      const actions = reused.get(cwd, outWrite, errWrite);
      // Its own PWD: a copy of the environment then (the call is synchronous: nothing is
      // collected meanwhile).
      const environment = setPwd ? environSnapshot(environ, cString(`PWD=${cwd}`)) : undefined;
      failure = libc.posix_spawnp(
        pid,
        file,
        actions,
        attr,
        argvPointers,
        environment ? Deno.UnsafePointer.of(environment) : environ.getPointer(0),
      );
      childPid = pid[0]!;
    }
    libc.close(outWrite);
    libc.close(errWrite);
    const pidfd = failure === 0 ? libc.pidfd_open(childPid, 0) : -1;
    if (pidfd < 0) {
      const errno = failure || errnoOf(libc);
      libc.close(outRead);
      libc.close(errRead);
      // A child that cannot be watched is not left running unwatched.
      if (failure === 0) libc.kill(-childPid, SIGKILL);
      return errno;
    }
    // Recorded before anything else can run: an error thrown in this turn, before the task's
    // code has come back here through its awaits, ends the process, which kills the groups
    // recorded (a crash in the same turn left the child running).
    addProcessGroup(childPid);
    // Only we read them, and only when epoll says there is something to read; still, a
    // read that blocked would stop the event loop.
    libc.fcntl(outRead, F_SETFL, O_NONBLOCK);
    libc.fcntl(errRead, F_SETFL, O_NONBLOCK);
    const fds = { pid: childPid, pidfd, stdout: outRead, stderr: errRead };
    const { promise: status, resolve: settle } = Promise.withResolvers<ChildStatus>();
    return {
      pid: childPid,
      status,
      pipeOutput: (onStdout, onStderr) =>
        watcher.watch(fds, [onStdout, onStderr], settle, waitHere?.() ?? false),
      killLeftovers: () => void libc.kill(-childPid, SIGKILL),
      releaseOutput: () => watcher.release(childPid),
    };
  };
}

/**
 * The signals a child gets the default action of, as a glibc `sigset_t`: every one but
 * those this process was started with ignored (an exec keeps those ignored, as `nohup`
 * wants), SIGPIPE included, which the Rust runtime ignores and `Deno.Command` resets.
 *
 * Why the set at all: without it glibc's child asks for the disposition of each of the 64
 * signals before it resets the caught ones (about 70 syscalls, with this thread stopped
 * until the exec); with it, it sets each one once. And a direct child of ours would
 * otherwise ignore SIGPIPE, unlike one started through the shell.
 */
function signalsToDefault(): Uint8Array {
  const set = new BigUint64Array(SIGSET_SIZE / 8);
  for (let signal = 1; signal <= 64; signal++) {
    const bit = 1n << BigInt(signal - 1);
    // SIGKILL and SIGSTOP cannot be set (a wasted syscall each). 32 and 33 are glibc's own:
    // left out, its child sets them to SIG_IGN, which the exec keeps, and the whole tree of
    // the task would ignore them (a `kill -33` of one of its processes would do nothing).
    // glibc resets 33 when asked; 32 it keeps ignored all the same (so do make's children).
    if (signal === 9 || signal === 19) continue;
    if (signal !== SIGPIPE && ignoredAtStart(signal)) continue;
    set[0] = set[0]! | bit;
  }
  return new Uint8Array(set.buffer);
}

/** File actions: chdir to `cwd`, stdin from /dev/null, stdout and stderr to the pipes. */
function fileActions(
  libc: Libc,
  cwd: Uint8Array,
  devNull: number,
  stdout: number,
  stderr: number,
): Uint8Array {
  const actions = new Uint8Array(FILE_ACTIONS_SIZE);
  libc.posix_spawn_file_actions_init(actions);
  libc.posix_spawn_file_actions_addchdir_np(actions, cwd);
  libc.posix_spawn_file_actions_adddup2(actions, devNull, 0);
  libc.posix_spawn_file_actions_adddup2(actions, stdout, 1);
  libc.posix_spawn_file_actions_adddup2(actions, stderr, 2);
  return actions;
}

/** The file actions of the last spawn on this thread, rebuilt when they would differ. */
class FileActionsCache {
  #actions: Uint8Array | undefined;
  #cwd = "";
  #stdout = -1;
  #stderr = -1;

  constructor(readonly libc: Libc, readonly devNull: number) {}

  get(cwd: string, stdout: number, stderr: number): Uint8Array {
    if (this.#actions && cwd === this.#cwd && stdout === this.#stdout && stderr === this.#stderr) {
      return this.#actions;
    }
    if (this.#actions) this.libc.posix_spawn_file_actions_destroy(this.#actions);
    this.#actions = fileActions(this.libc, cString(cwd), this.devNull, stdout, stderr);
    this.#cwd = cwd;
    this.#stdout = stdout;
    this.#stderr = stderr;
    return this.#actions;
  }
}

/**
 * The argument vector of a spawn on this thread, written into buffers allocated once: a fresh
 * C string and pointer array per spawn cost 11 µs of a chain's hop here, these 3.4 (each new
 * buffer whose address is taken is moved off the V8 heap, and swept by the collector later).
 */
export class ArgvArena {
  /** Room for the strings, in bytes. */
  static readonly BYTES = 64 * 1024;
  /** Room for this many arguments, program included. */
  static readonly WORDS = 1024;
  /** The argument strings, NUL-terminated, one after the other: the first is the program. */
  readonly strings = new Uint8Array(ArgvArena.BYTES);
  /** Their addresses, then NULL: `argv`. */
  readonly pointers = new BigUint64Array(ArgvArena.WORDS + 1);
  readonly #base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.strings)));

  /** Writes `argv`; false when it does not fit (the caller allocates instead). */
  write(argv: readonly string[]): boolean {
    if (argv.length > ArgvArena.WORDS) return false;
    let offset = 0;
    for (let i = 0; i < argv.length; i++) {
      const word = argv[i]!;
      // Room for the word in UTF-8 at the worst (3 bytes a UTF-16 unit) and its NUL.
      if (offset + word.length * 3 + 1 > ArgvArena.BYTES) return false;
      const { written } = encoder.encodeInto(word, this.strings.subarray(offset));
      this.strings[offset + written] = 0;
      this.pointers[i] = this.#base + BigInt(offset);
      offset += written + 1;
    }
    this.pointers[argv.length] = 0n;
    return true;
  }
}

const encoder = new TextEncoder();

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
 * the strings themselves), with `pwd` (a `PWD=…` C string) in place of its `PWD`.
 */
function environSnapshot(environ: Deno.UnsafePointerView, pwd?: Uint8Array): BigUint64Array {
  const array = environ.getPointer(0);
  const view = array ? new Deno.UnsafePointerView(array) : undefined;
  let count = 0;
  while (view && view.getBigUint64(count * 8) !== 0n) count++;
  const copy = new BigUint64Array(count + 2);
  if (view && count > 0) view.copyInto(new Uint8Array(copy.buffer, 0, count * 8));
  if (pwd) {
    let at = 0;
    while (at < count && !isPwdEntry(copy[at]!)) at++;
    copy[at] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(pwd)));
  }
  return copy;
}

/** `PWD=` as the first four bytes of a C string, read as a little-endian word. */
const PWD_PREFIX = 0x3d445750;

function isPwdEntry(address: bigint): boolean {
  const pointer = Deno.UnsafePointer.create(address);
  return pointer !== null && new Deno.UnsafePointerView(pointer).getUint32(0) === PWD_PREFIX;
}

/** Keeps a buffer referenced until here: a spawn on another thread reads it meanwhile. */
function keepAlive(_buffer: unknown): void {}
