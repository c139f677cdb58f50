/**
 * glibc through Deno's FFI, opened in one place for the whole process: the functions the
 * posix_spawn path calls, `kill` for a look at a process group, and the few called rarely
 * (a Ctrl-Z, a start under `nohup`). Linux only (x86_64 and aarch64).
 *
 * @module
 */

import { isGranted } from "../src/permissions.ts";

/** The symbols, as `Deno.dlopen` takes them. */
export const SYMBOLS = {
  // On this thread the environment cannot change during the call: it takes libc's own
  // array, a pointer.
  posix_spawnp: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "pointer"],
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
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "u64"], result: "i64" },
  pidfd_open: { parameters: ["i32", "u32"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  // The one call that blocks for long, on a thread of Deno's blocking pool: the event loop
  // goes on meanwhile.
  epoll_wait_in_background: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  // The address of libc's `char **environ`, which `Deno.env.set` keeps current.
  environ: { type: "pointer" },
  // The addresses of the rarely called functions (see RARE_FUNCTIONS): a function bound here
  // costs ≈ 0.13 ms when libc is opened, an address nothing.
  signal_address: { name: "signal", type: "pointer" },
  sigaction_address: { name: "sigaction", type: "pointer" },
  raise_address: { name: "raise", type: "pointer" },
} as const;

/**
 * Functions called at most a few times a run, bound from their address at their first call
 * rather than when libc is opened.
 */
const RARE_FUNCTIONS = {
  signal: { parameters: ["i32", "pointer"], result: "pointer" },
  sigaction: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  raise: { parameters: ["i32"], result: "i32" },
} as const;

/** The name of a function {@linkcode libcFunction} binds. */
export type RareFunction = keyof typeof RARE_FUNCTIONS;

/** The bound functions. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let opened: Libc | null | undefined;

/**
 * glibc, opened at the first call (a `dlopen` that costs ≈ 4 ms, paid only by runs that
 * need it) and shared from then on; `undefined` where it cannot be: another OS, no FFI
 * permission (queried, never asked for: a prompt would stop the run), no glibc (musl's has
 * another name).
 *
 * @example
 * ```ts
 * import { libc } from "./libc.ts";
 * const alive = libc()?.kill(Deno.pid, 0) === 0;
 * ```
 */
export function libc(): Libc | undefined {
  if (opened === undefined) {
    opened = null;
    try {
      if (Deno.build.os === "linux" && isGranted({ name: "ffi" })) {
        opened = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
      }
    } catch {
      // No glibc: every caller has a way without it.
    }
  }
  return opened ?? undefined;
}

/** A rarely called function, bound. */
export type RareFunctionPointer<Name extends RareFunction> = Deno.UnsafeFnPointer<
  (typeof RARE_FUNCTIONS)[Name]
>;

const rareBound = new Map<RareFunction, unknown>();

/**
 * One of the rarely called functions (`signal`, `sigaction`, `raise`), bound at its first
 * call; `undefined` where libc cannot be opened ({@linkcode libc}).
 *
 * @example
 * ```ts
 * import { libcFunction } from "./libc.ts";
 * libcFunction("raise")?.call(28); // SIGWINCH, ignored by default
 * ```
 */
export function libcFunction<Name extends RareFunction>(
  name: Name,
): RareFunctionPointer<Name> | undefined {
  if (!rareBound.has(name)) {
    const address = libc()?.[`${name}_address`];
    if (!address) return undefined;
    // The address is a function's, of this definition: typed as such.
    const pointer = address as Deno.PointerObject<never>;
    rareBound.set(name, new Deno.UnsafeFnPointer(pointer, RARE_FUNCTIONS[name]));
  }
  return rareBound.get(name) as RareFunctionPointer<Name>;
}

/** The calling thread's `errno`, right after a synchronous call that failed. */
export function errnoOf(libc: Libc): number {
  return new Deno.UnsafePointerView(libc.__errno_location()!).getInt32();
}

/** A NUL-terminated copy of a string. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text + "\0");
}

const encoder = new TextEncoder();

/**
 * Linux signal numbers on x86_64 and aarch64, each with the name `Deno.Command` gives it: all
 * of 1 to 31, so that a child a signal ends is reported alike whichever way it was spawned (a
 * program killed by SIGSYS, a seccomp filter's, is not an "exit code 159"). Real-time signals
 * (32 to 64) have no name.
 */
export const SIGNAL_NAMES: Readonly<Record<number, Deno.Signal>> = {
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
  16: "SIGSTKFLT",
  17: "SIGCHLD",
  18: "SIGCONT",
  19: "SIGSTOP",
  20: "SIGTSTP",
  21: "SIGTTIN",
  22: "SIGTTOU",
  23: "SIGURG",
  24: "SIGXCPU",
  25: "SIGXFSZ",
  26: "SIGVTALRM",
  27: "SIGPROF",
  28: "SIGWINCH",
  29: "SIGIO",
  30: "SIGPWR",
  31: "SIGSYS",
};
