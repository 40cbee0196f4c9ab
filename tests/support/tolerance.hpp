#pragma once
// The one home of test tolerances, derived from machine epsilon.
//
// * value: an op evaluated by lossforge against the standard library in the same precision. Elementary functions
//   are correctly rounded to within a few ulps, and our stable rewrites (softplus, log_sigmoid) add a couple of
//   roundings: 32 ulps relative (scaled by max(1, |reference|)).
// * finite_difference: a derivative computed by lossforge in precision T against a central difference of the
//   reference function in double with h = cbrt(eps_double) * max(1e-2, |x|) (about 6e-6 |x|). The difference's
//   truncation error is h^2 |f'''| / 6 (about 1e-11 |f'''|) and its rounding error eps |f| / h (about 4e-11 |f|), so
//   1e-7 relative is safe for double; in float the derivative itself carries float rounding (eps_float = 1.2e-7),
//   amplified up to a few hundred times by cancellation in formulas such as 1 - tanh^2, hence 1e-4 (the
//   conformance tolerance for float).
// * conformance: a loss or gradient computed in precision T against PyTorch's (or the formula's) float64 values,
//   elementwise relative to max(1, |reference|): 1e-9 for a float64 evaluation, 1e-4 for float32.
#include <algorithm>
#include <cmath>
#include <limits>

namespace lossforge::test {

template <class T>
struct tolerance {
  static constexpr T epsilon = std::numeric_limits<T>::epsilon();
  static constexpr double value = 32 * double(epsilon);
  static constexpr double finite_difference = std::is_same_v<T, float> ? 1e-4 : 1e-7;
  static constexpr double conformance = std::is_same_v<T, float> ? 1e-4 : 1e-9;
};

// The step scales with |x| (down to 1e-2), so that functions singular at 0 (log, sqrt) are sampled on their scale.
inline double fd_step(double x) {
  return std::cbrt(std::numeric_limits<double>::epsilon()) * std::max(1e-2, std::abs(x));
}

// |actual - expected| <= tol * max(1, |expected|), with NaN matching NaN and infinities matching exactly.
inline bool close(double actual, double expected, double tol) {
  if (std::isnan(expected)) return std::isnan(actual);
  if (std::isinf(expected)) return actual == expected;
  return std::abs(actual - expected) <= tol * std::max(1.0, std::abs(expected));
}

// Central finite difference of f at x in double.
template <class F>
double central_difference(F const& f, double x) {
  double const h = fd_step(x);
  return (f(x + h) - f(x - h)) / (2 * h);
}

}  // namespace lossforge::test
