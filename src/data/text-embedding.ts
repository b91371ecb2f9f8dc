// The fixed (never trained) token embedding used by the text scenarios.
import { cat, F, randn, tidy, zeros, Generator, type Tensor } from '../torch/index.ts';
import { PAD } from './tokenizer.ts';

/** (vocab, dim) rows drawn from N(0, 1) with a seeded generator, PAD row zero, then rows scaled to unit L2 norm. */
export function fixedTokenEmbedding(vocabSize: number, dim: number, seed: number): Tensor {
  if (PAD !== 0) throw new Error('fixedTokenEmbedding assumes PAD = 0');
  return tidy(() => {
    const draws = randn([vocabSize, dim], { generator: new Generator(seed) });
    const table = cat([zeros([1, dim]), draws.slice(0, 1)], 0);
    return F.normalize(table, 2, 1, 1e-8);
  });
}

/** ids (N, T) → table[ids] + position (N, T, dim); the position row is added at PAD positions too. */
export function embedTokens(ids: Tensor, table: Tensor, positions: Tensor): Tensor {
  return tidy(() => F.embedding(table, ids).add(positions.unsqueeze(0)));
}
