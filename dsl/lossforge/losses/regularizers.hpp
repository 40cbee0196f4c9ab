#pragma once
// Weight regularizers over a parameter tensor of any shape (no 1/2 factor on the L2 term: lambda * sum(w^2)).
//
//   l1_reg(w, lambda)                 lambda sum |w|         gradient lambda sign(w), sign(0) = 0
//   l2_reg(w, lambda)                 lambda sum w^2         gradient 2 lambda w
//   elastic_net_reg(w, l1, l2)        l1 sum |w| + l2 sum w^2
#include <lossforge/dsl/reductions.hpp>

namespace lossforge::losses {

template <Operand W, Operand L>
constexpr auto l1_reg(W const& w, L const& lambda) {
  return lambda * lossforge::sum(abs(w));
}
template <Operand W, Operand L>
constexpr auto l2_reg(W const& w, L const& lambda) {
  return lambda * lossforge::sum(square(w));
}
template <Operand W, Operand L1, Operand L2>
constexpr auto elastic_net_reg(W const& w, L1 const& lambda1, L2 const& lambda2) {
  return l1_reg(w, lambda1) + l2_reg(w, lambda2);
}

}  // namespace lossforge::losses
