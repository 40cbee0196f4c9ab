// Generalized Dice (Sudre et al.'s class weights) over softmax probabilities and class indices: the formula's value
// and gradient, targets checked, passes pinned. Expected values are computed here (class_totals.hpp).
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <tests/kokkos/catalogue/class_totals.hpp>
#include <tests/support/kokkos_events.hpp>
#include <utility>

namespace lf = lossforge;
namespace L = lf::losses;
using lf::test::check_per_class_loss;
using lf::test::class_totals;
using lf::test::generalized_dice;

TEST_CASE("generalized Dice: weights 1 / n_c^2, an absent class weighs as the heaviest present one", "[overlap]") {
  constexpr lf::tensor<"x", 4> x;
  constexpr lf::int_tensor<"t", 3> t;
  constexpr lf::scalar<"sn"> sn;
  constexpr lf::scalar<"sd"> sd;
  static constexpr auto kernel = lf::kokkos::compile(L::generalized_dice(x, t, sn, sd), lf::wrt(x));
  for (bool every_class : {true, false})
    for (auto [a, b] : {std::pair{0.0, 0.0}, std::pair{1e-5, 1e-5}, std::pair{1.0, 0.5}}) {
      CAPTURE(every_class, a, b);
      check_per_class_loss(
          kernel, [&](auto const& xv, auto const& tv) { return lf::bind(x = xv, t = tv, sn = a, sd = b); },
          [&](class_totals const& s) { return generalized_dice(s, a, b); }, every_class);
    }
}

TEST_CASE("generalized Dice: targets checked, passes pinned", "[overlap]") {
  constexpr lf::tensor<"x", 4> x;
  constexpr lf::int_tensor<"t", 3> t;
  constexpr lf::scalar<"sn"> sn;
  constexpr lf::scalar<"sd"> sd;
  static constexpr auto generalized = lf::kokkos::compile(L::generalized_dice(x, t, sn, sd), lf::wrt(x));
  lf::test::small_batch b;
  auto const run = [&] { return generalized(lf::bind(x = b.x, t = b.t, sn = 1e-5, sd = 1e-5), b.dx); };
  b.check_target_out_of_range(run, 3);
  // Four passes: each position's log-sum-exp, target probability and the heaviest class weight; each class's sums;
  // what the gradient reads per position; the gradient.
  CHECK(generalized.plan.pass_count == 4);
  double loss = 0;
  CHECK(lf::test::kernels_launched([&] { loss = run(); }) == 6);
  CHECK(std::isfinite(loss));
}
