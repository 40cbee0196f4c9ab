#pragma once
// Overlap losses for segmentation: global sums over every element of the prediction p and the mask g.
//
//   dice(p, g)            L = 1 - 2 sum(p g) / (sum(p^2) + sum(g^2))
//   dice(p, g, s)         L = 1 - (2 sum(p g) + s) / (sum(p^2) + sum(g^2) + s)    (smoothing s in both places)
//   combo(p, g, s, w)     L = dice(p, g, s) + w * binary_cross_entropy(p, g, mean)
// Two empty masks (p = g = 0): dice without smoothing is 0/0 = NaN (as the formula says); with s > 0 the loss is 0.
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

}  // namespace lossforge::losses
