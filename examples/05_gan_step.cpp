// lossforge example 5: the two losses of one GAN training step from one set of discriminator logits.
//
// The discriminator scores a real batch (logits r[B]) and a generated one (logits f[B]). The step needs
//   the discriminator's loss  L_D = mean_i softplus(-r_i) + mean_i softplus(f_i)   (BCE: real 1, fake 0)
//   the generator's loss      L_G = mean_i softplus(-f_i)                         (non-saturating: fake called 1)
// and their gradients with respect to the logits, which the caller backpropagates through each network:
//   dL_D/dr_i = -sigmoid(-r_i) / B,  dL_D/df_i = sigmoid(f_i) / B,  dL_G/df_i = -sigmoid(-f_i) / B.
// Each loss is compiled once into a kernel that returns its value and writes its gradients in the same pass over
// the logits; the example checks them against the formulas above in a plain loop.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <random>

namespace lf = lossforge;
namespace L = lf::losses;

constexpr lf::tensor<"real"> real;  // the discriminator's logits on real samples
constexpr lf::tensor<"fake"> fake;  // and on generated ones

constexpr auto discriminator = lf::kokkos::compile(L::gan_d_bce(real, fake, L::mean), lf::wrt(real, fake));
constexpr auto generator = lf::kokkos::compile(L::gan_g_nonsaturating(fake, L::mean), lf::wrt(fake));

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  int const batch = 512;
  using logits = Kokkos::View<double*, Kokkos::HostSpace>;
  logits r("real", batch), f("fake", batch), dr("dL_D/dreal", batch), df("dL_D/dfake", batch),
      dg("dL_G/dfake", batch);
  std::mt19937 random(5);
  std::normal_distribution<double> confident_real(3.0, 2.0), unsure_fake(-1.0, 2.0);
  for (int i = 0; i < batch; ++i) r(i) = confident_real(random), f(i) = unsure_fake(random);

  auto const scores = lf::bind(real = r, fake = f);
  std::cout << discriminator.describe(scores, dr, df) << '\n' << generator.describe(scores, dg) << '\n';
  double const loss_d = discriminator(scores, dr, df);  // L_D and both of its gradients
  double const loss_g = generator(scores, dg);          // L_G and its gradient

  auto softplus = [](double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); };
  auto sigmoid = [](double x) { return 1 / (1 + std::exp(-x)); };
  double want_d = 0, want_g = 0, gradient_error = 0;
  for (int i = 0; i < batch; ++i) {
    want_d += (softplus(-r(i)) + softplus(f(i))) / batch;
    want_g += softplus(-f(i)) / batch;
    gradient_error = std::max({gradient_error, std::abs(dr(i) + sigmoid(-r(i)) / batch) * batch,
                               std::abs(df(i) - sigmoid(f(i)) / batch) * batch,
                               std::abs(dg(i) + sigmoid(-f(i)) / batch) * batch});
  }
  // Double Views: the sums agree to rounding (1e-14 relative), each gradient to a few ulps of its scale 1/B.
  bool const ok = std::abs(loss_d - want_d) <= 1e-14 * want_d && std::abs(loss_g - want_g) <= 1e-14 * want_g &&
                  gradient_error <= 1e-14;
  std::printf("L_D %.15f (plain loop %.15f), L_G %.15f (%.15f); max gradient error * B = %.1e  %s\n", loss_d, want_d,
              loss_g, want_g, gradient_error, ok ? "ok" : "OFF");
  return ok ? 0 : 1;
}
