// The regex tokenizer and the frequency vocabulary with first-occurrence tie-breaking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAD, UNK, tokenize, Vocabulary } from '../../src/data/index.ts';

test('tokenize keeps words, digits, apostrophes and .,!?;: — lower-cased — and drops everything else', () => {
  assert.deepEqual(tokenize("Don't STOP: 42 cats, (really)?! e-mail @ <unk> café"), [
    "don't",
    'stop',
    ':',
    '42',
    'cats',
    ',',
    'really',
    '?',
    '!',
    'e',
    'mail',
    'unk',
    'caf',
  ]);
  assert.deepEqual(tokenize('  -- ()  '), []);
  // Characters outside ASCII that lower-case to ASCII letters must not become tokens.
  assert.deepEqual(tokenize('\u212A \u0130'), []);
});

test('vocabulary: PAD 0, UNK 1, then by frequency with ties in order of first occurrence', () => {
  const vocab = Vocabulary.build([['b', 'a', 'c'], ['c', 'd', 'a', 'e'], ['e']], 10);
  // counts: b1 a2 c2 d1 e2 → a, c, e (first seen a before c before e), then b, d
  assert.deepEqual(vocab.tokens, ['<pad>', '<unk>', 'a', 'c', 'e', 'b', 'd']);
  assert.equal(vocab.idOf('a'), 2);
  assert.equal(vocab.idOf('zzz'), UNK);
  const small = Vocabulary.build([['b', 'a', 'c'], ['c', 'd', 'a', 'e'], ['e']], 4);
  assert.deepEqual(small.tokens, ['<pad>', '<unk>', 'a', 'c']);
  assert.deepEqual(Array.from(small.encode(['e', 'c', 'a'])), [UNK, 3, 2]);
});

test('fixed-length encoding truncates and right-pads with PAD as int64', () => {
  const vocab = Vocabulary.build([['x', 'y', 'y']], 8);
  const ids = vocab.encodeFixedLength([['x', 'y', 'x', 'y', 'q'], ['y'], []], 4);
  assert.equal(ids.dtype, 'int64');
  assert.deepEqual(ids.tolist(), [
    [3, 2, 3, 2],
    [2, PAD, PAD, PAD],
    [PAD, PAD, PAD, PAD],
  ]);
});
