#pragma once
// Binary cross entropy, on probabilities and on logits (tensors of any shape, used without indices).
//
//   binary_cross_entropy(p, y)       l = -w [y max(log p, -100) + (1 - y) max(log(1 - p), -100)]
//       PyTorch's gradient w (p - y) / max(p (1 - p), 1e-12) (see lf::bce); p outside [0, 1] gives NaN.
//   binary_cross_entropy_with_logits(x, y)
//                                     l = w [(1 - y) softplus(x) + pw y softplus(-x)]
//       stable for any finite logit; gradient w [(1 - y) sigmoid(x) - pw y sigmoid(-x)].
// Options: .weight(w) multiplies each element (a tensor of the input's shape); .pos_weight(pw) weights the
// positive term per class, pw indexed by the last dimension of a rank-2 input [N, C].
#include <lossforge/dsl/symbols.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

template <class Weight = unset, class PosWeight = unset>
struct bce_options {
  template <TensorSymbol W>
  constexpr bce_options<W, PosWeight> weight(W) const {
    return {};
  }
  template <TensorSymbol P>
  constexpr bce_options<Weight, P> pos_weight(P) const {
    return {};
  }
};

template <Operand P, Operand Y, Reduction R, class W = unset>
constexpr auto binary_cross_entropy(P const& p, Y const& y, bce_options<W, unset>, R reduction) {
  if constexpr (std::is_same_v<W, unset>)
    return reduce_elements(bce(p, y), reduction);
  else
    return reduce_elements(W{} * bce(p, y), reduction);
}
template <Operand P, Operand Y, Reduction R>
constexpr auto binary_cross_entropy(P const& p, Y const& y, R reduction) {
  return binary_cross_entropy(p, y, bce_options<>{}, reduction);
}

template <TensorSymbol X, TensorSymbol Y, Reduction R, class W = unset, class PW = unset>
constexpr auto binary_cross_entropy_with_logits(X const& x, Y const& y, bce_options<W, PW>, R reduction) {
  auto const weighted = [](auto const& e, auto const& w) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(w)>, unset>)
      return e;
    else
      return w * e;
  };
  if constexpr (std::is_same_v<PW, unset>) {
    return reduce_elements(weighted((c<1> - y) * softplus(x) + y * softplus(-x), W{}), reduction);
  } else {
    static_assert(X::rank == 2 && Y::rank == 2,
                  "lossforge: pos_weight broadcasts along the class dimension: declare the input and target as "
                  "rank-2 tensors [N, C]");
    constexpr index<"i"> i;
    constexpr index<"n"> n;  // the class
    auto const term = (c<1> - y(i, n)) * softplus(x(i, n)) + PW{}(n)*y(i, n) * softplus(-x(i, n));
    if constexpr (std::is_same_v<W, unset>)
      return reduce_elements(term, reduction);
    else
      return reduce_elements(W{}(i, n) * term, reduction);
  }
}
template <TensorSymbol X, TensorSymbol Y, Reduction R>
constexpr auto binary_cross_entropy_with_logits(X const& x, Y const& y, R reduction) {
  return binary_cross_entropy_with_logits(x, y, bce_options<>{}, reduction);
}

}  // namespace lossforge::losses
