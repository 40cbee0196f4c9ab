#pragma once
// Binary cross entropy, on probabilities and on logits (tensors of any shape, used without indices).
//
//   binary_cross_entropy(p, y)       l = -w [y max(log p, -100) + (1 - y) max(log(1 - p), -100)]
//       PyTorch's gradient w (p - y) / max(p (1 - p), 1e-12) (see lf::bce); p outside [0, 1] gives NaN.
//   binary_cross_entropy_with_logits(x, y)
//                                     l = w [(1 - y) x + (1 + (pw - 1) y) softplus(-x)]
//       PyTorch's form of w [(1 - y) softplus(x) + pw y softplus(-x)]: stable for any finite logit, one
//       softplus per element; gradient w [(1 - y) - (1 + (pw - 1) y) sigmoid(-x)], one sigmoid. At x = +-inf the
//       limit (0 for x = +inf, y = 1 and for x = -inf, y = 0; else +inf), where PyTorch's formula gives NaN
//       (lf::bce_with_logits).
//   sigmoid_focal_loss(x, y)          l = alpha_t (1 - p_t)^gamma bce_with_logits(x, y),
//       p = sigmoid(x), p_t = p y + (1 - p)(1 - y), alpha_t = alpha y + (1 - alpha)(1 - y): torchvision's
//       sigmoid_focal_loss (Lin et al. 2017), defaults alpha 0.25, gamma 2.
// Options: .weight(w) multiplies each element (a bare tensor of the input's shape, or one that broadcasts to it as
// in PyTorch: [C] or [1, C] per class, [N, 1] per row, for an input [N, C]); .pos_weight(pw) weights the
// positive term, pw broadcast against the input alike (usually [C], per class, for an input [..., C]; no gradient
// with respect to a stretched weight: bind it at the input's shape to differentiate it).
// Focal: .alpha(a) a number in [0, 1] or a scalar symbol (lf::in_range), .without_alpha() (torchvision's alpha < 0),
// .gamma<N>() an integer exponent.
#include <type_traits>

#include <lossforge/dsl/parameter_range.hpp>
#include <lossforge/dsl/symbols.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

using focal_alpha = parameter_range<"sigmoid_focal_loss", "alpha", range::unit_interval>;

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
  // pos_weight scales the positive term: weight 1 + (pw - 1) y on the softplus.
  auto const term = [&] {
    if constexpr (std::is_same_v<PW, unset>)
      return bce_with_logits(x, y);
    else
      return bce_with_logits(x, y, c<1> + (PW{} - c<1>) * y);
  }();
  if constexpr (std::is_same_v<W, unset>)
    return reduce_elements(term, reduction);
  else
    return reduce_elements(W{} * term, reduction);
}
template <TensorSymbol X, TensorSymbol Y, Reduction R>
constexpr auto binary_cross_entropy_with_logits(X const& x, Y const& y, R reduction) {
  return binary_cross_entropy_with_logits(x, y, bce_options<>{}, reduction);
}

// Alpha: a number, a scalar symbol, or unset (no class balance); Gamma the integer focusing exponent.
template <class Alpha = double, int Gamma = 2>
struct focal_options {
  Alpha alpha_value = [] {
    if constexpr (std::is_arithmetic_v<Alpha>)
      return Alpha(0.25);  // torchvision's default
    else
      return Alpha{};
  }();

  template <Operand A>
  constexpr focal_options<A, Gamma> alpha(A a) const {
    in_range<focal_alpha>(a);  // a number now; a symbol in the loss (sigmoid_focal_loss)
    return {a};
  }
  constexpr focal_options<unset, Gamma> without_alpha() const { return {}; }
  template <int G>
  constexpr focal_options<Alpha, G> gamma() const {
    static_assert(G >= 0, "lossforge: sigmoid_focal_loss: gamma must be a non-negative integer");
    return {alpha_value};
  }
};

template <TensorSymbol X, TensorSymbol Y, Reduction R, class Alpha, int Gamma>
constexpr auto sigmoid_focal_loss(X const& x, Y const& y, focal_options<Alpha, Gamma> const& o, R reduction) {
  auto const p = sigmoid(x);
  auto const p_t = p * y + (c<1> - p) * (c<1> - y);
  auto const focal = pow<Gamma>(c<1> - p_t) * ((c<1> - y) * x + softplus(-x));
  if constexpr (std::is_same_v<Alpha, unset>) {
    return reduce_elements(focal, reduction);
  } else {
    auto const alpha = in_range<focal_alpha>(o.alpha_value);
    return reduce_elements((alpha * y + (c<1> - alpha) * (c<1> - y)) * focal, reduction);
  }
}
template <TensorSymbol X, TensorSymbol Y, Reduction R>
constexpr auto sigmoid_focal_loss(X const& x, Y const& y, R reduction) {
  return sigmoid_focal_loss(x, y, focal_options<>{}, reduction);
}

}  // namespace lossforge::losses
