/**
 * Task names to indices, for building the graph's integer form.
 *
 * A `Map<string, number>` does this, but at a million tasks it costs more than the whole
 * rest of a run: its buckets are objects scattered over the heap, it rehashes as it grows,
 * and every lookup chases several pointers. This open-addressing table keeps each slot's
 * full hash next to its index in one typed array sized once, so a lookup touches one slot
 * and then the one name it must compare against.
 *
 * @module
 */

/** A read-only index of names to their positions; a repeated name keeps its first. */
export class NameIndex {
  readonly #names: readonly string[];
  /** Pairs of (hash, index + 1) per slot; index + 1 of 0 marks an empty slot. */
  readonly #slots: Int32Array;
  readonly #mask: number;
  /** The first repeated name, as [its first position, the repeat's position]. */
  readonly duplicate: readonly [number, number] | undefined;

  /** Indexes `names`, noting in {@linkcode duplicate} the first one repeated. */
  constructor(names: readonly string[]) {
    this.#names = names;
    let size = 8;
    while (size < names.length * 2) size *= 2;
    this.#mask = size - 1;
    const slots = this.#slots = new Int32Array(size * 2);
    let duplicate: [number, number] | undefined;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const hash = hashString(name);
      let slot = hash & this.#mask;
      for (;; slot = (slot + 1) & this.#mask) {
        const entry = slots[slot * 2 + 1]!;
        if (entry === 0) break;
        if (slots[slot * 2] === hash && names[entry - 1] === name) {
          duplicate ??= [entry - 1, i];
          slot = -1;
          break;
        }
      }
      if (slot < 0) continue;
      slots[slot * 2] = hash;
      slots[slot * 2 + 1] = i + 1;
    }
    this.duplicate = duplicate;
  }

  /** The position of `name`, or -1. */
  get(name: string): number {
    const hash = hashString(name);
    const slots = this.#slots;
    for (let slot = hash & this.#mask;; slot = (slot + 1) & this.#mask) {
      const entry = slots[slot * 2 + 1]!;
      if (entry === 0) return -1;
      if (slots[slot * 2] === hash && this.#names[entry - 1] === name) return entry - 1;
    }
  }
}

/** FNV-1a over UTF-16 code units. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}
