// Exact at the extremes, in the reference evaluator (the fused kernels' side: tests/kokkos/extremes_test.cpp): BCE
// with logits at x = +-inf is its limit, a class index of -100 without ignore_index says what PyTorch does by
// default, and loss parameters bound to scalar symbols are checked against their ranges before evaluation.
// Expected values are the textbook closed forms of tests/support/closed_forms.hpp.
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <limits>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <stdexcept>
#include <string>
#include <tests/support/closed_forms.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;
namespace cf = lf::test::closed_form;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::Equals;
using Catch::Matchers::MessageMatches;

namespace {
constexpr lf::tensor<"x"> x;
constexpr lf::tensor<"y"> y;
constexpr lf::tensor<"logits", 2> logits;
constexpr lf::int_tensor<"t", 1> t;
constexpr double inf_ = std::numeric_limits<double>::infinity(), nan_ = std::numeric_limits<double>::quiet_NaN();
constexpr double double_tol = 1e-14;

// The message of the exception f throws, which must be std::invalid_argument.
template <class F>
std::string invalid_argument_message(F const& f) {
  try {
    f();
  } catch (std::invalid_argument const& e) {
    return e.what();
  }
  return "(nothing thrown)";
}
}  // namespace

TEMPLATE_TEST_CASE("reference: BCE with logits at x = +-inf is its limit, and so is its gradient",
                   "[reference][extremes]", float, double) {
  using T = TestType;
  static constexpr auto loss = L::binary_cross_entropy_with_logits(x, y, L::none);
  static constexpr auto gradient = lf::grad(lf::sum(loss), x);
  std::vector<T> const xs{T(inf_), T(-inf_), T(-inf_), T(inf_), T(inf_), T(-inf_), T(nan_), T(0.5), T(-2)};
  std::vector<T> const ys{1, 0, 1, 0, 0.25, 0.25, 1, 1, 0};
  int const n = int(xs.size());
  auto const bound = lf::bind(x = lf::host_view(xs, {n}), y = lf::host_view(ys, {n}));
  auto const l = lf::reference::evaluate<T>(loss, bound);
  auto const dx = lf::reference::evaluate<T>(gradient, bound);
  // The evaluator computes in T: a few roundings of terms up to 2 (32 ulps).
  double const tol = lf::test::tolerance<T>::value;
  for (int k = 0; k < n; ++k) {
    INFO("x " << double(xs[std::size_t(k)]) << ", y " << double(ys[std::size_t(k)]));
    CHECK(lf::test::close(double(l.values[std::size_t(k)]), cf::bce_with_logits(xs[std::size_t(k)], ys[std::size_t(k)]),
                          tol));
    CHECK(lf::test::close(double(dx.values[std::size_t(k)]),
                          cf::bce_with_logits_slope(xs[std::size_t(k)], ys[std::size_t(k)]), tol));
  }
}

TEST_CASE("reference: a class index of -100 without ignore_index says what PyTorch does by default",
          "[reference][extremes][errors]") {
  std::vector<double> const xs{1, 2, 3, 0.5, -1, 2};
  std::vector<long> targets{2, -100};
  auto const bind = [&] { return lf::bind(logits = lf::host_view(xs, {2, 3}), t = lf::host_view(targets, {2})); };
  CHECK_THROWS_MATCHES(lf::reference::evaluate(L::cross_entropy(logits, t, L::mean), bind()), std::out_of_range,
                       MessageMatches(ContainsSubstring("index -100") &&
                                      ContainsSubstring("PyTorch's cross_entropy and nll_loss ignore targets of -100 "
                                                        "by default") &&
                                      ContainsSubstring(".ignore_index(-100)")));
  CHECK_THROWS_MATCHES(lf::reference::evaluate(L::nll_loss(logits, t, L::mean), bind()), std::out_of_range,
                       MessageMatches(ContainsSubstring(".ignore_index(-100)")));
  targets[1] = 3;
  CHECK_THROWS_MATCHES(lf::reference::evaluate(L::cross_entropy(logits, t, L::mean), bind()), std::out_of_range,
                       MessageMatches(ContainsSubstring("index 3") && !ContainsSubstring("PyTorch")));
  targets[1] = -100;  // ignored when asked: the loss of row 0 alone
  double const want = cf::cross_entropy({1, 2, 3}, cf::smoothed_target(2, 3, 0));
  CHECK(lf::test::close(
      lf::reference::evaluate(L::cross_entropy(logits, t, L::cross_entropy_options<>{}.ignore_index(-100), L::mean),
                              bind()),
      want, double_tol));
}

TEST_CASE("reference: bound loss parameters are checked against their ranges before evaluation",
          "[reference][parameters]") {
  constexpr lf::scalar<"d"> d;
  constexpr lf::scalar<"b"> b;
  constexpr lf::scalar<"eps"> eps;
  constexpr lf::scalar<"a"> a;
  constexpr lf::tensor<"q", 2> q;
  static constexpr auto huber = L::huber(x, y, d, L::mean);
  static constexpr auto smooth_l1 = L::smooth_l1(x, y, b, L::sum);
  static constexpr auto ce = L::cross_entropy(logits, t, L::cross_entropy_options<>{}.label_smoothing(eps), L::mean);
  static constexpr auto ce_probabilities =
      L::cross_entropy_probabilities(logits, q, L::cross_entropy_options<>{}.label_smoothing(eps), L::mean);
  static constexpr auto focal = L::sigmoid_focal_loss(x, y, L::focal_options<>{}.alpha(a), L::mean);
  static constexpr auto scaled = L::huber(x, y, 2 * d, L::mean);  // an expression of scalars is checked too

  std::vector<double> const xs{0.3, -1.2, 2.5, 0.1}, ys{0, 1, 1, 0}, rows{1, 2, 3, 0.5, -1, 2}, probs{0, 0, 1, 0, 1, 0};
  std::vector<long> const targets{2, 1};
  auto const elementwise = [&](auto const& parameter) {
    return lf::bind(x = lf::host_view(xs, {4}), y = lf::host_view(ys, {4}), parameter);
  };
  auto const classes = [&](auto const& parameter) {
    return lf::bind(logits = lf::host_view(rows, {2, 3}), t = lf::host_view(targets, {2}),
                    q = lf::host_view(probs, {2, 3}), parameter);
  };
  CHECK_THAT(invalid_argument_message([&] { lf::reference::evaluate(huber, elementwise(d = -1)); }),
             Equals("lossforge::losses::huber: delta (scalar 'd') must be positive, got -1"));
  CHECK_THAT(invalid_argument_message([&] { lf::reference::evaluate(lf::grad(huber, x), elementwise(d = -1)); }),
             Equals("lossforge::losses::huber: delta (scalar 'd') must be positive, got -1"));
  CHECK_THAT(invalid_argument_message([&] { lf::reference::evaluate(scaled, elementwise(d = -0.25)); }),
             Equals("lossforge::losses::huber: delta ('2 * d') must be positive, got -0.5"));
  CHECK_THAT(invalid_argument_message([&] { lf::reference::evaluate(smooth_l1, elementwise(b = -2)); }),
             Equals("lossforge::losses::smooth_l1: beta (scalar 'b') must be non-negative, got -2"));
  CHECK_THAT(invalid_argument_message([&] { lf::reference::evaluate(ce, classes(eps = 1.5)); }),
             Equals("lossforge::losses::cross_entropy: label_smoothing (scalar 'eps') must be in [0, 1], got 1.5"));
  CHECK_THAT(invalid_argument_message([&] { lf::reference::evaluate(ce_probabilities, classes(eps = nan_)); }),
             Equals("lossforge::losses::cross_entropy: label_smoothing (scalar 'eps') must be in [0, 1], got nan"));
  CHECK_THAT(invalid_argument_message([&] { lf::reference::evaluate(focal, elementwise(a = -0.5)); }),
             Equals("lossforge::losses::sigmoid_focal_loss: alpha (scalar 'a') must be in [0, 1], got -0.5"));

  // An exact constant is a number: checked when the loss is built.
  CHECK_THAT(invalid_argument_message([] { (void)L::huber(x, y, lf::c<-1>, L::mean); }),
             Equals("lossforge::losses::huber: delta must be positive, got -1"));
  CHECK_THAT(invalid_argument_message([] { (void)L::smooth_l1(x, y, lf::c<-1, 2>, L::sum); }),
             Equals("lossforge::losses::smooth_l1: beta must be non-negative, got -0.5"));

  // In range, bounds included: the closed forms (double_tol: a few roundings of terms of order 1).
  double want = 0;
  for (std::size_t k = 0; k < 4; ++k) want += cf::huber(xs[k] - ys[k], 0.5) / 4;
  CHECK(lf::test::close(lf::reference::evaluate(huber, elementwise(d = 0.5)), want, double_tol));
  CHECK(lf::test::close(lf::reference::evaluate(scaled, elementwise(d = 0.25)), want, double_tol));
  want = 0;
  for (std::size_t k = 0; k < 4; ++k) want += std::abs(xs[k] - ys[k]);  // beta = 0: L1
  CHECK(lf::test::close(lf::reference::evaluate(smooth_l1, elementwise(b = 0)), want, double_tol));
  for (double const smoothing : {0.0, 1.0}) {
    want = (cf::cross_entropy({1, 2, 3}, cf::smoothed_target(2, 3, smoothing)) +
            cf::cross_entropy({0.5, -1, 2}, cf::smoothed_target(1, 3, smoothing))) /
           2;
    CHECK(lf::test::close(lf::reference::evaluate(ce, classes(eps = smoothing)), want, double_tol));
    CHECK(lf::test::close(lf::reference::evaluate(ce_probabilities, classes(eps = smoothing)), want, double_tol));
  }
  for (double const alpha : {0.0, 1.0}) {
    want = 0;
    for (std::size_t k = 0; k < 4; ++k) want += cf::sigmoid_focal(xs[k], ys[k], alpha) / 4;
    CHECK(lf::test::close(lf::reference::evaluate(focal, elementwise(a = alpha)), want, double_tol));
  }
}
