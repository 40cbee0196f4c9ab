#pragma once
// Regression losses over tensors of any shape (used without indices): the input x and the target y agree in shape.
//
//   mse        l = (x - y)^2                                           torch.nn.functional.mse_loss
//   l1         l = |x - y|            (gradient sign(x - y), 0 at a tie) torch.nn.functional.l1_loss
//   rmse       L = sqrt(mean((x - y)^2)); dL/dx = (x - y) / (n L)
//   huber      l = d^2 / 2 if |d| < delta, else delta (|d| - delta / 2)  torch.nn.functional.huber_loss
//   smooth_l1  l = d^2 / (2 beta) if |d| < beta, else |d| - beta / 2    torch.nn.functional.smooth_l1_loss
//                 (beta = 0 is the L1 loss, as in PyTorch)
// Thresholds may be numbers or scalar symbols bound at call time: delta must be positive and beta non-negative, a
// number checked here, a bound value before evaluation (lf::in_range).
#include <lossforge/dsl/parameter_range.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

using huber_delta = parameter_range<"huber", "delta", range::positive>;
using smooth_l1_beta = parameter_range<"smooth_l1", "beta", range::non_negative>;

template <Operand X, Operand Y, Reduction R>
constexpr auto mse(X const& x, Y const& y, R reduction) {
  return reduce_elements(square(x - y), reduction);
}

template <Operand X, Operand Y, Reduction R>
constexpr auto l1(X const& x, Y const& y, R reduction) {
  return reduce_elements(abs(x - y), reduction);
}

template <Operand X, Operand Y>
constexpr auto rmse(X const& x, Y const& y) {
  return sqrt(lossforge::mean(square(x - y)));
}

template <Operand X, Operand Y, Operand D, Reduction R>
constexpr auto huber(X const& x, Y const& y, D const& threshold, R reduction) {
  auto const delta = in_range<huber_delta>(threshold);
  auto const d = x - y;
  return reduce_elements(where(abs(d) < delta, c<1, 2> * square(d), delta * (abs(d) - c<1, 2> * delta)), reduction);
}

template <Operand X, Operand Y, Operand B, Reduction R>
constexpr auto smooth_l1(X const& x, Y const& y, B const& threshold, R reduction) {
  auto const beta = in_range<smooth_l1_beta>(threshold);
  auto const d = x - y;
  return reduce_elements(where(abs(d) < beta, c<1, 2> * square(d) / beta, abs(d) - c<1, 2> * beta), reduction);
}

}  // namespace lossforge::losses
