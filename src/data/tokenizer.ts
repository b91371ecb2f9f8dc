// The word tokenizer and vocabulary shared by the text scenarios.
import { fromTypedArray, type Tensor } from '../torch/index.ts';
import { positiveInt } from '../checks.ts';
import { ConfigError } from '../errors.ts';

export const PAD = 0;
export const UNK = 1;
/** The names of PAD and UNK in a vocabulary; the word pattern below never produces them (they hold '<'). */
const RESERVED = ['<pad>', '<unk>'] as const;

// Words (letters, digits, apostrophes) and a few punctuation marks; everything else is dropped.
const TOKEN = /[A-Za-z0-9']+|[.,!?;:]/g;

/** Lower-cased tokens of text. Lower-casing happens per token so no non-ASCII character can turn into a letter. */
export function tokenize(text: string): string[] {
  const found = text.match(TOKEN);
  if (!found) return [];
  for (let i = 0; i < found.length; i++) found[i] = found[i].toLowerCase();
  return found;
}

/**
 * tokenize(text), with each occurrence of `marker` (WikiText's '<unk>': a word its corpus replaced as rare) as the
 * single token '<unk>', which every Vocabulary encodes as UNK. Plain tokenize would read the marker as a word
 * 'unk' and give it a vocabulary slot and class of its own.
 */
export function tokenizeMarkingUnknown(text: string, marker: string): string[] {
  if (marker === '') throw new ConfigError('the unknown-word marker must not be empty');
  const pieces = text.split(marker);
  const out = tokenize(pieces[0]!);
  for (let i = 1; i < pieces.length; i++) {
    out.push(RESERVED[UNK]);
    for (const t of tokenize(pieces[i]!)) out.push(t);
  }
  return out;
}

/** Ids: PAD = 0, UNK = 1, then tokens by descending train frequency, ties broken by first occurrence. */
export class Vocabulary {
  readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;

  private constructor(tokens: string[]) {
    this.tokens = tokens;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * The `size - 2` most frequent tokens of the given token sequences (in order), after PAD and UNK; the names
   * '<pad>' and '<unk>' are not counted ('<unk>' from tokenizeMarkingUnknown stays UNK).
   */
  static build(sequences: Iterable<readonly string[]>, size: number): Vocabulary {
    if (positiveInt(size, 'vocabulary size') < 2) {
      throw new ConfigError(`vocabulary size must be an integer ≥ 2, got ${size}`);
    }
    // A Map iterates in insertion order, i.e. by first occurrence; the sort below is stable.
    const counts = new Map<string, number>();
    for (const seq of sequences) for (const t of seq) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const name of RESERVED) counts.delete(name);
    const ranked = [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, size - 2)
      .map(([t]) => t);
    return new Vocabulary([...RESERVED, ...ranked]);
  }

  get size(): number {
    return this.tokens.length;
  }

  idOf(token: string): number {
    return this.ids.get(token) ?? UNK;
  }

  /** Ids of a token sequence (unknown tokens → UNK). */
  encode(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) out[i] = this.ids.get(tokens[i]) ?? UNK;
    return out;
  }

  /** int64 (N, length): each sequence truncated or right-padded with PAD. */
  encodeFixedLength(sequences: readonly (readonly string[])[], length: number): Tensor {
    const out = new Int32Array(sequences.length * length); // zero-filled = PAD
    sequences.forEach((seq, row) => {
      const n = Math.min(length, seq.length);
      for (let j = 0; j < n; j++) out[row * length + j] = this.ids.get(seq[j]) ?? UNK;
    });
    return withInt64(fromTypedArray(out, [sequences.length, length]));
  }
}

function withInt64(t: Tensor): Tensor {
  const long = t.long();
  t.dispose();
  return long;
}
