// lossforge example 8: a kernel of its own (SSIM, CTC) inside a loss written in the DSL, by the chain rule through a
// scalar symbol.
//
// Image restoration often trains on L = 0.84 (1 - SSIM(x, y)) + 0.16 mean|x - y| (Zhao et al. 2017), speech models on
// CTC plus a weight penalty. SSIM and CTC are kernels of their own, not expressions, so such a loss names their value
// with a scalar symbol s and is differentiated with respect to it as well:
//   1. s = ssim_loss(x, y), with ds/dx into a View;
//   2. the DSL kernel of L(x, s) returns L, dL/dx (its direct part) and dL/ds;
//   3. dL/dx += dL/ds * ds/dx.
// The example checks the gradients against central differences of the whole loss, both kernels together. SSIM and CTC
// are also primitives of the catalogue, which put them inside the expression: the restoration loss is then one compiled
// call (`whole_restoration`), and the example checks that it gives the same loss and gradient.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

constexpr lf::tensor<"x", 4> x;  // restored images
constexpr lf::tensor<"y", 4> y;  // the clean ones
constexpr lf::scalar<"ssim"> s;  // 1 - SSIM(x, y), from its own kernel
constexpr auto restoration = lf::kokkos::compile(0.84 * s + 0.16 * L::l1(x, y, L::mean), lf::wrt(x, s));
// The same loss with SSIM as a primitive: one call returns L and writes dL/dx.
constexpr auto whole_restoration =
    lf::kokkos::compile(0.84 * L::ssim_loss<{.window_size = 7}>(x, y) + 0.16 * L::l1(x, y, L::mean), lf::wrt(x));

constexpr lf::tensor<"w", 1> w;   // weights of the output layer
constexpr lf::scalar<"ctc"> ctc;  // the CTC loss, from its own kernel
constexpr auto speech = lf::kokkos::compile(ctc + L::l2_reg(w, 0.1), lf::wrt(w, ctc));

using images = Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace>;
using number = Kokkos::View<double, Kokkos::HostSpace>;

// L and dL/dx for the restoration loss: the two kernels and the chain rule.
double restoration_loss(images const& xv, images const& yv, images const& dx) {
  Kokkos::DefaultHostExecutionSpace const exec;
  images const ds_dx("ds/dx", xv.extent(0), xv.extent(1), xv.extent(2), xv.extent(3));
  double const ssim_value = lf::kokkos::ssim_loss(exec, xv, yv, ds_dx, {.window_size = 7});
  number const dl_ds("dL/ds");
  double const loss = restoration(exec, lf::bind(x = xv, y = yv, s = ssim_value), dx, dl_ds);
  exec.fence();
  for (std::size_t e = 0; e < dx.size(); ++e) dx.data()[e] += dl_ds() * ds_dx.data()[e];
  return loss;
}

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  int failures = 0;
  {
    images xv("x", 2, 3, 16, 16), yv("y", 2, 3, 16, 16), dx("dL/dx", 2, 3, 16, 16);
    for (std::size_t e = 0; e < xv.size(); ++e) {
      yv.data()[e] = 0.5 + 0.4 * std::sin(0.05 * double(e));
      xv.data()[e] = yv.data()[e] + 0.1 * std::cos(1.7 * double(e));  // a noisy restoration
    }
    double const loss = restoration_loss(xv, yv, dx);
    number const dl_ds("dL/ds");
    std::printf("restoration: %s\n  L = %.10f\n",
                restoration.describe(lf::bind(x = xv, y = yv, s = 0.0), dx, dl_ds).c_str(), loss);
    images scratch("scratch", 2, 3, 16, 16);
    double largest = 0;
    for (std::size_t e : {0UL, 77UL, 500UL, 1535UL}) {  // L has kinks only where x = y, which these are not
      double const keep = xv.data()[e], h = 1e-6;
      xv.data()[e] = keep + h;
      double const up = restoration_loss(xv, yv, scratch);
      xv.data()[e] = keep - h;
      double const down = restoration_loss(xv, yv, scratch);
      xv.data()[e] = keep;
      largest = std::max(largest, std::abs(dx.data()[e] - (up - down) / (2 * h)));
    }
    std::printf("  dL/dx against central differences: largest difference %.2e\n", largest);
    failures += !(largest < 1e-8);
    images const dx_whole("dL/dx, one call", 2, 3, 16, 16);
    double const whole = whole_restoration(lf::bind(x = xv, y = yv), dx_whole);
    double apart = 0;
    for (std::size_t e = 0; e < dx.size(); ++e) apart = std::max(apart, std::abs(dx_whole.data()[e] - dx.data()[e]));
    std::printf("  with SSIM a primitive, one call: L = %.10f, dL/dx apart by %.2e\n", whole, apart);
    // The two sum in different orders (the primitive weighs each position's partials by 0.84 / positions, the chain
    // rule scales the finished gradient): a few ulps of L (about 0.05), and about 1e-17 of gradient entries near 1e-4
    // that are sums of cancelling window terms.
    failures += !(std::abs(whole - loss) < 1e-14 && apart < 1e-15);
  }
  {
    // CTC over T = 6 frames, N = 2 samples, C = 4 classes, plus 0.1 sum(w^2).
    int const frames = 6, samples = 2, classes = 4;
    Kokkos::View<double***, Kokkos::LayoutRight, Kokkos::HostSpace> logits("logits", frames, samples, classes),
        dctc("dctc/dlogits", frames, samples, classes);
    Kokkos::View<std::int64_t**, Kokkos::LayoutRight, Kokkos::HostSpace> targets("targets", samples, 2);
    Kokkos::View<std::int64_t*, Kokkos::HostSpace> input_lengths("input_lengths", samples),
        target_lengths("target_lengths", samples);
    for (std::size_t e = 0; e < logits.size(); ++e) logits.data()[e] = std::sin(0.9 * double(e));
    targets(0, 0) = 1, targets(0, 1) = 2, targets(1, 0) = 3, targets(1, 1) = 3;
    input_lengths(0) = 6, input_lengths(1) = 5, target_lengths(0) = 2, target_lengths(1) = 2;
    Kokkos::View<double*, Kokkos::HostSpace> wv("w", 3), dw("dL/dw", 3);
    wv(0) = 0.5, wv(1) = -1.0, wv(2) = 2.0;
    Kokkos::DefaultHostExecutionSpace const exec;
    double const ctc_value = lf::kokkos::ctc_loss(exec, logits, targets, input_lengths, target_lengths, dctc, L::mean);
    number const dl_dctc("dL/dctc");
    double const loss = speech(exec, lf::bind(w = wv, ctc = ctc_value), dw, dl_dctc);
    exec.fence();
    // dL/dlogits = dL/dctc * dctc/dlogits (here dL/dctc = 1: the sum passes the gradient through unchanged).
    for (std::size_t e = 0; e < dctc.size(); ++e) dctc.data()[e] *= dl_dctc();
    double const want = ctc_value + 0.1 * (0.25 + 1.0 + 4.0);
    std::printf("speech: L = CTC %.10f + 0.1 |w|^2 = %.10f (want %.10f); dL/dctc = %g, dL/dw = (%g, %g, %g)\n",
                ctc_value, loss, want, dl_dctc(), dw(0), dw(1), dw(2));
    // d(0.1 |w|^2)/dw = 0.2 w.
    bool const penalty_ok =
        std::abs(dw(0) - 0.1) < 1e-15 && std::abs(dw(1) + 0.2) < 1e-15 && std::abs(dw(2) - 0.4) < 1e-15;
    failures += !(std::abs(loss - want) < 1e-12 && dl_dctc() == 1.0 && penalty_ok);
  }
  std::printf("%s\n", failures == 0 ? "all checks passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}
