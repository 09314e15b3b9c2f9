/**
 * A Bloom filter over strings: a fixed bit array and `hashCount` bit positions per entry. `has`
 * never answers false for an added entry; it answers true for a string never added with
 * probability about `falsePositiveRate`. Written here (sixty lines) rather than taken from npm:
 * the maintained packages are general toolkits with dependencies, and the small ones are
 * unmaintained (docs/decisions/004).
 */
export class BloomFilter {
  readonly bitCount: number;
  readonly hashCount: number;
  private readonly words: Uint32Array;

  /** Sized for `expectedEntries` at `falsePositiveRate` (the textbook optimum). */
  constructor(expectedEntries: number, falsePositiveRate: number) {
    if (!Number.isSafeInteger(expectedEntries) || expectedEntries < 1) {
      throw new RangeError('expectedEntries must be a positive integer');
    }
    if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
      throw new RangeError('falsePositiveRate must be between 0 and 1');
    }
    const bits = Math.ceil((-expectedEntries * Math.log(falsePositiveRate)) / Math.LN2 ** 2);
    this.words = new Uint32Array(Math.ceil(bits / 32));
    this.bitCount = this.words.length * 32;
    this.hashCount = Math.max(1, Math.round((this.bitCount / expectedEntries) * Math.LN2));
  }

  get byteLength(): number {
    return this.words.byteLength;
  }

  add(value: string): void {
    hashPair(value);
    const { words, bitCount } = this;
    for (let i = 0; i < this.hashCount; i += 1) {
      const bit = (first + i * second) % bitCount;
      words[bit >>> 5] = (words[bit >>> 5] ?? 0) | (1 << (bit & 31));
    }
  }

  has(value: string): boolean {
    hashPair(value);
    const { words, bitCount } = this;
    for (let i = 0; i < this.hashCount; i += 1) {
      const bit = (first + i * second) % bitCount;
      if (((words[bit >>> 5] ?? 0) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

// The two hashes of the last value, kept here so a lookup allocates nothing.
let first = 0;
let second = 0;

/** Murmur3's finaliser: every input bit affects every output bit. */
function mix32(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Two independent 32-bit hashes of the UTF-16 code units in one pass (FNV-1a and a
 * multiply-xorshift), combined as h1 + i·h2 (Kirsch and Mitzenmacher): 64 bits of hash, so two
 * different strings share every position only by the filter's own odds, not by a 32-bit collision.
 */
function hashPair(value: string): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995);
    b ^= b >>> 15;
  }
  first = mix32(a);
  // Odd, so the probe sequence never repeats one position.
  second = (mix32(b ^ value.length) | 1) >>> 0;
}
