// Poisson and Gaussian negative log-likelihoods: Stirling's term against log(y!) itself, the variance's clamp and a
// negative variance (NaN, never a finite loss). Expected values are computed here from the definitions.
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
constexpr lf::tensor<"var"> var;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;
}  // namespace

TEST_CASE("Poisson NLL with the full term: exp(x) - y x + log(y!) to Stirling's accuracy, 0 added where y <= 1",
          "[likelihood]") {
  static constexpr auto kernel =
      lf::kokkos::compile(L::poisson_nll_loss(x, y, L::poisson_nll_options<>{}.full(), L::none), lf::wrt(x));
  vector xv("x", 4), yv("y", 4), loss("l", 4), dx("dx", 4);
  double const counts[4] = {0, 1, 5, 40};
  for (int k = 0; k < 4; ++k) xv(k) = std::log(counts[k] + 0.5), yv(k) = counts[k];
  CHECK(lf::test::kernels_launched([&] { kernel(lf::bind(x = xv, y = yv), loss, dx); }) == 1);
  for (int k = 0; k < 4; ++k) {
    double const rate = std::exp(xv(k)), nll = rate - counts[k] * xv(k);
    // Stirling: log(y!) - (y log y - y + log(2 pi y) / 2) = 1 / (12 y) + O(y^-3).
    double const extra = counts[k] > 1 ? std::lgamma(counts[k] + 1) - 1 / (12 * counts[k]) : 0.0;
    double const tolerance =
        counts[k] > 1 ? 1 / (300 * counts[k] * counts[k] * counts[k]) : 1e-14;  // 1/(360 y^3) + ...
    CHECK(std::abs(loss(k) - (nll + extra)) < tolerance);
    CHECK(std::abs(dx(k) - (rate - counts[k])) < 1e-14);  // the full term does not depend on x
  }
}

TEST_CASE("Gaussian NLL: the variance clamped at eps, a negative variance NaN", "[likelihood]") {
  static constexpr auto kernel = lf::kokkos::compile(L::gaussian_nll_loss(x, y, var, L::none), lf::wrt(x, var));
  vector xv("x", 3), yv("y", 3), vv("var", 3), loss("l", 3), dx("dx", 3), dv("dv", 3);
  xv(0) = 1.5, xv(1) = 1.5, xv(2) = 1.5;
  vv(0) = 0.25, vv(1) = 1e-9, vv(2) = -0.25;
  kernel(lf::bind(x = xv, y = yv, var = vv), loss, dx, dv);
  CHECK(std::abs(loss(0) - 0.5 * (std::log(0.25) + 2.25 / 0.25)) < 1e-14);
  CHECK(std::abs(dx(0) - 1.5 / 0.25) < 1e-14);
  CHECK(std::abs(dv(0) - 0.5 * (1 / 0.25 - 2.25 / 0.0625)) < 1e-12);
  // Below eps = 1e-6 the variance is eps, and the clamp's gradient is 0.
  CHECK(std::abs(loss(1) - 0.5 * (std::log(1e-6) + 2.25 / 1e-6)) < 1e-9 * loss(1));
  CHECK(std::abs(dx(1) - 1.5 / 1e-6) < 1e-9 * dx(1));
  CHECK(dv(1) == 0);
  CHECK(std::isnan(loss(2)));
  CHECK(std::isnan(dx(2)));
}
