// The GAN losses: each batch reduced over itself (batches of different sizes), stable softplus at confident logits,
// and the kernels the plans launch. Expected values are closed forms computed here in long double.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <tests/support/kokkos_events.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"real"> real;
constexpr lf::tensor<"fake"> fake;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;

long double softplus(long double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
long double sigmoid(long double x) { return 1 / (1 + std::exp(-x)); }

struct batches {
  vector r{"real", 5}, f{"fake", 3}, dr{"dr", 5}, df{"df", 3};
  batches() {
    for (int k = 0; k < 5; ++k) r(k) = 1.5 - 0.7 * k;
    for (int k = 0; k < 3; ++k) f(k) = -0.4 + 0.9 * k;
  }
};
}  // namespace

TEST_CASE("the discriminator's BCE averages each batch over its own size, in one kernel per batch", "[adversarial]") {
  static constexpr auto kernel = lf::kokkos::compile(L::gan_d_bce(real, fake, L::mean), lf::wrt(real, fake));
  batches b;
  long double want = 0;
  for (int k = 0; k < 5; ++k) want += softplus(-b.r(k)) / 5;
  for (int k = 0; k < 3; ++k) want += softplus(b.f(k)) / 3;
  double loss = 0;
  // The two batches have different extents, so each is a loop of its own; no value waits on a global.
  CHECK(lf::test::kernels_launched([&] { loss = kernel(lf::bind(real = b.r, fake = b.f), b.dr, b.df); }) == 2);
  CHECK(std::abs(loss - double(want)) < 1e-15);
  for (int k = 0; k < 5; ++k) CHECK(std::abs(b.dr(k) - double(-sigmoid(-b.r(k)) / 5)) < 1e-16);
  for (int k = 0; k < 3; ++k) CHECK(std::abs(b.df(k) - double(sigmoid(b.f(k)) / 3)) < 1e-16);
}

TEST_CASE("generator losses fuse value and gradient in one kernel; the minimax loss is log(1 - sigmoid)",
          "[adversarial]") {
  static constexpr auto minimax = lf::kokkos::compile(L::gan_g_minimax(fake, L::sum), lf::wrt(fake));
  batches b;
  double loss = 0;
  CHECK(lf::test::kernels_launched([&] { loss = minimax(lf::bind(fake = b.f), b.df); }) == 1);
  long double want = 0;
  for (int k = 0; k < 3; ++k) want += std::log(1 - sigmoid(b.f(k)));
  CHECK(std::abs(loss - double(want)) < 1e-15);
  for (int k = 0; k < 3; ++k) CHECK(std::abs(b.df(k) - double(-sigmoid(b.f(k)))) < 1e-16);
}

TEST_CASE("confident logits: softplus and its sigmoid saturate without overflow or NaN", "[adversarial]") {
  static constexpr auto nonsaturating = lf::kokkos::compile(L::gan_g_nonsaturating(fake, L::none), lf::wrt(fake));
  vector f("fake", 4), loss("l", 4), df("df", 4);
  f(0) = -1000, f(1) = -40, f(2) = 40, f(3) = 1000;
  nonsaturating(lf::bind(fake = f), loss, df);
  CHECK(loss(0) == 1000);  // softplus(1000) = 1000 + log1p(exp(-1000))
  CHECK(std::abs(loss(1) - 40) < 1e-14);
  CHECK(std::abs(loss(2) - double(std::exp(-40.0L))) < 1e-30);
  CHECK(loss(3) == 0);
  CHECK(df(0) == -1);
  CHECK(df(3) == 0);
  for (int k = 0; k < 4; ++k) CHECK(std::isfinite(df(k)));
}

TEST_CASE("hinge, Wasserstein and least-squares losses against their closed forms", "[adversarial]") {
  static constexpr auto hinge = lf::kokkos::compile(L::hinge_gan_d(real, fake, L::mean), lf::wrt(real, fake));
  static constexpr auto critic = lf::kokkos::compile(L::wgan_critic(real, fake, L::sum), lf::wrt(real, fake));
  constexpr lf::scalar<"a"> a;
  constexpr lf::scalar<"b"> bb;
  static constexpr auto lsgan = lf::kokkos::compile(L::lsgan_d(real, fake, a, bb, L::mean), lf::wrt(real, fake));
  batches b;
  double want = 0;
  for (int k = 0; k < 5; ++k) want += std::max(0.0, 1 - b.r(k)) / 5;
  for (int k = 0; k < 3; ++k) want += std::max(0.0, 1 + b.f(k)) / 3;
  CHECK(std::abs(hinge(lf::bind(real = b.r, fake = b.f), b.dr, b.df) - want) < 1e-15);
  for (int k = 0; k < 5; ++k) CHECK(b.dr(k) == (b.r(k) < 1 ? -1.0 / 5 : 0.0));
  for (int k = 0; k < 3; ++k) CHECK(b.df(k) == (b.f(k) > -1 ? 1.0 / 3 : 0.0));

  double real_sum = 0, fake_sum = 0;
  for (int k = 0; k < 5; ++k) real_sum += b.r(k);
  for (int k = 0; k < 3; ++k) fake_sum += b.f(k);
  CHECK(std::abs(critic(lf::bind(real = b.r, fake = b.f), b.dr, b.df) - (fake_sum - real_sum)) < 1e-15);
  CHECK(b.dr(4) == -1);
  CHECK(b.df(0) == 1);

  want = 0;
  for (int k = 0; k < 5; ++k) want += 0.5 * (b.r(k) - 0.9) * (b.r(k) - 0.9) / 5;
  for (int k = 0; k < 3; ++k) want += 0.5 * (b.f(k) + 0.2) * (b.f(k) + 0.2) / 3;
  CHECK(std::abs(lsgan(lf::bind(real = b.r, fake = b.f, a = -0.2, bb = 0.9), b.dr, b.df) - want) < 1e-15);
  for (int k = 0; k < 5; ++k) CHECK(std::abs(b.dr(k) - (b.r(k) - 0.9) / 5) < 1e-16);
  for (int k = 0; k < 3; ++k) CHECK(std::abs(b.df(k) - (b.f(k) + 0.2) / 3) < 1e-16);
}
