// Per-class Dice over softmax probabilities and class indices at every rank it takes, its targets checked and its
// passes pinned. Expected values are computed here (class_totals.hpp).
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <tests/kokkos/catalogue/class_totals.hpp>
#include <tests/support/kokkos_events.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::scalar<"s"> smooth;
using lf::test::per_class_dice;
}  // namespace

TEST_CASE("per-class Dice over logits [N, C] and [N, C, D, H, W]: the formula's value, its gradient by differences",
          "[overlap]") {
  constexpr lf::tensor<"x", 2> x2;
  constexpr lf::int_tensor<"t", 1> t1;
  constexpr lf::tensor<"x", 5> x5;
  constexpr lf::int_tensor<"t", 4> t4;
  static constexpr auto rows = lf::kokkos::compile(L::dice_per_class(x2, t1, smooth), lf::wrt(x2));
  static constexpr auto volumes = lf::kokkos::compile(L::dice_per_class(x5, t4, smooth), lf::wrt(x5));
  int const n = 2, classes = 4, depth = 2, height = 3, width = 2, positions = depth * height * width;
  std::vector<double> logits;
  std::vector<int> targets;
  for (int k = 0; k < n * classes * positions; ++k) logits.push_back(2 * std::sin(0.9 * k + 0.3));
  for (int k = 0; k < n * positions; ++k) targets.push_back((5 * k + 2) % 3);  // class 3 absent
  Kokkos::View<double*****, Kokkos::LayoutRight, Kokkos::HostSpace> xv("x", n, classes, depth, height, width),
      dx("dx", n, classes, depth, height, width);
  Kokkos::View<int****, Kokkos::LayoutRight, Kokkos::HostSpace> tv("t", n, depth, height, width);
  std::copy(logits.begin(), logits.end(), xv.data());
  std::copy(targets.begin(), targets.end(), tv.data());
  for (double s : {0.0, 1.0}) {
    double const loss = volumes(lf::bind(x5 = xv, t4 = tv, smooth = s), dx);
    CHECK(std::abs(loss - per_class_dice(logits, targets, n, classes, positions, s)) < 1e-14);
    for (int k = 0; k < n * classes * positions; k += 5) {  // central differences of the formula, in double
      double const h = 1e-6;
      std::vector<double> up = logits, down = logits;
      up[std::size_t(k)] += h, down[std::size_t(k)] -= h;
      double const difference = (per_class_dice(up, targets, n, classes, positions, s) -
                                 per_class_dice(down, targets, n, classes, positions, s)) /
                                (2 * h);
      CHECK(std::abs(dx.data()[k] - difference) < 1e-8);
    }
  }
  // Rows: one position per sample.
  int const samples = 2 * positions;
  Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace> xr("x", samples, classes), dxr("dx", samples, classes);
  Kokkos::View<int*, Kokkos::HostSpace> tr("t", samples);
  std::vector<double> by_rows(std::size_t(samples * classes));
  for (int a = 0; a < samples; ++a) {
    tr(a) = targets[std::size_t(a)];
    for (int k = 0; k < classes; ++k) xr(a, k) = by_rows[std::size_t(a * classes + k)] = logits[std::size_t(a + k)];
  }
  double const loss = rows(lf::bind(x2 = xr, t1 = tr, smooth = 0.5), dxr);
  CHECK(std::abs(loss - per_class_dice(by_rows, targets, samples, classes, 1, 0.5)) < 1e-14);
}

TEST_CASE("per-class Dice: a target outside the classes is an error naming x's class dimension", "[overlap]") {
  constexpr lf::tensor<"x", 4> x;
  constexpr lf::int_tensor<"t", 3> t;
  static constexpr auto kernel = lf::kokkos::compile(L::dice_per_class(x, t, smooth), lf::wrt(x));
  lf::test::small_batch b;
  auto const run = [&] { return kernel(lf::bind(x = b.x, t = b.t, smooth = 1.0), b.dx); };
  for (int value : {3, -1, 255}) b.check_target_out_of_range(run, value);
  // Four passes: each position's log-sum-exp and target probability; each class's sums; each position's sums over
  // the classes of what the gradient reads; the gradient (the third pass launches two kernels).
  CHECK(kernel.plan.pass_count == 4);
  double loss = 0;
  CHECK(lf::test::kernels_launched([&] { loss = run(); }) == 5);
  CHECK(std::isfinite(loss));
}
