#pragma once
// Overlap losses for segmentation: global sums over every element of the prediction p and the mask g.
//
//   dice(p, g)            L = 1 - 2 sum(p g) / (sum(p^2) + sum(g^2))
//   dice(p, g, s)         L = 1 - (2 sum(p g) + s) / (sum(p^2) + sum(g^2) + s)    (smoothing s in both places)
//   combo(p, g, s, w)     L = dice(p, g, s) + w * binary_cross_entropy(p, g, mean)
//   tversky(p, g, a, b, s)  L = 1 - (TP + s) / (TP + a FP + b FN + s),  TP = sum(p g), FP = sum(p (1 - g)),
//                         FN = sum((1 - p) g): a weights false positives, b false negatives (Salehi et al. 2017
//                         use a = 0.3, b = 0.7); a = b = 1/2 is the Dice of sum(p) + sum(g), a = b = 1 soft IoU
//   soft_iou(p, g, s)     L = 1 - (I + s) / (U + s),  I = sum(p g), U = sum(p) + sum(g) - I   (soft Jaccard)
//   dice_per_class(x, t, s)  logits x [N, C, spatial...] and class indices t [N, spatial...] (declared ranks r + 1
//                         and r, r from 1 to 4): P = softmax of x over C, G = onehot(t); for each class c, with sums
//                         over every sample and position, dice_c = (2 sum(P_c G_c) + s) / (sum(P_c^2) + sum(G_c^2) + s)
//                         and L = 1 - mean_c dice_c (squared denominators, as V-Net's Dice). sum(P_c G_c) is the sum of
//                         the target class's probability over the positions of class c: that probability is read at
//                         every position, so a target outside [0, C) is an error naming x's class dimension. A class
//                         absent from t has dice_c = s / (sum(P_c^2) + s), 0 without smoothing.
// Two empty masks (p = g = 0): without smoothing each is 0/0 = NaN (as the formula says); with s > 0 the loss is 0.
// Tversky's weights are numbers or scalar symbols, non-negative.
#include <lossforge/losses/binary.hpp>

namespace lossforge::losses {

template <Operand P, Operand G>
constexpr auto dice(P const& p, G const& g) {
  return c<1> - c<2> * lossforge::sum(p * g) / (lossforge::sum(p * p) + lossforge::sum(g * g));
}
template <Operand P, Operand G, Operand S>
constexpr auto dice(P const& p, G const& g, S const& smooth) {
  return c<1> - (c<2> * lossforge::sum(p * g) + smooth) / (lossforge::sum(p * p) + lossforge::sum(g * g) + smooth);
}

namespace detail {
// The spatial axes of a [N, C, spatial...] input, the last ones named: [N, C, H, W] reads x[n,c,h,w].
template <int Count>
constexpr auto spatial_axes() {
  static_assert(Count >= 0 && Count <= 3, "lossforge: at most three spatial dimensions");
  if constexpr (Count == 0)
    return lossforge::detail::type_list<>{};
  else if constexpr (Count == 1)
    return lossforge::detail::type_list<index<"w">>{};
  else if constexpr (Count == 2)
    return lossforge::detail::type_list<index<"h">, index<"w">>{};
  else
    return lossforge::detail::type_list<index<"d">, index<"h">, index<"w">>{};
}
}  // namespace detail

template <TensorSymbol X, TensorSymbol T, Operand S>
constexpr auto dice_per_class(X const& x, T const& t, S const& smooth) {
  static_assert(lossforge::detail::is_int_tensor<T>::value && T::rank >= 1 && T::rank <= 4 && X::rank == T::rank + 1,
                "lossforge: dice_per_class takes logits [N, C, spatial...] and class indices [N, spatial...], declared "
                "as a tensor of rank r + 1 and an int_tensor of rank r (r from 1 to 4)");
  return [&]<class... Axis>(lossforge::detail::type_list<Axis...>) {
    constexpr index<"n"> n;
    constexpr index<"c"> klass;
    constexpr index<"k"> other;
    auto const log_normalizer = logsumexp(other, x(n, other, Axis{}...));
    auto const target = t(n, Axis{}...);
    auto const p = exp(x(n, klass, Axis{}...) - log_normalizer);
    auto const p_target = exp(x(n, target, Axis{}...) - log_normalizer);
    auto const g = where(target == klass, c<1>, c<0>);
    auto const over_positions = [](auto const& e) {
      return lossforge::detail::reduce_over<reductions::sum>(as_expression(e),
                                                             lossforge::detail::type_list<index<"n">, Axis...>{});
    };
    // P_c G_c is the target's probability where the target is c; G_c^2 is G_c.
    auto const dice = (c<2> * over_positions(p_target * g) + smooth) /
                      (over_positions(p * p) + over_positions(g) + smooth);
    return c<1> - lossforge::mean(klass, dice);
  }(detail::spatial_axes<T::rank - 1>());
}

template <Operand P, Operand G, Operand S, Operand W>
constexpr auto combo(P const& p, G const& g, S const& smooth, W const& bce_weight) {
  return dice(p, g, smooth) + bce_weight * binary_cross_entropy(p, g, mean);
}

using tversky_alpha = parameter_range<"tversky", "alpha", range::non_negative>;
using tversky_beta = parameter_range<"tversky", "beta", range::non_negative>;

template <Operand P, Operand G, Operand A, Operand B, Operand S>
constexpr auto tversky(P const& p, G const& g, A const& alpha, B const& beta, S const& smooth) {
  auto const tp = lossforge::sum(p * g);
  auto const fp = lossforge::sum(p * (c<1> - g));
  auto const fn = lossforge::sum((c<1> - p) * g);
  return c<1> - (tp + smooth) /
                    (tp + in_range<tversky_alpha>(alpha) * fp + in_range<tversky_beta>(beta) * fn + smooth);
}

template <Operand P, Operand G, Operand S>
constexpr auto soft_iou(P const& p, G const& g, S const& smooth) {
  auto const intersection = lossforge::sum(p * g);
  return c<1> - (intersection + smooth) / (lossforge::sum(p) + lossforge::sum(g) - intersection + smooth);
}

}  // namespace lossforge::losses
