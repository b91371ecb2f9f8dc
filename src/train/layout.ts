// One key layout for a closed-form encoder: the frozen encoder saved beside a CE head or the ridge read-outs
// carries the names and orientations of the fine-tuned model's state_dict (ClosedFormMlp, ClosedFormTransformer),
// under `encoder.`, so one PyTorch encoder module reads both.
import { scalarTensor, type Tensor } from '../torch/index.ts';
import type { ClosedFormFit } from './api.ts';

/**
 * The fitted encoder as `encoder.<fine-tune state_dict name>`, float64 as fitted:
 *   MLP: initial_mean, initial_scale (1, d); hidden.ℓ.weight = Aₗᵀ (d, d); norm_mean.ℓ, norm_scale.ℓ (1, d).
 *   transformer: blocks.ℓ.attention.{sigma_inv_sqrt (d, d), projection_heads (H, d, k), output_map (H·d, d),
 *   mix_scale () = α}; blocks.ℓ.ffn.weight = A_Fᵀ (d, d).
 * The tensors are views of the state's, plus one new scalar per transformer layer: call inside tidy (or
 * dispose them) once they are saved.
 */
export function encoderTensors(fit: ClosedFormFit): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  if (fit.kind === 'mlp') {
    out['encoder.initial_mean'] = fit.state.initial.mean;
    out['encoder.initial_scale'] = fit.state.initial.scale;
    fit.state.layers.forEach((l, i) => {
      out[`encoder.hidden.${i}.weight`] = l.transform.t();
      out[`encoder.norm_mean.${i}`] = l.norm.mean;
      out[`encoder.norm_scale.${i}`] = l.norm.scale;
    });
  } else {
    fit.state.layers.forEach((l, i) => {
      const block = `encoder.blocks.${i}`;
      out[`${block}.attention.sigma_inv_sqrt`] = l.attention.sigmaInvSqrt;
      out[`${block}.attention.projection_heads`] = l.attention.heads;
      out[`${block}.attention.output_map`] = l.attention.outputMap;
      out[`${block}.attention.mix_scale`] = scalarTensor(l.attention.alpha, { dtype: 'float64' });
      out[`${block}.ffn.weight`] = l.ffn.t();
    });
  }
  return out;
}
