// What each reduction tag means: the value its folding gives (against closed forms, NaN and infinities included),
// and the pairwise accumulator that parallel kernels combine, which must agree with the fold however the elements
// are split between work items.
#include <catch2/catch_test_macros.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <cmath>
#include <limits>
#include <lossforge/dsl/reductions.hpp>
#include <random>
#include <stdexcept>
#include <vector>

namespace lf = lossforge;
namespace r = lossforge::reductions;

namespace {
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

template <class Op>
double fold(std::vector<double> const& xs) {
  return r::fold<Op>(std::ptrdiff_t(xs.size()), [&](auto const& f) {
                       for (double x : xs) f(x);
                     })
      .value();
}

// The accumulator over xs[0, cut) and xs[cut, n) separately, combined, then finished.
template <class Op>
double accumulated(std::vector<double> const& xs, std::size_t cut) {
  double a1, b1, a2, b2;
  r::initial<Op>(a1, b1);
  r::initial<Op>(a2, b2);
  for (std::size_t k = 0; k < xs.size(); ++k) r::accumulate<Op>(k < cut ? a1 : a2, k < cut ? b1 : b2, xs[k]);
  r::combine<Op>(a1, b1, a2, b2);
  return Op::finish(a1, b1, std::ptrdiff_t(xs.size()));
}

bool same(double a, double b, double tolerance) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::abs(a - b) <= tolerance * std::max(1.0, std::abs(b));
}
}  // namespace

TEST_CASE("each reduction folds to its closed form", "[reductions]") {
  std::vector<double> const xs{1.0, 2.0, 3.5, -0.25};
  CHECK(fold<r::sum>(xs) == 6.25);
  CHECK(fold<r::mean>(xs) == 6.25 / 4);
  CHECK(fold<r::max>(xs) == 3.5);
  double const lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.5) + std::exp(-0.25));
  CHECK(std::abs(fold<r::logsumexp>(xs) - lse) < 1e-15 * lse);
  // The log-sum-exp keeps its max apart from log(sum exp(x - max)).
  lf::lead_tail const parts = r::fold<r::logsumexp>(4, [&](auto const& f) {
    for (double x : xs) f(x);
  });
  CHECK(parts.lead == 3.5);
  CHECK(std::abs(parts.tail - std::log(std::exp(-2.5) + std::exp(-1.5) + 1 + std::exp(-3.75))) < 1e-15);
  // Logits far beyond exp's range: the max absorbs them.
  CHECK(fold<r::logsumexp>({1e30, 1e30}) == 1e30 + std::log(2.0));
}

TEST_CASE("NaN, infinities and empty ranges", "[reductions]") {
  CHECK(std::isnan(fold<r::max>({1.0, not_a_number, 2.0})));
  CHECK(std::isnan(fold<r::logsumexp>({1.0, not_a_number})));
  CHECK(std::isnan(fold<r::sum>({1.0, not_a_number})));
  CHECK(fold<r::logsumexp>({1.0, inf}) == inf);
  CHECK(fold<r::logsumexp>({-inf, -inf}) == -inf);
  CHECK(fold<r::max>({-inf, -inf}) == -inf);
  CHECK(fold<r::sum>({}) == 0.0);
  CHECK(std::isnan(fold<r::mean>({})));  // torch.mean of nothing
  CHECK(std::isnan(fold<r::max>({})));   // the fold has no value; callers report it
  CHECK(fold<r::logsumexp>({}) == -inf);  // log(0), as torch.logsumexp of nothing
  double a, b;
  r::initial<r::max>(a, b);
  CHECK_THROWS_MATCHES(r::max::finish(a, b, 0), std::invalid_argument,
                       Catch::Matchers::Message("lossforge: max over an empty index has no value"));
}

TEMPLATE_TEST_CASE("the accumulator agrees with the fold wherever the work is split", "[reductions]", r::sum, r::mean,
                   r::max, r::logsumexp) {
  std::mt19937 engine(7);
  std::normal_distribution<double> normal(0.0, 30.0);
  std::vector<double> xs(17);
  for (double& x : xs) x = normal(engine);
  std::vector<std::vector<double>> const cases{xs,           {inf, 1.0, 2.0},          {1.0, -inf, inf},
                                               {-inf, -inf}, {2.0, not_a_number, 1.0}, {5.0}};
  for (auto const& values : cases)
    for (std::size_t cut = 0; cut <= values.size(); ++cut) {
      INFO("split at " << cut << " of " << values.size());
      // Added in another order, 17 values of magnitude up to ~100 round differently: a few ulps of 100 each.
      CHECK(same(accumulated<TestType>(values, cut), fold<TestType>(values), 1e-12));
    }
}
