// Conformance handlers: mse, rmse, l1, huber, smooth_l1.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr scalar<"delta"> delta;
constexpr scalar<"beta"> beta;

#define LOSSFORGE_BY_REDUCTION(name, ...)                              \
  constexpr auto name##_none = L::name(input, target, __VA_ARGS__ L::none); \
  constexpr auto name##_mean = L::name(input, target, __VA_ARGS__ L::mean); \
  constexpr auto name##_sum = L::name(input, target, __VA_ARGS__ L::sum);
LOSSFORGE_BY_REDUCTION(mse)
LOSSFORGE_BY_REDUCTION(l1)
LOSSFORGE_BY_REDUCTION(huber, delta,)
LOSSFORGE_BY_REDUCTION(smooth_l1, beta,)
#undef LOSSFORGE_BY_REDUCTION
constexpr auto rmse = L::rmse(input, target);

registration const mse_case("mse", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() { return by_reduction<mse_none, mse_mean, mse_sum, T>(c); });
});
registration const l1_case("l1", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() { return by_reduction<l1_none, l1_mean, l1_sum, T>(c); });
});
registration const rmse_case("rmse", [](case_data const& c, precision p) {
  if (reduction_of(c) != "mean") throw unsupported("rmse is defined with reduction mean only");
  return in_precision(p, false, [&]<class T>() { return input_target_case<rmse, T>(c); });
});
registration const huber_case("huber", [](case_data const& c, precision p) {
  double const d = number(c, "delta");
  if (!(d > 0)) throw std::invalid_argument("huber: delta must be positive");
  return in_precision(p, false,
                      [&]<class T>() { return by_reduction<huber_none, huber_mean, huber_sum, T>(c, delta = d); });
});
registration const smooth_l1_case("smooth_l1", [](case_data const& c, precision p) {
  double const b = number(c, "beta");
  if (!(b >= 0)) throw std::invalid_argument("smooth_l1: beta must be non-negative");
  return in_precision(
      p, false, [&]<class T>() { return by_reduction<smooth_l1_none, smooth_l1_mean, smooth_l1_sum, T>(c, beta = b); });
});
}  // namespace
}  // namespace lossforge::conformance
