// The reference's fit shapes (N train sequences × T tokens × d), by the short names the bench scripts take.
import { SCENARIO_SHAPES } from '../src/reference.ts';

function tokenShape(scenario: 'cifar100_transformer' | 'qnli_transformer' | 'wikitext2_next_token_transformer') {
  const { nTrain, tokens, dim } = SCENARIO_SHAPES[scenario];
  return { n: nTrain, t: tokens, d: dim };
}

export const FIT_SHAPES = {
  cifar: tokenShape('cifar100_transformer'),
  qnli: tokenShape('qnli_transformer'),
  wikitext: tokenShape('wikitext2_next_token_transformer'),
};
