#pragma once
// Negative log-likelihoods of a Poisson and a Gaussian model (tensors of any shape, used without indices), as
// torch.nn.functional.poisson_nll_loss and gaussian_nll_loss; the target never differentiated.
//
//   poisson_nll_loss(x, y)        l = exp(x) - y x                     (log_input, the default: x = log rate)
//                                 l = x - y log(x + eps)               (.rate_input(): x = rate; eps 1e-8)
//       .full() adds Stirling's approximation of log(y!), y log y - y + log(2 pi y) / 2, where y > 1 (0 elsewhere).
//   gaussian_nll_loss(x, y, var)  l = (log v + (x - y)^2 / v) / 2,  v = max(var, eps)   (eps 1e-6)
//       .full() adds log(2 pi) / 2. var has the input's shape or broadcasts to it ([N, 1] for [N, C]; PyTorch's var
//       [N] with one dimension fewer is bound as [N, 1] here); a negative var gives NaN (PyTorch raises). PyTorch
//       clamps var without recording it, so its gradient with respect to var is taken at v even where var < eps; here
//       the clamp is part of the expression and that gradient is 0 where var < eps (equal wherever var >= eps).
// eps is a number or a scalar symbol, non-negative (Poisson) or positive (Gaussian), checked (lf::in_range).
#include <limits>
#include <numbers>

#include <lossforge/dsl/parameter_range.hpp>
#include <lossforge/dsl/symbols.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

using poisson_eps = parameter_range<"poisson_nll_loss", "eps", range::non_negative>;
using gaussian_eps = parameter_range<"gaussian_nll_loss", "eps", range::positive>;

// LogInput: x is the log of the rate (PyTorch's log_input); Full: with the likelihood's constant terms.
template <class Eps = double, bool LogInput = true, bool Full = false>
struct poisson_nll_options {
  Eps eps_value = 1e-8;

  template <Operand E>
  constexpr poisson_nll_options<E, LogInput, Full> eps(E e) const {
    in_range<poisson_eps>(e);  // a number now; a symbol in the loss
    return {e};
  }
  constexpr poisson_nll_options<Eps, false, Full> rate_input() const { return {eps_value}; }
  constexpr poisson_nll_options<Eps, LogInput, true> full() const { return {eps_value}; }
};
template <class Eps = double, bool Full = false>
struct gaussian_nll_options {
  Eps eps_value = 1e-6;

  template <Operand E>
  constexpr gaussian_nll_options<E, Full> eps(E e) const {
    in_range<gaussian_eps>(e);
    return {e};
  }
  constexpr gaussian_nll_options<Eps, true> full() const { return {eps_value}; }
};

template <Operand X, Operand Y, Reduction R, class E, bool LogInput, bool Full>
constexpr auto poisson_nll_loss(X const& x, Y const& y, poisson_nll_options<E, LogInput, Full> const& o, R reduction) {
  auto const negative_log_likelihood = [&] {
    if constexpr (LogInput)
      return exp(x) - y * x;
    else
      return x - y * log(x + in_range<poisson_eps>(o.eps_value));
  }();
  if constexpr (Full) {
    auto const stirling = y * log(y) - y + c<1, 2> * log(2 * std::numbers::pi * y);  // log(y!) for large y
    return reduce_elements(negative_log_likelihood + where(y > c<1>, stirling, c<0>), reduction);
  } else {
    return reduce_elements(negative_log_likelihood, reduction);
  }
}
template <Operand X, Operand Y, Reduction R>
constexpr auto poisson_nll_loss(X const& x, Y const& y, R reduction) {
  return poisson_nll_loss(x, y, poisson_nll_options<>{}, reduction);
}

template <Operand X, Operand Y, Operand V, Reduction R, class E, bool Full>
constexpr auto gaussian_nll_loss(X const& x, Y const& y, V const& var, gaussian_nll_options<E, Full> const& o,
                                 R reduction) {
  auto const eps = in_range<gaussian_eps>(o.eps_value);
  // A negative variance has no likelihood: NaN (PyTorch raises), never the finite loss of a clamped one.
  auto const v = where(var < c<0>, std::numeric_limits<double>::quiet_NaN(), where(var < eps, eps, var));
  auto const half_nll = c<1, 2> * (log(v) + square(x - y) / v);
  if constexpr (Full)
    return reduce_elements(half_nll + 0.91893853320467274, reduction);  // log(2 pi) / 2
  else
    return reduce_elements(half_nll, reduction);
}
template <Operand X, Operand Y, Operand V, Reduction R>
constexpr auto gaussian_nll_loss(X const& x, Y const& y, V const& var, R reduction) {
  return gaussian_nll_loss(x, y, var, gaussian_nll_options<>{}, reduction);
}

}  // namespace lossforge::losses
