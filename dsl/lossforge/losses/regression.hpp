#pragma once
// Regression losses over tensors of any shape (used without indices): the input x and the target y agree in shape.
//
//   mse        l = (x - y)^2                                           torch.nn.functional.mse_loss
//   l1         l = |x - y|            (gradient sign(x - y), 0 at a tie) torch.nn.functional.l1_loss
//   rmse       L = sqrt(mean((x - y)^2)); dL/dx = (x - y) / (n L)
//   huber      l = d^2 / 2 if |d| < delta, else delta (|d| - delta / 2)  torch.nn.functional.huber_loss
//   smooth_l1  l = d^2 / (2 beta) if |d| < beta, else |d| - beta / 2    torch.nn.functional.smooth_l1_loss
//                 (beta = 0 is the L1 loss, as in PyTorch)
// Thresholds may be numbers (checked here: delta must be positive, beta non-negative) or scalar symbols bound at
// call time (the caller checks them).
#include <stdexcept>

#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

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
constexpr auto huber(X const& x, Y const& y, D const& delta, R reduction) {
  if constexpr (std::is_arithmetic_v<D>)
    if (!(delta > 0)) throw std::invalid_argument("lossforge::losses::huber: delta must be positive");
  auto const d = x - y;
  return reduce_elements(where(abs(d) < delta, c<1, 2> * square(d), delta * (abs(d) - c<1, 2> * delta)), reduction);
}

template <Operand X, Operand Y, Operand B, Reduction R>
constexpr auto smooth_l1(X const& x, Y const& y, B const& beta, R reduction) {
  if constexpr (std::is_arithmetic_v<B>)
    if (!(beta >= 0)) throw std::invalid_argument("lossforge::losses::smooth_l1: beta must be non-negative");
  auto const d = x - y;
  return reduce_elements(where(abs(d) < beta, c<1, 2> * square(d) / beta, abs(d) - c<1, 2> * beta), reduction);
}

}  // namespace lossforge::losses
