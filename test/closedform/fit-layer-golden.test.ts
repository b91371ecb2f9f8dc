import { test } from 'node:test';
import { fitLayer } from '../../src/closedform/index.ts';
import { assertGolden, f64, loadGolden } from './golden.ts';

const golden = loadGolden('fit_layer');

test('fitLayer matches the reference fit_layer fixture to 1e-8 (float64)', () => {
  const { inputs, outputs } = golden;
  const fit = fitLayer(f64(inputs.H1), f64(inputs.H2), inputs.lambda_reg);
  assertGolden(fit.transform, outputs.transform, 'transform');
  assertGolden(fit.gains, outputs.gains, 'gains');
  assertGolden(fit.mEigenvalues, outputs.m_eigenvalues_derived, 'm eigenvalues');
  assertGolden(fit.gMatrix, outputs.g_matrix, 'G');
  assertGolden(fit.mMatrix, outputs.m_matrix, 'M');
  assertGolden(fit.sigmaSqrt, outputs.sigma_sqrt, 'Σ̄^½');
  assertGolden(fit.sigmaInvSqrt, outputs.sigma_inv_sqrt, 'Σ̄^-½');
  assertGolden(fit.stats.sigmaBar, outputs.stats.sigma_bar, 'Σ̄');
  assertGolden(fit.stats.shared, outputs.stats.shared, 'C');
  assertGolden(fit.stats.delta, outputs.stats.delta, 'Δ');
});

test('fitLayer gives the same transform when the statistics are streamed in small batches', () => {
  const { inputs, outputs } = golden;
  const fit = fitLayer(f64(inputs.H1), f64(inputs.H2), inputs.lambda_reg, { batchRows: 37 });
  assertGolden(fit.transform, outputs.transform, 'transform (batches of 37 rows)');
});
