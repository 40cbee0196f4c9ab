#pragma once
// Policy and preference optimisation losses over per-sequence (or per-token) log-probabilities [N].
//
//   ppo_clip(lp, lp_old, A, eps, R)   l = -min(r A, clamp(r, 1 - eps, 1 + eps) A),  r = exp(lp - lp_old)
//       (Schulman et al. 2017). Gradient wrt lp: -r A where the unclipped term is the minimum (r inside the clip
//       range included, as PyTorch's min and clamp give it), 0 where the clipped constant is strictly smaller.
//   dpo(pi_w, pi_l, ref_w, ref_l, beta, R)   l = -log sigmoid(z),  z = beta ((pi_w - ref_w) - (pi_l - ref_l))
//       (Rafailov et al. 2023), inputs summed log-probabilities of the chosen (w) and rejected (l) responses under
//       the policy (pi) and the frozen reference (ref). Gradient wrt pi_w: -beta sigmoid(-z), wrt pi_l: +beta
//       sigmoid(-z). log sigmoid is evaluated stably: z = -100 gives 100, z = 100 about 3.7e-44.
// Parameters are numbers or scalar symbols: clip_eps in [0, 1], beta positive.
#include <lossforge/dsl/parameter_range.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

using ppo_clip_eps = parameter_range<"ppo_clip", "clip_eps", range::unit_interval>;
using dpo_beta = parameter_range<"dpo", "beta", range::positive>;

template <Operand LP, Operand Old, Operand A, Operand E, Reduction R>
constexpr auto ppo_clip(LP const& logp_new, Old const& logp_old, A const& advantages, E const& clip_eps, R reduction) {
  auto const eps = in_range<ppo_clip_eps>(clip_eps);
  auto const ratio = exp(logp_new - logp_old);
  return reduce_elements(-min(ratio * advantages, clamp(ratio, c<1> - eps, c<1> + eps) * advantages), reduction);
}

template <Operand PW, Operand PL, Operand RW, Operand RL, Operand B, Reduction R>
constexpr auto dpo(PW const& pi_w, PL const& pi_l, RW const& ref_w, RL const& ref_l, B const& beta, R reduction) {
  auto const z = in_range<dpo_beta>(beta) * ((pi_w - ref_w) - (pi_l - ref_l));
  return reduce_elements(-log_sigmoid(z), reduction);
}

}  // namespace lossforge::losses
