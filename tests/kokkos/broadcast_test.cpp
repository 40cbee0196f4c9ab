// A compiled kernel broadcasts bare tensors as PyTorch does: a binary cross entropy weighted per class ([C] or
// [1, C]), per row ([N, 1]) or per element, over inputs [N, C] and [B, N, C], row-major or not. Values and gradients
// are checked against the loss written out as a loop; the PyTorch cases of the conformance runner check the same
// rule against torch.nn.functional.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <stdexcept>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::MessageMatches;

namespace {
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"y"> y;
constexpr lf::tensor<"w"> w;
constexpr auto weighted_mean = L::binary_cross_entropy(p, y, L::bce_options<>{}.weight(w), L::mean);
constexpr auto weighted_none = L::binary_cross_entropy(p, y, L::bce_options<>{}.weight(w), L::none);
constexpr auto mean_kernel = lf::kokkos::compile(weighted_mean, lf::wrt(p));
constexpr auto none_kernel = lf::kokkos::compile(weighted_none, lf::wrt(p));
using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;

// 37 rows: the vector path's blocks and a remainder.
constexpr int rows = 37, classes = 5;
double probability(int i, int c) { return 0.05 + 0.9 * double((7 * i + 3 * c) % 11) / 11.0; }
double truth(int i, int c) { return double((i + c) % 3) / 2.0; }

// The weighted BCE and its gradient with respect to p, as a loop: weight_at(i, c) is the weight of element (i, c).
template <class Weight>
double loop_loss(Weight const& weight_at, bool mean) {
  double total = 0;
  for (int i = 0; i < rows; ++i)
    for (int c = 0; c < classes; ++c) {
      double const q = probability(i, c), t = truth(i, c);
      total -= weight_at(i, c) * (t * std::log(q) + (1 - t) * std::log(1 - q));
    }
  return mean ? total / (rows * classes) : total;
}
template <class Weight>
double loop_gradient(Weight const& weight_at, int i, int c) {
  double const q = probability(i, c), t = truth(i, c);
  return weight_at(i, c) * (q - t) / (q * (1 - q)) / (rows * classes);
}

template <class View>
void fill_inputs(View const& pv, View const& yv) {
  for (int i = 0; i < rows; ++i)
    for (int c = 0; c < classes; ++c) pv(i, c) = probability(i, c), yv(i, c) = truth(i, c);
}

template <class WeightView, class Weight, class Inputs = matrix>
void check_weighted(WeightView const& wv, Weight const& weight_at) {
  Inputs pv("p", rows, classes), yv("y", rows, classes), dp("dp", rows, classes);
  fill_inputs(pv, yv);
  double const loss = mean_kernel(lf::bind(p = pv, y = yv, w = wv), dp);
  CHECK(lf::test::close(loss, loop_loss(weight_at, true), 1e-14));
  for (int i = 0; i < rows; ++i)
    for (int c = 0; c < classes; ++c) CHECK(lf::test::close(dp(i, c), loop_gradient(weight_at, i, c), 1e-14));
}
}  // namespace

TEST_CASE("a class weight [C] or [1, C] stretches over the rows", "[kokkos][broadcast]") {
  vector by_class("w", classes);
  Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace> by_class_row("w", 1, classes);
  for (int c = 0; c < classes; ++c) by_class(c) = by_class_row(0, c) = 0.5 + c;
  auto const weight_at = [&](int, int c) { return by_class(c); };
  check_weighted(by_class, weight_at);
  check_weighted(by_class_row, weight_at);
  // Inputs that are not row-major read the same elements.
  check_weighted<vector, decltype(weight_at), Kokkos::View<double**, Kokkos::LayoutLeft, Kokkos::HostSpace>>(
      by_class, weight_at);
}

TEST_CASE("a row weight [N, 1] stretches along each row", "[kokkos][broadcast]") {
  matrix by_row("w", rows, 1);
  for (int i = 0; i < rows; ++i) by_row(i, 0) = 1 + 0.1 * i;
  check_weighted(by_row, [&](int i, int) { return by_row(i, 0); });
}

TEST_CASE("the per-element loss has the broadcast shape", "[kokkos][broadcast]") {
  matrix pv("p", rows, classes), yv("y", rows, classes), dp("dp", rows, classes), loss("loss", rows, classes);
  fill_inputs(pv, yv);
  vector by_class("w", classes);
  for (int c = 0; c < classes; ++c) by_class(c) = 2.0 - 0.25 * c;
  none_kernel(lf::bind(p = pv, y = yv, w = by_class), loss, dp);
  for (int i = 0; i < rows; ++i)
    for (int c = 0; c < classes; ++c) {
      double const q = probability(i, c), t = truth(i, c);
      CHECK(lf::test::close(loss(i, c), -by_class(c) * (t * std::log(q) + (1 - t) * std::log(1 - q)), 1e-14));
    }
  // A View for the per-element loss shaped like the weight is refused.
  vector small("loss", classes);
  CHECK_THROWS_MATCHES(none_kernel(lf::bind(p = pv, y = yv, w = by_class), small, dp), std::invalid_argument,
                       MessageMatches(ContainsSubstring("must have shape [37,5]")));
}

TEST_CASE("a weight [C] stretches over a batch of matrices [B, N, C]", "[kokkos][broadcast]") {
  constexpr int batch = 3;
  Kokkos::View<double***, Kokkos::LayoutRight, Kokkos::HostSpace> pv("p", batch, rows, classes),
      yv("y", batch, rows, classes), dp("dp", batch, rows, classes);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < rows; ++i)
      for (int c = 0; c < classes; ++c) pv(b, i, c) = probability(i, c), yv(b, i, c) = truth(i, c);
  vector by_class("w", classes);
  for (int c = 0; c < classes; ++c) by_class(c) = 0.5 + c;
  auto const weight_at = [&](int, int c) { return by_class(c); };
  // Each matrix of the batch is the same, so the mean is the one matrix's and each gradient a third of its.
  CHECK(lf::test::close(mean_kernel(lf::bind(p = pv, y = yv, w = by_class), dp), loop_loss(weight_at, true), 1e-14));
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < rows; ++i)
      for (int c = 0; c < classes; ++c)
        CHECK(lf::test::close(dp(b, i, c), loop_gradient(weight_at, i, c) / batch, 1e-14));
}

TEST_CASE("kernels refuse shapes that do not broadcast and gradients of stretched tensors", "[kokkos][broadcast][errors]") {
  matrix pv("p", rows, classes), yv("y", rows, classes), dp("dp", rows, classes);
  fill_inputs(pv, yv);
  vector wrong("w", classes + 1), by_class("w", classes), dw("dw", classes);
  CHECK_THROWS_MATCHES(mean_kernel(lf::bind(p = pv, y = yv, w = wrong), dp), std::invalid_argument,
                       MessageMatches(ContainsSubstring("[37,5]") && ContainsSubstring("[6]") &&
                                      ContainsSubstring("do not broadcast")));
  static constexpr auto both = lf::kokkos::compile(weighted_mean, lf::wrt(p, w));
  CHECK_THROWS_MATCHES(both(lf::bind(p = pv, y = yv, w = by_class), dp, dw), std::invalid_argument,
                       MessageMatches(ContainsSubstring("no gradient with respect to 'w'")));
  // The gradient alone, without the loss beside it in the kernel.
  static constexpr auto gradient_alone = lf::kokkos::compile(weighted_mean, lf::wrt(w), lf::kokkos::gradient_only);
  CHECK_THROWS_MATCHES(gradient_alone(lf::bind(p = pv, y = yv, w = by_class), dw), std::invalid_argument,
                       MessageMatches(ContainsSubstring("no gradient with respect to 'w'")));
  // A stretched weight also indexed: an indexed read does not stretch, so it is refused before any launch.
  constexpr lf::index<"i"> i;
  static constexpr auto mixed = lf::kokkos::compile(lf::sum(w * p) + lf::sum(i, w(i)), lf::wrt(p));
  CHECK_THROWS_MATCHES(mixed(lf::bind(p = pv, w = by_class), dp), std::invalid_argument,
                       MessageMatches(ContainsSubstring("also indexed")));
  // A weighted mean normalised by the weights' own sum reads w at two shapes in one kernel launch: refused, where
  // running it would sum w once per row.
  static constexpr auto normalised = lf::kokkos::compile(lf::sum(w * p) / lf::sum(w), lf::wrt(p));
  CHECK_THROWS_MATCHES(normalised(lf::bind(p = pv, w = by_class), dp), std::invalid_argument,
                       MessageMatches(ContainsSubstring("'w' has shape [5] and is read at shape")));
}
