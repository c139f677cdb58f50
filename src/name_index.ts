/**
 * Task names to indices, for building the graph's integer form.
 *
 * An open-addressing table keeps each slot's full hash next to its position in one typed
 * array sized once, so a lookup reads one slot and then the one name it must compare with
 * (a `Map` measured slower in a whole run at 1,000,000 tasks). At that size a lookup costs
 * its cache misses, not its instructions: {@linkcode NameIndex.candidates} looks up many
 * hashes in one pass whose reads do not wait on each other, so that the misses overlap.
 *
 * @module
 */

/** A read-only index of names to their positions; a repeated name keeps its first. */
export class NameIndex {
  readonly #names: readonly string[];
  /** Pairs of (hash, position + 1) per slot; position + 1 of 0 marks an empty slot. */
  readonly #slots: Int32Array;
  readonly #mask: number;
  /** The first repeated name, as [its first position, the repeat's position]. */
  readonly duplicate: readonly [number, number] | undefined;

  /** Indexes `names`, noting in {@linkcode duplicate} the first one repeated. */
  constructor(names: readonly string[]) {
    this.#names = names;
    let size = 8;
    while (size < names.length * 2) size *= 2;
    const mask = this.#mask = size - 1;
    const slots = this.#slots = new Int32Array(size * 2);
    // Hashing first, in its own pass, leaves the inserting loop short enough for the
    // processor to overlap one insertion's cache miss with the next ones.
    const hashes = new Int32Array(names.length);
    for (let i = 0; i < names.length; i++) hashes[i] = hashString(names[i]!);
    let duplicate: [number, number] | undefined;
    for (let i = 0; i < names.length; i++) {
      const hash = hashes[i]!;
      let slot = hash & mask, entry = slots[slot * 2 + 1]!;
      while (entry !== 0 && (slots[slot * 2] !== hash || names[entry - 1] !== names[i])) {
        slot = (slot + 1) & mask;
        entry = slots[slot * 2 + 1]!;
      }
      if (entry !== 0) {
        duplicate ??= [entry - 1, i];
        continue;
      }
      slots[slot * 2] = hash;
      slots[slot * 2 + 1] = i + 1;
    }
    this.duplicate = duplicate;
  }

  /** The position of `name`, or -1. */
  get(name: string): number {
    return this.#find(name, hashString(name));
  }

  /**
   * For each hash (of {@linkcode hashString}), the position of the first name indexed with
   * that hash, or -1 when none: a candidate, which {@linkcode is} must confirm. Each reads
   * one slot and none waits on another, so the processor overlaps their cache misses, where
   * one `get()` after another waits out each miss in turn.
   */
  candidates(hashes: Int32Array, out: Int32Array): void {
    const slots = this.#slots, mask = this.#mask;
    for (let k = 0; k < hashes.length; k++) {
      const hash = hashes[k]!;
      let slot = hash & mask, entry = slots[slot * 2 + 1]!;
      while (entry !== 0 && slots[slot * 2] !== hash) {
        slot = (slot + 1) & mask;
        entry = slots[slot * 2 + 1]!;
      }
      out[k] = entry - 1;
    }
  }

  /** Whether the name at `position` is `name`. */
  is(position: number, name: string): boolean {
    return this.#names[position] === name;
  }

  #find(name: string, hash: number): number {
    const slots = this.#slots, mask = this.#mask;
    for (let slot = hash & mask;; slot = (slot + 1) & mask) {
      const entry = slots[slot * 2 + 1]!;
      if (entry === 0) return -1;
      if (slots[slot * 2] === hash && this.is(entry - 1, name)) return entry - 1;
    }
  }
}

/** FNV-1a over UTF-16 code units: the hash the index uses. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}
