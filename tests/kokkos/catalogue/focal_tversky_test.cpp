// Per-class Tversky and focal Tversky over softmax probabilities and class indices: the formula's value and
// gradient, targets checked, parameters in range, passes pinned. Expected values are computed here
// (class_totals.hpp).
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <tests/kokkos/catalogue/class_totals.hpp>
#include <tests/support/kokkos_events.hpp>
#include <tuple>

namespace lf = lossforge;
namespace L = lf::losses;
using lf::test::check_per_class_loss;
using lf::test::class_totals;
using lf::test::focal_tversky;

namespace {
constexpr lf::scalar<"alpha"> alpha;
constexpr lf::scalar<"beta"> beta;
constexpr lf::scalar<"s"> smooth;
}  // namespace

TEST_CASE("per-class Tversky and focal Tversky: the formula's value, its gradient by differences; gamma 1 is Tversky",
          "[overlap]") {
  constexpr lf::tensor<"x", 4> x;
  constexpr lf::int_tensor<"t", 3> t;
  constexpr lf::scalar<"gamma"> gamma;
  static constexpr auto tversky = lf::kokkos::compile(L::tversky_per_class(x, t, alpha, beta, smooth), lf::wrt(x));
  static constexpr auto focal = lf::kokkos::compile(L::focal_tversky(x, t, alpha, beta, gamma, smooth), lf::wrt(x));
  for (bool every_class : {true, false})
    for (auto [a, b, s] : {std::tuple{0.3, 0.7, 1.0}, std::tuple{0.5, 0.5, 0.0}, std::tuple{0.7, 0.3, 1e-5}}) {
      CAPTURE(every_class, a, b, s);
      check_per_class_loss(
          tversky,
          [&](auto const& xv, auto const& tv) { return lf::bind(x = xv, t = tv, alpha = a, beta = b, smooth = s); },
          [&](class_totals const& c) { return focal_tversky(c, a, b, 1.0, s); }, every_class);
      for (double y : {0.75, 1.0, 2.0})
        check_per_class_loss(
            focal,
            [&](auto const& xv, auto const& tv) {
              return lf::bind(x = xv, t = tv, alpha = a, beta = b, gamma = y, smooth = s);
            },
            [&](class_totals const& c) { return focal_tversky(c, a, b, y, s); }, every_class);
    }
}

TEST_CASE("focal Tversky: targets checked, parameters in range, passes pinned", "[overlap]") {
  constexpr lf::tensor<"x", 4> x;
  constexpr lf::int_tensor<"t", 3> t;
  constexpr lf::scalar<"gamma"> gamma;
  static constexpr auto focal = lf::kokkos::compile(L::focal_tversky(x, t, alpha, beta, gamma, smooth), lf::wrt(x));
  lf::test::small_batch b;
  auto const run = [&](double a, double y) {
    return focal(lf::bind(x = b.x, t = b.t, alpha = a, beta = 0.7, gamma = y, smooth = 1.0), b.dx);
  };
  b.check_target_out_of_range([&] { return run(0.3, 0.75); }, 3);
  CHECK_THROWS_WITH(run(-0.3, 0.75), Catch::Matchers::ContainsSubstring("alpha"));
  CHECK_THROWS_WITH(run(0.3, 0.0), Catch::Matchers::ContainsSubstring("gamma"));
  // Four passes: each position's log-sum-exp and target probability; each class's sums; what the gradient reads per
  // position; the gradient.
  CHECK(focal.plan.pass_count == 4);
  double loss = 0;
  CHECK(lf::test::kernels_launched([&] { loss = run(0.3, 0.75); }) == 4);
  CHECK(std::isfinite(loss));
}
