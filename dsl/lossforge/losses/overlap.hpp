#pragma once
// Overlap losses for segmentation: global sums over every element of the prediction p and the mask g, and per-class
// sums over softmax probabilities and class indices.
//
//   dice(p, g)            L = 1 - 2 sum(p g) / (sum(p^2) + sum(g^2))
//   dice(p, g, s)         L = 1 - (2 sum(p g) + s) / (sum(p^2) + sum(g^2) + s)    (smoothing s in both places)
//   combo(p, g, s, w)     L = dice(p, g, s) + w * binary_cross_entropy(p, g, mean)
//   tversky(p, g, a, b, s)  L = 1 - (TP + s) / (TP + a FP + b FN + s),  TP = sum(p g), FP = sum(p (1 - g)),
//                         FN = sum((1 - p) g): a weights false positives, b false negatives (Salehi et al. 2017
//                         use a = 0.3, b = 0.7); a = b = 1/2 is the Dice of sum(p) + sum(g), a = b = 1 soft IoU
//   soft_iou(p, g, s)     L = 1 - (I + s) / (U + s),  I = sum(p g), U = sum(p) + sum(g) - I   (soft Jaccard)
// Two empty masks (p = g = 0): without smoothing each is 0/0 = NaN (as the formula says); with s > 0 the loss is 0.
// Tversky's weights (here and below) are numbers or scalar symbols, non-negative.
// Per-class losses over logits x [N, C, spatial...] and class indices t [N, spatial...] (declared ranks r + 1 and r,
// r from 1 to 4): P = softmax of x over C, G = onehot(t), and for each class c sums over every sample and position
// (MONAI's batch=True): I_c = sum(P_c G_c), S_c = sum(P_c), Q_c = sum(P_c^2), n_c = sum(G_c) (the class's count).
// I_c is the sum of the target class's probability over the positions of class c: that probability is read at
// every position, so a target outside [0, C) is an error naming x's class dimension.
//   dice_per_class(x, t, s)  L = 1 - mean_c (2 I_c + s) / (Q_c + n_c + s)   (squared denominators, as V-Net's
//                         Dice); a class absent from t has s / (Q_c + s), 0 without smoothing
//   generalized_dice(x, t, sn, sd)  L = 1 - (2 sum_c w_c I_c + sn) / (sum_c w_c (S_c + n_c) + sd),
//                         w_c = 1 / n_c^2 (Sudre et al. 2017), and a class absent from t weighs as much as the
//                         heaviest present class (MONAI's GeneralizedDiceLoss, w_type "square", batch=True; MONAI's
//                         defaults sn = sd = 1e-5)
//   tversky_per_class(x, t, a, b, s)  L = 1 - mean_c TI_c,  TI_c = (TP_c + s) / (TP_c + a FP_c + b FN_c + s),
//                         TP_c = I_c, FP_c = sum(P_c (1 - G_c)), FN_c = sum((1 - P_c) G_c)  (MONAI's TverskyLoss
//                         with softmax and one-hot targets, batch=True); a class absent from t has
//                         TI_c = s / (a S_c + s), 0 without smoothing
//   focal_tversky(x, t, a, b, gamma, s)  L = mean_c (1 - TI_c)^gamma  (Abraham and Khan 2019 write the exponent
//                         1/gamma with gamma = 4/3: pass 0.75; segmentation_models_pytorch's TverskyLoss with its
//                         gamma, without its mask of absent classes); gamma positive
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

namespace detail {
// f(p, p_target, g, over_positions) for the per-class losses, with the class as index Class: p = P_c and
// p_target = the target class's probability at each sample and position, g = G_c, and over_positions(e) the sum of
// e over every sample and position. P_c G_c is p_target * g, which reads the target's logit at every position.
template <class Class, TensorSymbol X, TensorSymbol T, class F>
constexpr auto over_classes(X const& x, T const& t, F const& f) {
  static_assert(lossforge::detail::is_int_tensor<T>::value && T::rank >= 1 && T::rank <= 4 && X::rank == T::rank + 1,
                "lossforge: the per-class losses (dice_per_class, generalized_dice, tversky_per_class, "
                "focal_tversky) take logits [N, C, spatial...] and class indices [N, spatial...], declared as a "
                "tensor of rank r + 1 and an int_tensor of rank r (r from 1 to 4)");
  return [&]<class... Axis>(lossforge::detail::type_list<Axis...>) {
    constexpr index<"n"> n;
    constexpr index<"k"> other;
    auto const log_normalizer = logsumexp(other, x(n, other, Axis{}...));
    auto const target = t(n, Axis{}...);
    auto const over_positions = [](auto const& e) {
      return lossforge::detail::reduce_over<reductions::sum>(as_expression(e),
                                                             lossforge::detail::type_list<index<"n">, Axis...>{});
    };
    return f(exp(x(n, Class{}, Axis{}...) - log_normalizer), exp(x(n, target, Axis{}...) - log_normalizer),
             where(target == Class{}, c<1>, c<0>), over_positions);
  }(spatial_axes<T::rank - 1>());
}

// 1, carrying the extent of class index J: x's dimension 1.
template <class J, TensorSymbol X>
constexpr auto along_classes(X const& x) {
  return [&]<std::size_t... D>(std::index_sequence<D...>) {
    return witness<decltype(x(c<0>, J{}, (void(D), c<0>)...))>{};
  }(std::make_index_sequence<std::size_t(X::rank) - 2>{});
}
}  // namespace detail

template <TensorSymbol X, TensorSymbol T, Operand S>
constexpr auto dice_per_class(X const& x, T const& t, S const& smooth) {
  constexpr index<"c"> klass;
  // G_c^2 is G_c.
  return detail::over_classes<index<"c">>(x, t, [&](auto const& p, auto const& p_target, auto const& g, auto over) {
    return c<1> - lossforge::mean(klass, (c<2> * over(p_target * g) + smooth) / (over(p * p) + over(g) + smooth));
  });
}

template <TensorSymbol X, TensorSymbol T, Operand SN, Operand SD>
constexpr auto generalized_dice(X const& x, T const& t, SN const& smooth_numerator, SD const& smooth_denominator) {
  constexpr index<"c"> klass;
  constexpr index<"j"> any_class;
  auto const weight = [](auto const& count, auto const& otherwise) {
    return where(count > c<0>, c<1> / (count * count), otherwise);
  };
  // The weight of an absent class (infinite in 1 / n_c^2): the largest weight of a present class. Its body reads
  // only the targets, none along the classes: the witness (1) gives the class index x's dimension 1 as extent.
  auto const heaviest = detail::over_classes<index<"j">>(x, t, [&](auto const&, auto const&, auto const& g, auto over) {
    return reduce_max(any_class, detail::along_classes<index<"j">>(x) * weight(over(g), c<0>));
  });
  return detail::over_classes<index<"c">>(x, t, [&](auto const& p, auto const& p_target, auto const& g, auto over) {
    auto const w = weight(over(g), heaviest);
    return c<1> - (c<2> * lossforge::sum(klass, w * over(p_target * g)) + smooth_numerator) /
                      (lossforge::sum(klass, w * (over(p) + over(g))) + smooth_denominator);
  });
}

using tversky_alpha = parameter_range<"tversky", "alpha", range::non_negative>;
using tversky_beta = parameter_range<"tversky", "beta", range::non_negative>;
using focal_tversky_gamma = parameter_range<"focal_tversky", "gamma", range::positive>;

namespace detail {
// Each class's Tversky index TI_c, with the class as index Class.
template <class Class, TensorSymbol X, TensorSymbol T, Operand A, Operand B, Operand S>
constexpr auto tversky_index(X const& x, T const& t, A const& alpha, B const& beta, S const& smooth) {
  return over_classes<Class>(x, t, [&](auto const& p, auto const& p_target, auto const& g, auto over) {
    auto const tp = over(p_target * g);
    return (tp + smooth) / (tp + in_range<tversky_alpha>(alpha) * over(p * (c<1> - g)) +
                            in_range<tversky_beta>(beta) * over((c<1> - p_target) * g) + smooth);
  });
}
}  // namespace detail

template <TensorSymbol X, TensorSymbol T, Operand A, Operand B, Operand S>
constexpr auto tversky_per_class(X const& x, T const& t, A const& alpha, B const& beta, S const& smooth) {
  return c<1> - lossforge::mean(index<"c">{}, detail::tversky_index<index<"c">>(x, t, alpha, beta, smooth));
}

template <TensorSymbol X, TensorSymbol T, Operand A, Operand B, Operand G, Operand S>
constexpr auto focal_tversky(X const& x, T const& t, A const& alpha, B const& beta, G const& gamma,
                             S const& smooth) {
  return lossforge::mean(index<"c">{}, pow(c<1> - detail::tversky_index<index<"c">>(x, t, alpha, beta, smooth),
                                           in_range<focal_tversky_gamma>(gamma)));
}

template <Operand P, Operand G, Operand S, Operand W>
constexpr auto combo(P const& p, G const& g, S const& smooth, W const& bce_weight) {
  return dice(p, g, smooth) + bce_weight * binary_cross_entropy(p, g, mean);
}

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
