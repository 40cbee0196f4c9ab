// Conformance handlers: mse, rmse, l1, huber, smooth_l1.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr scalar<"delta"> delta;
constexpr scalar<"beta"> beta;

template <class R>
constexpr auto mse = L::mse(input, target, R{});
template <class R>
constexpr auto l1 = L::l1(input, target, R{});
template <class R>
constexpr auto huber = L::huber(input, target, delta, R{});
template <class R>
constexpr auto smooth_l1 = L::smooth_l1(input, target, beta, R{});
constexpr auto rmse = L::rmse(input, target);

registration const mse_case("mse", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) { return input_target_case<mse<R>, T>(c); });
  });
});
registration const l1_case("l1", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) { return input_target_case<l1<R>, T>(c); });
  });
});
registration const rmse_case("rmse", [](case_data const& c, precision p) {
  if (reduction_of(c) != "mean") throw unsupported("rmse is defined with reduction mean only");
  return in_precision(p, false, [&]<class T>() { return input_target_case<rmse, T>(c); });
});
registration const huber_case("huber", [](case_data const& c, precision p) {
  double const d = number(c, "delta");
  if (!(d > 0)) throw std::invalid_argument("huber: delta must be positive");
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) { return input_target_case<huber<R>, T>(c, delta = d); });
  });
});
registration const smooth_l1_case("smooth_l1", [](case_data const& c, precision p) {
  double const b = number(c, "beta");
  if (!(b >= 0)) throw std::invalid_argument("smooth_l1: beta must be non-negative");
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) { return input_target_case<smooth_l1<R>, T>(c, beta = b); });
  });
});
}  // namespace
}  // namespace lossforge::conformance
