#pragma once
// Divergences between distributions over the classes of each row of [N, C] tensors (declared tensor<"...", 2>).
//
//   kl_div(x, t)         torch.nn.functional.kl_div: KL(t || exp(x)), the input x log-probabilities log q, the
//                        target t probabilities p; per element
//                          l = t (log t - x),  0 where t = 0                       dl/dx = -t
//                        .log_target(): the target holds log p,
//                          l = e^t (t - x),    0 where e^t = 0                     dl/dx = -e^t
//                        A zero target contributes 0 whatever x is, also x = -inf (PyTorch: 0 * inf = NaN); a positive
//                        target where q = 0 (x = -inf) gives +inf.
//   reverse_kl(z, p)     KL(q || p) of q = softmax(z) over the logits z; per row
//                          L = sum_c q (log q - log p)                           dL/dz = q (log q - log p - L)
//                        +inf where p = 0 under q > 0, as the divergence is.
//   js_divergence(z, p)  Jensen-Shannon divergence of p and q = softmax(z), m = (p + q) / 2; per row
//                          L = 1/2 sum_c p log(p / m) + 1/2 sum_c q log(q / m)
//                          dL/dz = 1/2 q (log(q / m) - sum_c q log(q / m))
//                        with 0 log 0 = 0 for p and q: symmetric, 0 <= L <= ln 2 (disjoint supports).
//
// log q is log_softmax(z), never the log of a rounded softmax, so q may underflow without making a term infinite.
// Reductions: none (per element for kl_div, per row for the others), sum, batchmean (sum / N: the divergence per
// sample), and mean over every element (kl_div: PyTorch's "mean", which divides by N C and so is not the mean
// divergence; per row it equals batchmean).
#include <lossforge/losses/classification.hpp>

namespace lossforge::losses {

template <bool LogTarget = false>
struct kl_div_options {
  constexpr kl_div_options<true> log_target() const { return {}; }
};

template <TensorSymbol X, TensorSymbol T, BatchReduction R, bool LogTarget>
constexpr auto kl_div(X const& x, T const& t, kl_div_options<LogTarget>, R reduction) {
  static_assert(X::rank == 2 && T::rank == 2,
                "lossforge: kl_div takes log-probabilities and a target declared as rank-2 tensors [N, C]");
  using detail::klass, detail::sample;
  auto const log_q = x(sample, klass);
  auto const target = t(sample, klass);
  if constexpr (LogTarget) {
    auto const p = exp(target);
    return reduce_elements(where(p == c<0>, c<0>, p * (target - log_q)), reduction);
  } else {
    return reduce_elements(where(target == c<0>, c<0>, target * (log(target) - log_q)), reduction);
  }
}
template <TensorSymbol X, TensorSymbol T, BatchReduction R>
constexpr auto kl_div(X const& x, T const& t, R reduction) {
  return kl_div(x, t, kl_div_options<>{}, reduction);
}

template <TensorSymbol Z, TensorSymbol P, BatchReduction R>
constexpr auto reverse_kl(Z const& z, P const& p, R reduction) {
  static_assert(Z::rank == 2 && P::rank == 2,
                "lossforge: reverse_kl takes logits and target probabilities declared as rank-2 tensors [N, C]");
  using detail::klass, detail::sample;
  auto const log_q = log_softmax(klass, z(sample, klass));
  return reduce_elements(lossforge::sum(klass, exp(log_q) * (log_q - log(p(sample, klass)))), reduction);
}

template <TensorSymbol Z, TensorSymbol P, BatchReduction R>
constexpr auto js_divergence(Z const& z, P const& p, R reduction) {
  static_assert(Z::rank == 2 && P::rank == 2,
                "lossforge: js_divergence takes logits and target probabilities declared as rank-2 tensors [N, C]");
  using detail::klass, detail::sample;
  auto const log_q = log_softmax(klass, z(sample, klass));
  auto const q = exp(log_q);
  auto const target = p(sample, klass);
  auto const log_m = log(c<1, 2> * (target + q));
  // Each term is 0 where its probability is: for p by definition, for q where it underflows (where p is 0 too,
  // log m is -inf).
  auto const p_term = where(target == c<0>, c<0>, target * (log(target) - log_m));
  auto const q_term = where(q == c<0>, c<0>, q * (log_q - log_m));
  return reduce_elements(c<1, 2> * lossforge::sum(klass, p_term + q_term), reduction);
}

}  // namespace lossforge::losses
