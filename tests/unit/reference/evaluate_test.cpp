// The reference evaluator's contract for bad and unusual input: errors name the shapes and values involved,
// strided and Eigen views read the same numbers as contiguous ones, empty reductions have defined values.
#include <Eigen/Core>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <lossforge/backends/reference/eigen.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <stdexcept>
#include <tests/support/symbols.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::MessageMatches;
using namespace lf::test::symbols;

namespace {
std::vector<double> const logits{1.0, 2.0, 3.0, 0.5, -1.0, 2.0};
}  // namespace

TEST_CASE("shape mismatches name both shapes", "[reference][errors]") {
  std::vector<double> a(6, 1.0), b(4, 1.0);
  auto const bound = lf::bind(p = lf::host_view(a, {2, 3}), g = lf::host_view(b, {4}));
  CHECK_THROWS_MATCHES(
      lf::reference::evaluate(lf::sum(p * g), bound), std::invalid_argument,
      MessageMatches(ContainsSubstring("'p' has shape [2,3]") && ContainsSubstring("'g' has shape [4]")));
  // Same number of elements, different shapes: still a mismatch for an elementwise expression.
  std::vector<double> c6(6, 1.0);
  CHECK_THROWS_AS(
      lf::reference::evaluate(lf::sum(p * g), lf::bind(p = lf::host_view(a, {2, 3}), g = lf::host_view(c6, {3, 2}))),
      std::invalid_argument);
  std::vector<long> targets{0, 1, 2};  // three targets for two rows
  CHECK_THROWS_MATCHES(lf::reference::evaluate(
                           cross_entropy, lf::bind(x = lf::host_view(logits, {2, 3}), t = lf::host_view(targets, {3}))),
                       std::invalid_argument, MessageMatches(ContainsSubstring("[2]") && ContainsSubstring("[3]")));
  CHECK_THROWS_MATCHES(lf::host_view(a, {4, 2}), std::invalid_argument,
                       MessageMatches(ContainsSubstring("6 elements do not fit shape [4,2]")));
}

TEST_CASE("a tensor accessed with two ranks is an error, not a read past its position", "[reference][errors]") {
  constexpr lf::tensor<"y"> y;
  constexpr lf::index<"j"> j;
  std::vector<double> const six(6, 1.0);
  CHECK_THROWS_MATCHES(lf::reference::evaluate(lf::sum(i, y(i)) + lf::sum(i, lf::sum(j, y(i, j))),
                                               lf::bind(y = lf::host_view(six, {2, 3}))),
                       std::invalid_argument,
                       MessageMatches(ContainsSubstring("'y' is accessed with 1 indices but is bound to shape [2,3]")));
}

TEST_CASE("class indices out of range name the index and the shape", "[reference][errors]") {
  std::vector<long> targets{2, 3};
  CHECK_THROWS_MATCHES(
      lf::reference::evaluate(cross_entropy,
                              lf::bind(x = lf::host_view(logits, {2, 3}), t = lf::host_view(targets, {2}))),
      std::out_of_range,
      MessageMatches(ContainsSubstring("index 3 is out of range for dimension 1 of 'x' with shape [2,3]")));
  std::vector<long> negative{-1, 0};
  CHECK_THROWS_AS(lf::reference::evaluate(
                      cross_entropy, lf::bind(x = lf::host_view(logits, {2, 3}), t = lf::host_view(negative, {2}))),
                  std::out_of_range);
  // A where() that skips ignored targets never reads them: ignore_index = -100.
  std::vector<long> ignored{-100, 0};
  auto const masked = lf::sum(i, lf::where(t(i) != -100, lf::logsumexp(c, x(i, c)) - x(i, t(i)), 0));
  double const row1 = std::log(std::exp(0.5) + std::exp(-1.0) + std::exp(2.0)) - 0.5;
  CHECK(std::abs(lf::reference::evaluate(masked,
                                         lf::bind(x = lf::host_view(logits, {2, 3}), t = lf::host_view(ignored, {2}))) -
                 row1) < 1e-15);
}

TEST_CASE("strided and Eigen views read the same numbers", "[reference][views]") {
  std::vector<long> targets{2, 0};
  double const contiguous = lf::reference::evaluate(
      cross_entropy, lf::bind(x = lf::host_view(logits, {2, 3}), t = lf::host_view(targets, {2})));
  // The transpose of a [3, 2] buffer, read through strides.
  std::vector<double> transposed{1.0, 0.5, 2.0, -1.0, 3.0, 2.0};
  double const strided = lf::reference::evaluate(
      cross_entropy, lf::bind(x = lf::host_view(transposed.data(), {2, 3}, {1, 2}), t = lf::host_view(targets, {2})));
  CHECK(strided == contiguous);
  Eigen::Matrix<double, 2, 3> column_major;
  column_major << 1.0, 2.0, 3.0, 0.5, -1.0, 2.0;
  Eigen::Matrix<double, 2, 3, Eigen::RowMajor> row_major = column_major;
  CHECK(lf::reference::evaluate(
            cross_entropy, lf::bind(x = lf::host_view(column_major), t = lf::host_view(targets, {2}))) == contiguous);
  CHECK(lf::reference::evaluate(cross_entropy,
                                lf::bind(x = lf::host_view(row_major), t = lf::host_view(targets, {2}))) == contiguous);
  // A bare tensor over a strided view walks its elements in row-major order.
  Eigen::Matrix<double, 4, 4> big = Eigen::Matrix<double, 4, 4>::Random();
  auto block = big.block<2, 3>(1, 1);
  std::vector<double> copy;
  for (int r = 0; r < 2; ++r)
    for (int k = 0; k < 3; ++k) copy.push_back(block(r, k));
  auto const per_element = lf::reference::evaluate(p * p, lf::bind(p = lf::host_view(block)));
  for (std::size_t k = 0; k < copy.size(); ++k) CHECK(per_element.values[k] == copy[k] * copy[k]);
}

TEST_CASE("empty tensors and non-finite values", "[reference][edge]") {
  std::vector<double> empty;
  auto const b = lf::bind(p = lf::host_view(empty, {0}));
  CHECK(lf::reference::evaluate(lf::sum(p), b) == 0.0);              // an empty sum is 0
  CHECK(std::isnan(lf::reference::evaluate(lf::mean(p), b)));        // an empty mean is 0/0, as torch.mean
  CHECK(lf::reference::evaluate(lf::logsumexp(p), b) == -INFINITY);  // as torch.logsumexp
  CHECK_THROWS_AS(lf::reference::evaluate(lf::reduce_max(p), b), std::invalid_argument);  // torch.amax refuses too
  std::vector<double> with_nan{1.0, NAN, 2.0};
  auto const n = lf::bind(p = lf::host_view(with_nan));
  CHECK(std::isnan(lf::reference::evaluate(lf::sum(p), n)));
  CHECK(std::isnan(lf::reference::evaluate(lf::reduce_max(p), n)));
  CHECK(std::isnan(lf::reference::evaluate(lf::logsumexp(p), n)));
  // A tensor bound with the wrong rank for its accesses.
  std::vector<double> flat(6, 0.0);
  std::vector<long> targets{0, 1};
  CHECK_THROWS_MATCHES(
      lf::reference::evaluate(cross_entropy, lf::bind(x = lf::host_view(flat, {6}), t = lf::host_view(targets, {2}))),
      std::invalid_argument,
      MessageMatches(ContainsSubstring("'x' is accessed with 2 indices but is bound to shape [6]")));
}

TEST_CASE("a reduction that begins another's body keeps its own value", "[reference][memo]") {
  // sum_c(sum_j(x[j,c]) * x[i,0]): the sum over j is the first thing in the body of the sum over c, so the two nodes
  // share an address; each remembers its own value, and the total is (sum of x) * (sum of column 0).
  constexpr lf::index<"j"> j;
  auto const b = lf::bind(x = lf::host_view(logits, {2, 3}));
  double total = 0, column = 0;
  for (std::size_t k = 0; k < logits.size(); ++k) total += logits[k];
  for (std::size_t r = 0; r < 2; ++r) column += logits[3 * r];
  CHECK(lf::test::close(lf::reference::evaluate(lf::sum(i, lf::sum(c, lf::sum(j, x(j, c)) * x(i, lf::c<0>))), b),
                        total * column, 1e-14));
}
