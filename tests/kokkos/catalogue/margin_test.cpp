// Margin losses: closed forms, soft margin finite where log1p(exp(.)) overflows, the multi-class hinge's zero
// gradient at exactly 0, and one kernel each (an elementwise and two row-wise plans). Expected values are computed
// here from the definitions.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <tests/support/kokkos_events.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"x"> x;
constexpr lf::tensor<"y"> y;
constexpr lf::tensor<"X", 2> logits;
constexpr lf::tensor<"Y", 2> labels;
constexpr lf::int_tensor<"t", 1> t;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;
using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;

double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }
}  // namespace

TEST_CASE("soft margin: softplus(-y x) in one kernel, finite at -y x = 1000", "[margin]") {
  static constexpr auto kernel = lf::kokkos::compile(L::soft_margin_loss(x, y, L::mean), lf::wrt(x));
  vector xv("x", 4), yv("y", 4), dx("dx", 4);
  double const xs[4] = {0.5, -1.5, 2.0, 1000.0}, ys[4] = {1, 1, -1, -1};
  for (int k = 0; k < 4; ++k) xv(k) = xs[k], yv(k) = ys[k];
  double loss = 0;
  CHECK(lf::test::kernels_launched([&] { loss = kernel(lf::bind(x = xv, y = yv), dx); }) == 1);
  double want = 0;
  for (int k = 0; k < 3; ++k) want += std::log1p(std::exp(-ys[k] * xs[k]));
  want += 1000;  // softplus(1000) = 1000 in double; log1p(exp(1000)) is inf
  CHECK(std::abs(loss - want / 4) < 1e-12);
  for (int k = 0; k < 4; ++k) CHECK(std::abs(dx(k) - (-ys[k] * sigmoid(-ys[k] * xs[k]) / 4)) < 1e-15);
}

TEST_CASE("multilabel soft margin: per row the mean over classes of BCE with logits, one kernel", "[margin]") {
  static constexpr auto kernel =
      lf::kokkos::compile(L::multilabel_soft_margin_loss(logits, labels, L::none), lf::wrt(logits));
  matrix xv("X", 2, 3), yv("Y", 2, 3), dx("dX", 2, 3);
  vector loss("l", 2);
  for (int i = 0; i < 2; ++i)
    for (int c = 0; c < 3; ++c) xv(i, c) = 0.7 * (i + 1) - 0.9 * c, yv(i, c) = (i + c) % 2;
  CHECK(lf::test::kernels_launched([&] { kernel(lf::bind(logits = xv, labels = yv), loss, dx); }) == 1);
  for (int i = 0; i < 2; ++i) {
    double want = 0;
    for (int c = 0; c < 3; ++c) {
      double const v = xv(i, c), target = yv(i, c);
      want -= (target * std::log(sigmoid(v)) + (1 - target) * std::log(sigmoid(-v))) / 3;
      CHECK(std::abs(dx(i, c) - (sigmoid(v) - target) / 3) < 1e-15);
    }
    CHECK(std::abs(loss(i) - want) < 1e-15);
  }
}

TEST_CASE("multi-class margin: the hinge over the other classes, gradient 0 at a hinge of exactly 0, one kernel",
          "[margin]") {
  static constexpr auto kernel = lf::kokkos::compile(L::multi_margin_loss(logits, t, L::mean), lf::wrt(logits));
  matrix xv("X", 2, 3), dx("dX", 2, 3);
  Kokkos::View<int*, Kokkos::HostSpace> tv("t", 2);
  // Row 0, target 0: hinges 1 - 2 + 1 = 0 (exactly at the kink) and 1 - 2 + 0.5 = -0.5. Row 1, target 2: hinges
  // 1 - 0.25 + 1 = 1.75 and 1 - 0.25 + 0 = 0.75.
  double const rows[2][3] = {{2, 1, 0.5}, {1, 0, 0.25}};
  for (int i = 0; i < 2; ++i)
    for (int c = 0; c < 3; ++c) xv(i, c) = rows[i][c];
  tv(0) = 0, tv(1) = 2;
  double loss = 0;
  CHECK(lf::test::kernels_launched([&] { loss = kernel(lf::bind(logits = xv, t = tv), dx); }) == 1);
  CHECK(std::abs(loss - (0.0 + (1.75 + 0.75) / 3) / 2) < 1e-15);
  for (int c = 0; c < 3; ++c) CHECK(dx(0, c) == 0);  // no hinge above 0 in row 0
  CHECK(std::abs(dx(1, 0) - 1.0 / 6) < 1e-15);
  CHECK(std::abs(dx(1, 1) - 1.0 / 6) < 1e-15);
  CHECK(std::abs(dx(1, 2) - (-2.0 / 6)) < 1e-15);
}
