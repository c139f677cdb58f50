/**
 * Watching the children of the posix_spawn path: one epoll set holds the two pipes and the
 * pidfd (readable once it has exited) of every running child, and one `epoll_wait` at a time
 * waits for all of them on a thread of Deno's blocking pool.
 *
 * Why one wait for all: a wait per child costs a thread hop per child and per wake-up, and
 * with eight children running those hops were most of dagrun's own time. A child added while
 * the wait is under way is picked up by it (epoll allows that), so starting one costs no
 * wake-up. When nothing else is under way, a child is first waited for on the main thread,
 * as make does: a short task in a chain ends sooner than a thread hop, and there is no other
 * work for the event loop to be kept from; timers and signals, which there may be, wait
 * {@linkcode QUICK_WAIT_MS} at most.
 *
 * @module
 */

import type { SupervisedStatus as ChildStatus } from "../src/child.ts";
import { errnoOf, type Libc, SIGNAL_NAMES } from "./libc.ts";

export type { ChildStatus };

/** Receives a chunk of output; the chunk is valid only until it returns. */
export type ChunkSink = (chunk: Uint8Array) => void;

/** A child to watch: its pid, pidfd and the read ends of its stdout and stderr pipes. */
export interface WatchedFds {
  /** Its process id. */
  readonly pid: number;
  /** A pidfd of it. */
  readonly pidfd: number;
  /** The read end of its stdout pipe. */
  readonly stdout: number;
  /** The read end of its stderr pipe. */
  readonly stderr: number;
}

/**
 * How long the main thread may be held, in milliseconds, waiting for children on it without
 * the event loop turning: the longest timers and signals (Ctrl-C) wait for it. Children
 * ending one after the other within quick waits never give it a turn otherwise, since each
 * end starts the next task in a microtask.
 */
export const QUICK_WAIT_MS = 10;

/** Options of {@linkcode ChildWatcher}. */
export interface ChildWatcherOptions {
  /** How long the main thread may be held between turns; {@linkcode QUICK_WAIT_MS} by default. */
  readonly quickWaitMs?: number;
}

const EPOLL_CLOEXEC = 0o2000000, EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
const EPOLLIN = 0x1, EPOLLONESHOT = 1 << 30;
const EAGAIN = 11, WNOHANG = 1, SIGKILL = 9;
/** `struct epoll_event` is packed on x86_64 (12 bytes), aligned elsewhere (16). */
const PACKED = Deno.build.arch === "x86_64";
const EVENT_SIZE = PACKED ? 12 : 16, DATA_OFFSET = PACKED ? 4 : 8;
const MAX_EVENTS = 256;
/** What an event's data says, besides the child: which of its descriptors is ready. */
const STDOUT = 0, STDERR = 1, PIDFD = 2;
/**
 * How long a child waited for on the main thread is waited for on its pidfd alone, in ms:
 * its pipes end just before it does and would each wake the wait up once more, so they are
 * read once it has exited. A child that outlives this may be blocked on a full pipe: its
 * pipes are watched from then on. Not 1: a /bin/true takes about that long here, and a
 * wait that times out just before the exit costs three more wake-ups (the timeout, then
 * each pipe's end) and two `epoll_ctl`s.
 */
const PIPES_AFTER_MS = 4;
/** One read per descriptor and wake-up, at most this much. */
const CHUNK_SIZE = 64 * 1024;

/** A child being watched. */
interface Watched {
  /** Its key in the epoll events' data. */
  readonly id: number;
  readonly pid: number;
  /** Its pidfd, then -1 once it has exited. */
  pidfd: number;
  /** The read ends of its stdout and stderr pipes, each -1 once ended. */
  readonly pipes: [number, number];
  readonly sinks: readonly [ChunkSink, ChunkSink];
  readonly settle: (status: ChildStatus) => void;
  readonly drained: () => void;
  readonly failed: (error: unknown) => void;
  /** Whether its pipes are in the epoll set (they are not while it is waited for here). */
  pipesWatched: boolean;
  /** What a sink threw, passed on once the pipes have ended. */
  error?: unknown;
}

/** The watcher of every child of one posix_spawn spawner. */
export class ChildWatcher {
  readonly #libc: Libc;
  readonly #epfd: number;
  readonly #children = new Map<number, Watched>();
  #nextId = 0;
  /** Whether an `epoll_wait` is under way on the blocking pool. */
  #waiting = false;
  /**
   * When the main thread began to be held by quick waits with no turn of the event loop
   * known since, or -1. Only a background wait's end is known to be a turn: any other
   * only makes this earlier than it need be.
   */
  #heldSince = -1;
  // The background wait's buffer is not touched while the wait is under way.
  readonly #background = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
  readonly #backgroundView = new DataView(this.#background.buffer);
  readonly #quick = new Uint8Array(EVENT_SIZE * 4);
  readonly #quickView = new DataView(this.#quick.buffer);
  readonly #control = new Uint8Array(EVENT_SIZE);
  readonly #controlView = new DataView(this.#control.buffer);
  readonly #chunk = new Uint8Array(CHUNK_SIZE);
  readonly #status = new Int32Array(1);
  readonly #quickWaitMs: number;

  /** Creates the epoll set; throws where there is none. */
  constructor(libc: Libc, options: ChildWatcherOptions = {}) {
    this.#libc = libc;
    this.#quickWaitMs = options.quickWaitMs ?? QUICK_WAIT_MS;
    this.#epfd = libc.epoll_create1(EPOLL_CLOEXEC);
    if (this.#epfd < 0) throw new Error(`epoll_create1 failed: errno ${errnoOf(libc)}`);
  }

  /**
   * Watches a child until it has exited and both its pipes have ended, passing its output
   * to the sinks as it comes, one chunk of at most 64 KiB per pipe and wake-up: between two
   * wake-ups the event loop runs, so a sink that writes synchronously keeps memory bounded.
   * Settles `status` when the child has exited; resolves once both pipes have ended (they
   * may outlive the child, held by what it left running). The descriptors are closed here.
   *
   * With `quick`, which the caller passes only when nothing else is under way, a child that
   * is the only one watched is first waited for on this thread, for up to the quick wait: a
   * short task in a chain then ends without a thread hop, as make's would.
   */
  watch(
    fds: WatchedFds,
    sinks: readonly [ChunkSink, ChunkSink],
    settle: (status: ChildStatus) => void,
    quick = false,
  ): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const id = this.#nextId;
    this.#nextId = (id + 1) & 0x3fffffff;
    const child: Watched = {
      id,
      pid: fds.pid,
      pidfd: fds.pidfd,
      pipes: [fds.stdout, fds.stderr],
      sinks,
      settle,
      drained: resolve,
      failed: reject,
      pipesWatched: false,
    };
    const here = quick && !this.#waiting && this.#children.size === 0;
    // Waiting here, only the pidfd is watched at first (see PIPES_AFTER_MS).
    if (
      !this.#arm(EPOLL_CTL_ADD, fds.pidfd, id * 4 + PIDFD) || (!here && !this.#watchPipes(child))
    ) {
      this.#cannotWatch(child);
      return promise;
    }
    this.#children.set(id, child);
    if (here) this.#waitQuickly(child);
    this.#waitInBackground();
    return promise;
  }

  /** Watches the pipes of a child not yet ended; false when the epoll set refuses one. */
  #watchPipes(child: Watched): boolean {
    if (child.pipesWatched) return true;
    child.pipesWatched = true;
    for (const which of [STDOUT, STDERR]) {
      const fd = child.pipes[which]!;
      if (fd >= 0 && !this.#arm(EPOLL_CTL_ADD, fd, child.id * 4 + which)) return false;
    }
    return true;
  }

  #cannotWatch(child: Watched): void {
    // No room in the epoll set (a kernel limit): the child cannot be watched, so it does
    // not run unwatched.
    this.#libc.kill(-child.pid, SIGKILL);
    this.#abandon(child, new Error(`cannot watch process ${child.pid}`));
  }

  /**
   * Watches a descriptor for one event: it is disabled once reported, until re-armed. A
   * descriptor that ended can then be closed without first being taken out of the set (a
   * syscall per descriptor and task): a copy that a process being spawned meanwhile holds
   * until its exec keeps it in the set, but disabled, so it reports nothing.
   */
  #arm(operation: number, fd: number, data: number): boolean {
    this.#controlView.setUint32(0, EPOLLIN | EPOLLONESHOT, true);
    this.#controlView.setUint32(DATA_OFFSET, data, true);
    this.#controlView.setUint32(DATA_OFFSET + 4, 0, true);
    return this.#libc.epoll_ctl(this.#epfd, operation, fd, this.#control) === 0;
  }

  /** Stops watching a descriptor that may still be armed, and closes it. */
  #forget(fd: number): void {
    // Closing alone would leave it in the set, armed, while a process spawned meanwhile
    // holds a copy of it until its exec.
    this.#libc.epoll_ctl(this.#epfd, EPOLL_CTL_DEL, fd, null);
    this.#libc.close(fd);
  }

  /**
   * Waits on the main thread while the only child runs, until the quick wait since the last
   * known turn of the event loop is used up; the background wait then takes over, and its
   * end, a turn, gives a new one.
   */
  #waitQuickly(child: Watched): void {
    const now = performance.now();
    if (this.#heldSince < 0) this.#heldSince = now;
    const deadline = this.#heldSince + this.#quickWaitMs;
    // Until it has exited: pipes that outlive it are held by something it left running,
    // which its caller kills once it has the status.
    for (let left = deadline - now; child.pidfd >= 0 && left > 0;) {
      const pidfdOnly = !child.pipesWatched;
      const timeout = Math.ceil(pidfdOnly ? Math.min(left, PIPES_AFTER_MS) : left);
      const count = this.#libc.epoll_wait(this.#epfd, this.#quick, 4, timeout);
      if (count === 0 && pidfdOnly && this.#watchPipes(child)) {
        left = deadline - performance.now();
        continue;
      }
      // Nothing within the quick wait, or EINTR: a signal someone listens to (Ctrl-C)
      // arrived, and its listener runs only once the event loop turns. (The runtime does
      // not catch SIGCHLD, so a child's exit does not interrupt the wait.)
      if (count <= 0) break;
      // Output passed on is written once this returns (the sink flushes in a microtask):
      // stop here rather than read more into memory.
      if (this.#handle(this.#quickView, count)) break;
      left = deadline - performance.now();
    }
    if (this.#children.has(child.id) && !this.#watchPipes(child)) {
      this.#children.delete(child.id);
      this.#cannotWatch(child);
    }
  }

  #waitInBackground(): void {
    if (this.#waiting || this.#children.size === 0) return;
    this.#waiting = true;
    this.#libc.epoll_wait_in_background(this.#epfd, this.#background, MAX_EVENTS, -1).then(
      (count) => {
        this.#waiting = false;
        this.#heldSince = -1;
        // A negative count is EINTR (a signal the runtime catches): wait again.
        if (count > 0) this.#handle(this.#backgroundView, count);
        this.#waitInBackground();
      },
      (error) => {
        this.#waiting = false;
        for (const child of this.#children.values()) this.#abandon(child, error);
        this.#children.clear();
      },
    );
  }

  /** Handles what a wait reported; returns whether output was passed on. */
  #handle(events: DataView, count: number): boolean {
    let output = false;
    for (let i = 0; i < count; i++) {
      const data = events.getUint32(i * EVENT_SIZE + DATA_OFFSET, true);
      const id = data >>> 2;
      const child = this.#children.get(id);
      if (!child) continue;
      const which = data & 3;
      if (which === PIDFD ? this.#exited(child) : this.#read(child, which)) output = true;
      if (child.pidfd < 0 && child.pipes[STDOUT] < 0 && child.pipes[STDERR] < 0) {
        this.#children.delete(id);
      }
    }
    return output;
  }

  /**
   * Reads one chunk of a pipe, or ends it; returns whether output was passed on. A pipe not
   * ended is re-armed, or first watched (`EPOLL_CTL_ADD`).
   */
  #read(child: Watched, which: number, arm = EPOLL_CTL_MOD): boolean {
    const fd = child.pipes[which]!;
    const count = Number(this.#libc.read(fd, this.#chunk, BigInt(CHUNK_SIZE)));
    let passed = false;
    if (count > 0 && child.error === undefined) {
      try {
        child.sinks[which]!(this.#chunk.subarray(0, count));
        passed = true;
      } catch (error) {
        // The rest of the output is read and dropped, so that the child is not blocked.
        child.error = error;
      }
    }
    // errno means something only after a failed read: at the end of file it is stale.
    const more = count > 0 || (count < 0 && errnoOf(this.#libc) === EAGAIN);
    if (more && this.#arm(arm, fd, child.id * 4 + which)) return passed;
    // End of file, or an error that will not go away: the pipe ends either way. Its
    // event disabled it, so it is closed without leaving the set first.
    this.#libc.close(fd);
    child.pipes[which] = -1;
    if (child.pipes[1 - which]! < 0) {
      if (child.error === undefined) child.drained();
      else child.failed(child.error);
    }
    return passed;
  }

  /** Reaps a child; reads its pipes if they were not watched. Returns whether output was passed on. */
  #exited(child: Watched): boolean {
    this.#libc.close(child.pidfd);
    child.pidfd = -1;
    child.settle(this.#reap(child.pid));
    if (child.pipesWatched) return false;
    child.pipesWatched = true;
    // Most often both are at their end; one held open by what the child left running, or
    // with more to read, is watched from now on.
    const out = this.#read(child, STDOUT, EPOLL_CTL_ADD);
    return this.#read(child, STDERR, EPOLL_CTL_ADD) || out;
  }

  /** The exit status of a child whose pidfd said it has exited. */
  #reap(pid: number): ChildStatus {
    if (this.#libc.waitpid(pid, this.#status, WNOHANG) <= 0) {
      // Someone else reaped it: its outcome is unknown.
      return { success: false, code: 255, signal: null };
    }
    const raw = this.#status[0]!;
    const signal = raw & 0x7f;
    if (signal === 0) {
      const code = (raw >> 8) & 0xff;
      return code === 0 ? SUCCESS : { success: false, code, signal: null };
    }
    const name = SIGNAL_NAMES[signal];
    return name
      ? { success: false, code: 128 + signal, signal: name }
      : { success: false, code: 128 + signal, signal: null, unnamedSignal: signal };
  }

  /**
   * Stops reading a child's pipes: passes on what they hold now (at most 16 chunks), closes
   * them and resolves its watch. For pipes held open after the child's group is gone, by a
   * process that left the group (`setsid`, a daemon): they may stay open for ever.
   */
  release(pid: number): void {
    for (const child of this.#children.values()) {
      if (child.pid !== pid) continue;
      for (const which of [STDOUT, STDERR]) {
        const fd = child.pipes[which]!;
        if (fd < 0) continue;
        for (let chunk = 0; chunk < 16; chunk++) {
          const count = Number(this.#libc.read(fd, this.#chunk, BigInt(CHUNK_SIZE)));
          if (count <= 0) break;
          if (child.error !== undefined) continue;
          try {
            child.sinks[which]!(this.#chunk.subarray(0, count));
          } catch (error) {
            child.error = error;
          }
        }
        this.#forget(fd);
        child.pipes[which] = -1;
      }
      if (child.pidfd < 0) this.#children.delete(child.id);
      if (child.error === undefined) child.drained();
      else child.failed(child.error);
      return;
    }
  }

  /** Gives a child up after a failure of the watching itself. */
  #abandon(child: Watched, error: unknown): void {
    for (const fd of [child.pidfd, ...child.pipes]) if (fd >= 0) this.#forget(fd);
    child.settle({ success: false, code: 255, signal: null });
    child.failed(error);
  }
}

const SUCCESS: ChildStatus = { success: true, code: 0, signal: null };
