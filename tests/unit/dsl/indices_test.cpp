// Named indices: elementwise expressions over bare tensors, reductions over all elements or over one index,
// broadcasting of a reduced result, gathers by an integer tensor, softmax and log_softmax, comparisons with indices.
// Each value is checked against a hand-written loop.
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <tests/support/symbols.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
using namespace lf::test::symbols;
using lf::test::close;
using lf::test::tolerance;

namespace {
std::vector<double> const logits{1.0, 2.0, -0.5, 0.25, -1.5, 0.75, 3.0, 0.0, 2.5, -2.0, 1.0, 1.0};  // [3, 4]
std::vector<long> const targets{2, 0, 3};
}  // namespace

TEMPLATE_TEST_CASE("a bare tensor stands for all its elements", "[indices]", float, double) {
  using T = TestType;
  std::vector<T> pv{0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, gv{1, 0, 1, 1, 0, 0};
  auto b = lf::bind(p = lf::host_view(pv, {2, 3}), g = lf::host_view(gv, {2, 3}));
  double dot = 0, mean_sq = 0;
  for (std::size_t k = 0; k < 6; ++k) {
    dot += double(pv[k]) * double(gv[k]);
    mean_sq += (double(pv[k]) - double(gv[k])) * (double(pv[k]) - double(gv[k])) / 6;
  }
  CHECK(close(lf::reference::evaluate<T>(lf::sum(p * g), b), dot, tolerance<T>::value));
  CHECK(close(lf::reference::evaluate<T>(lf::mean(lf::square(p - g)), b), mean_sq, tolerance<T>::value));
  // Without a reduction the result keeps the tensor's shape (reduction "none").
  auto per_element = lf::reference::evaluate<T>(lf::square(p - g), b);
  CHECK(per_element.shape == lf::shape_t{2, 3});
  CHECK(close(per_element.values[4], std::pow(double(pv[4]) - double(gv[4]), 2), tolerance<T>::value));
}

TEST_CASE("reductions over one index, broadcasting and gathers", "[indices]") {
  auto b = lf::bind(x = lf::host_view(logits, {3, 4}), t = lf::host_view(targets, {3}));
  std::vector<double> row_lse(3), row_max(3), row_sum(3);
  for (int r = 0; r < 3; ++r) {
    double m = -INFINITY, s = 0, e = 0;
    for (int k = 0; k < 4; ++k) m = std::max(m, logits[r * 4 + k]), s += logits[r * 4 + k];
    for (int k = 0; k < 4; ++k) e += std::exp(logits[r * 4 + k]);
    row_lse[r] = std::log(e), row_max[r] = m, row_sum[r] = s;
  }
  auto sums = lf::reference::evaluate(lf::sum(c, x(i, c)), b);
  auto maxes = lf::reference::evaluate(lf::reduce_max(c, x(i, c)), b);
  auto lses = lf::reference::evaluate(lf::logsumexp(c, x(i, c)), b);
  REQUIRE(sums.shape == lf::shape_t{3});
  for (int r = 0; r < 3; ++r) {
    CHECK(close(sums.values[r], row_sum[r], 1e-15));
    CHECK(maxes.values[r] == row_max[r]);
    CHECK(close(lses.values[r], row_lse[r], 1e-15));
  }
  // A reduced result broadcasts over the index it was reduced over: log_softmax(c, x)[i, c].
  auto log_probabilities = lf::reference::evaluate(lf::log_softmax(c, x(i, c)), b);
  REQUIRE(log_probabilities.shape == lf::shape_t{3, 4});
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k)
      CHECK(close(log_probabilities.values[r * 4 + k], logits[r * 4 + k] - row_lse[r], 1e-15));
  // Gather: x(i, t(i)) picks each row's target logit; with the row sums it is cross-entropy.
  auto picked = lf::reference::evaluate(x(i, t(i)), b);
  for (int r = 0; r < 3; ++r) CHECK(picked.values[r] == logits[r * 4 + targets[r]]);
  double ce = 0;
  for (int r = 0; r < 3; ++r) ce += (row_lse[r] - logits[r * 4 + targets[r]]) / 3;
  CHECK(close(lf::reference::evaluate(lf::mean(i, lf::sum(c, -lf::log_softmax(c, x(i, c)) * (c == t(i)))), b), ce,
              1e-14));
  CHECK(close(lf::reference::evaluate(lf::mean(i, lf::logsumexp(c, x(i, c)) - x(i, t(i))), b), ce, 1e-14));
  // softmax rows sum to one.
  auto row_total = lf::reference::evaluate(lf::sum(c, lf::softmax(c, x(i, c))), b);
  for (double v : row_total.values) CHECK(close(v, 1.0, 1e-15));
}

TEST_CASE("logsumexp is stable and max keeps infinities", "[indices]") {
  std::vector<double> big{1000.0, 1000.0, -1000.0};
  auto b = lf::bind(p = lf::host_view(big, {3}));
  CHECK(close(lf::reference::evaluate(lf::logsumexp(p), b), 1000.0 + std::log(2.0), 1e-15));
  std::vector<double> with_inf{1.0, INFINITY};
  CHECK(lf::reference::evaluate(lf::logsumexp(p), lf::bind(p = lf::host_view(with_inf, {2}))) == INFINITY);
  std::vector<double> all_minus_inf{-INFINITY, -INFINITY};
  CHECK(lf::reference::evaluate(lf::logsumexp(p), lf::bind(p = lf::host_view(all_minus_inf, {2}))) == -INFINITY);
}
