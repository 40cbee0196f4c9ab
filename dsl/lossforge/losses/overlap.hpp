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
