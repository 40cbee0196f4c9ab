#pragma once
// Policy and preference optimisation losses over per-sequence (or per-token) log-probabilities [N].
//
//   ppo_clip(lp, lp_old, A, eps, R)   l = -min(r A, clamp(r, 1 - eps, 1 + eps) A),  r = exp(lp - lp_old)
//       (Schulman et al. 2017). Gradient wrt lp: -r A where the unclipped term is the minimum (r inside the clip
//       range included, as PyTorch's min and clamp give it), 0 where the clipped constant is strictly smaller.
//   ppo_objective(lp, lp_old, A, v, v_old, returns, entropy, mask[, ppo_options<>{}...])
//       PPO's full loss over per-token tensors (any shape, all alike; mask 1 for a kept token, 0 for padding), as
//       CleanRL's ppo.py and TRL's PPO trainer compute it, each term a masked mean m(x) = sum(mask x) / sum(mask):
//         l = m(max(-A r, -A clamp(r, 1 - clip, 1 + clip)))                             clipped surrogate
//           + vf_coef / 2 m(max((v - R)^2, (v_old + clamp(v - v_old, -vclip, vclip) - R)^2))   value loss
//           - ent_coef m(entropy)                                                       entropy bonus
//       r = exp(lp - lp_old). Options: .clip(e) (0.2, in [0, 1]), .value_clip(c) (0.2, >= 0) or .unclipped_value()
//       (value loss m((v - R)^2) / 2 times vf_coef), .vf_coef(k) (0.5), .ent_coef(h) (0.01): CleanRL's defaults
//       (TRL: vf_coef 0.1, ent_coef 0). Gradients wrt lp, v and entropy; padding is skipped (even at -inf), and a
//       tie of the two maxima splits the gradient one half each, as PyTorch's max.
//   dpo(pi_w, pi_l, ref_w, ref_l, beta, R)   l = -log sigmoid(z),  z = beta ((pi_w - ref_w) - (pi_l - ref_l))
//       (Rafailov et al. 2023), inputs summed log-probabilities of the chosen (w) and rejected (l) responses under
//       the policy (pi) and the frozen reference (ref). Gradient wrt pi_w: -beta sigmoid(-z), wrt pi_l: +beta
//       sigmoid(-z). log sigmoid is evaluated stably: z = -100 gives 100, z = 100 about 3.7e-44.
//   Options (dpo_options<>{}): .label_smoothing(e) for conservative DPO, l = -(1 - e) log sigmoid(z) - e log
//       sigmoid(-z) (labels flipped with probability e, e in [0, 1]); .ipo() for the IPO objective (Azar et al. 2023),
//       l = (h - 1 / (2 beta))^2 with h = z / beta the margin of log-ratios. Both as TRL's DPOTrainer computes them.
//   sequence_log_prob(lp, mask)       sum over t with mask[i,t] != 0 of lp[i,t]: a response's log-probability from
//       per-token log-probabilities [N, T] and its padding mask (1 kept, 0 padding), as preference trainers sum them;
//       mean_token_log_prob(lp, mask) divides by the kept tokens' count (TRL's average for IPO). Either is a loss
//       input with one value per row, e.g. dpo(sequence_log_prob(pw, mw), sequence_log_prob(pl, ml), ...).
// Parameters are numbers or scalar symbols: clip_eps in [0, 1], beta positive, label smoothing in [0, 1] (TRL
// documents [0, 0.5]: above 1/2 the labels are more often flipped than not).
#include <type_traits>

#include <lossforge/dsl/parameter_range.hpp>
#include <lossforge/dsl/symbols.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

using ppo_clip_eps = parameter_range<"ppo_clip", "clip_eps", range::unit_interval>;
using ppo_value_clip = parameter_range<"ppo_objective", "value_clip", range::non_negative>;
using ppo_coefficient = parameter_range<"ppo_objective", "vf_coef and ent_coef", range::non_negative>;
using dpo_beta = parameter_range<"dpo", "beta", range::positive>;
using dpo_label_smoothing = parameter_range<"dpo", "label_smoothing", range::unit_interval>;

template <Operand LP, Operand Old, Operand A, Operand E, Reduction R>
constexpr auto ppo_clip(LP const& logp_new, Old const& logp_old, A const& advantages, E const& clip_eps, R reduction) {
  auto const eps = in_range<ppo_clip_eps>(clip_eps);
  auto const ratio = exp(logp_new - logp_old);
  return reduce_elements(-min(ratio * advantages, clamp(ratio, c<1> - eps, c<1> + eps) * advantages), reduction);
}

// The surrogate's clip, the value clip (unset: the value loss is not clipped) and the coefficients: numbers or
// scalar symbols.
template <class Clip = double, class ValueClip = double, class VfCoef = double, class EntCoef = double>
struct ppo_options {
  Clip clip_value = 0.2;
  ValueClip value_clip_value = 0.2;
  VfCoef vf_coef_value = 0.5;
  EntCoef ent_coef_value = 0.01;

  template <Operand E>
  constexpr ppo_options<E, ValueClip, VfCoef, EntCoef> clip(E e) const {
    in_range<ppo_clip_eps>(e);  // a number now; a symbol in the loss
    return {e, value_clip_value, vf_coef_value, ent_coef_value};
  }
  template <Operand E>
  constexpr ppo_options<Clip, E, VfCoef, EntCoef> value_clip(E e) const {
    in_range<ppo_value_clip>(e);
    return {clip_value, e, vf_coef_value, ent_coef_value};
  }
  constexpr ppo_options<Clip, unset, VfCoef, EntCoef> unclipped_value() const {
    return {clip_value, {}, vf_coef_value, ent_coef_value};
  }
  template <Operand E>
  constexpr ppo_options<Clip, ValueClip, E, EntCoef> vf_coef(E e) const {
    in_range<ppo_coefficient>(e);
    return {clip_value, value_clip_value, e, ent_coef_value};
  }
  template <Operand E>
  constexpr ppo_options<Clip, ValueClip, VfCoef, E> ent_coef(E e) const {
    in_range<ppo_coefficient>(e);
    return {clip_value, value_clip_value, vf_coef_value, e};
  }
};

template <TensorSymbol LP, TensorSymbol Old, TensorSymbol A, TensorSymbol V, TensorSymbol VOld, TensorSymbol Ret,
          TensorSymbol H, TensorSymbol M, class Clip = double, class ValueClip = double, class VfCoef = double,
          class EntCoef = double>
constexpr auto ppo_objective(LP const& logp_new, Old const& logp_old, A const& advantages, V const& values,
                             VOld const& values_old, Ret const& returns, H const& entropy, M const& mask,
                             ppo_options<Clip, ValueClip, VfCoef, EntCoef> const& o = {}) {
  // Padding is skipped, not multiplied by 0: a padded log-probability may be -inf.
  auto const masked_mean = [&](auto const& x) {
    return lossforge::sum(where(mask != c<0>, x, c<0>)) / lossforge::sum(mask);
  };
  auto const eps = in_range<ppo_clip_eps>(o.clip_value);
  auto const ratio = exp(logp_new - logp_old);
  auto const surrogate = masked_mean(max(-advantages * ratio, -advantages * clamp(ratio, c<1> - eps, c<1> + eps)));
  auto const value_loss = [&] {
    auto const unclipped = square(values - returns);
    if constexpr (std::is_same_v<ValueClip, unset>) {
      return masked_mean(unclipped);
    } else {
      auto const vclip = in_range<ppo_value_clip>(o.value_clip_value);
      return masked_mean(max(unclipped, square(values_old + clamp(values - values_old, -vclip, vclip) - returns)));
    }
  }();
  return surrogate + c<1, 2> * in_range<ppo_coefficient>(o.vf_coef_value) * value_loss -
         in_range<ppo_coefficient>(o.ent_coef_value) * masked_mean(entropy);
}

// Smoothing: unset (plain DPO) or the label smoothing; Ipo: the IPO objective instead.
template <class Smoothing = unset, bool Ipo = false>
struct dpo_options {
  Smoothing smoothing_value{};

  template <Operand E>
  constexpr dpo_options<E, Ipo> label_smoothing(E e) const {
    static_assert(!Ipo, "lossforge: dpo: label smoothing applies to the sigmoid (DPO) loss, not to IPO");
    in_range<dpo_label_smoothing>(e);  // a number now; a symbol in the loss
    return {e};
  }
  constexpr dpo_options<Smoothing, true> ipo() const {
    static_assert(std::is_same_v<Smoothing, unset>,
                  "lossforge: dpo: label smoothing applies to the sigmoid (DPO) loss, not to IPO");
    return {};
  }
};

template <Operand PW, Operand PL, Operand RW, Operand RL, Operand B, Reduction R, class S, bool Ipo>
constexpr auto dpo(PW const& pi_w, PL const& pi_l, RW const& ref_w, RL const& ref_l, B const& beta,
                   dpo_options<S, Ipo> const& o, R reduction) {
  auto const b = in_range<dpo_beta>(beta);
  auto const margin = (pi_w - ref_w) - (pi_l - ref_l);
  if constexpr (Ipo) {
    return reduce_elements(square(margin - c<1> / (2 * b)), reduction);
  } else if constexpr (std::is_same_v<S, unset>) {
    return reduce_elements(-log_sigmoid(b * margin), reduction);
  } else {
    auto const e = in_range<dpo_label_smoothing>(o.smoothing_value);
    return reduce_elements(-(c<1> - e) * log_sigmoid(b * margin) - e * log_sigmoid(-(b * margin)), reduction);
  }
}
template <Operand PW, Operand PL, Operand RW, Operand RL, Operand B, Reduction R>
constexpr auto dpo(PW const& pi_w, PL const& pi_l, RW const& ref_w, RL const& ref_l, B const& beta, R reduction) {
  return dpo(pi_w, pi_l, ref_w, ref_l, beta, dpo_options<>{}, reduction);
}

namespace detail::preference {
inline constexpr index<"i"> sequence;
inline constexpr index<"t"> token;
}  // namespace detail::preference

template <TensorSymbol LP, TensorSymbol M>
constexpr auto sequence_log_prob(LP const& log_probs, M const& mask) {
  static_assert(LP::rank == 2 && M::rank == 2,
                "lossforge: sequence_log_prob takes per-token log-probabilities and a mask declared as rank-2 "
                "tensors [N, T]");
  using namespace detail::preference;
  // Padding is skipped, not multiplied by 0: a padded position's log-probability may be -inf.
  return lossforge::sum(token, where(mask(sequence, token) != c<0>, log_probs(sequence, token), c<0>));
}
template <TensorSymbol LP, TensorSymbol M>
constexpr auto mean_token_log_prob(LP const& log_probs, M const& mask) {
  static_assert(LP::rank == 2 && M::rank == 2,
                "lossforge: mean_token_log_prob takes per-token log-probabilities and a mask declared as rank-2 "
                "tensors [N, T]");
  using namespace detail::preference;
  return sequence_log_prob(log_probs, mask) / lossforge::sum(token, mask(sequence, token));
}

}  // namespace lossforge::losses
