// Tversky and soft IoU: their identities with Dice and with each other, empty masks, and the two passes of a loss
// of global sums (the sums, then the gradient that reads them). Expected values are computed here.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <stdexcept>
#include <tests/support/kokkos_events.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
constexpr lf::scalar<"alpha"> alpha;
constexpr lf::scalar<"beta"> beta;
constexpr lf::scalar<"s"> smooth;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;

struct masks {
  static constexpr int n = 37;  // full SIMD blocks and a remainder
  vector p{"p", n}, g{"g", n}, dp{"dp", n}, reference_dp{"dp_ref", n};
  double sp = 0, sg = 0, spg = 0;
  masks() {
    for (int k = 0; k < n; ++k) {
      p(k) = 0.5 + 0.45 * std::sin(1.3 * k), g(k) = k % 3 == 0;
      sp += p(k), sg += g(k), spg += p(k) * g(k);
    }
  }
};
}  // namespace

TEST_CASE("Tversky: alpha = beta = 1/2 is the Dice of sum(p) + sum(g), alpha = beta = 1 is soft IoU", "[overlap]") {
  static constexpr auto tversky = lf::kokkos::compile(L::tversky(p, g, alpha, beta, smooth), lf::wrt(p));
  static constexpr auto iou = lf::kokkos::compile(L::soft_iou(p, g, smooth), lf::wrt(p));
  masks m;
  double loss = 0;
  // Pass 1 accumulates the three sums; pass 2 writes the gradient, which reads them.
  CHECK(lf::test::kernels_launched(
            [&] { loss = tversky(lf::bind(p = m.p, g = m.g, alpha = 0.5, beta = 0.5, smooth = 0.0), m.dp); }) == 2);
  double const dice = 1 - 2 * m.spg / (m.sp + m.sg);
  CHECK(std::abs(loss - dice) < 1e-14);
  for (int k = 0; k < m.n; ++k)  // d/dp_k of 1 - 2 I / S: -2 (g_k S - I) / S^2
    CHECK(std::abs(m.dp(k) - (-2 * (m.g(k) * (m.sp + m.sg) - m.spg) / ((m.sp + m.sg) * (m.sp + m.sg)))) < 1e-14);

  double const with_ones = tversky(lf::bind(p = m.p, g = m.g, alpha = 1.0, beta = 1.0, smooth = 0.5), m.dp);
  CHECK(lf::test::kernels_launched([&] { loss = iou(lf::bind(p = m.p, g = m.g, smooth = 0.5), m.reference_dp); }) == 2);
  CHECK(std::abs(loss - (1 - (m.spg + 0.5) / (m.sp + m.sg - m.spg + 0.5))) < 1e-14);
  CHECK(std::abs(with_ones - loss) < 1e-14);
  for (int k = 0; k < m.n; ++k) CHECK(std::abs(m.dp(k) - m.reference_dp(k)) < 1e-14);
}

TEST_CASE("empty masks: 0 with smoothing, 1 - s / (w + s) for an empty prediction of a full mask", "[overlap]") {
  static constexpr auto tversky = lf::kokkos::compile(L::tversky(p, g, alpha, beta, smooth), lf::wrt(p));
  vector zeros("p", 4), ones("g", 4), dp("dp", 4);
  Kokkos::deep_copy(ones, 1.0);
  auto const empty = lf::bind(p = zeros, g = zeros, alpha = 0.3, beta = 0.7, smooth = 1.0);
  CHECK(tversky(empty, dp) == 0);
  // FN = 4: 1 - 1 / (0.7 * 4 + 1).
  CHECK(std::abs(tversky(lf::bind(p = zeros, g = ones, alpha = 0.3, beta = 0.7, smooth = 1.0), dp) - (1 - 1 / 3.8)) <
        1e-15);
  for (int k = 0; k < 4; ++k) CHECK(std::isfinite(dp(k)));
  // Without smoothing two empty masks are 0 / 0: NaN, as the formula says, never a made-up value.
  CHECK(std::isnan(tversky(lf::bind(p = zeros, g = zeros, alpha = 0.3, beta = 0.7, smooth = 0.0), dp)));
  CHECK_THROWS_AS(tversky(lf::bind(p = zeros, g = zeros, alpha = -0.3, beta = 0.7, smooth = 1.0), dp),
                  std::invalid_argument);
  vector short_mask("g", 3);
  CHECK_THROWS_AS(tversky(lf::bind(p = zeros, g = short_mask, alpha = 0.3, beta = 0.7, smooth = 1.0), dp),
                  std::invalid_argument);
}
