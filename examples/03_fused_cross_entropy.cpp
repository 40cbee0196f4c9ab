// lossforge example 3: cross entropy from logits with label smoothing, value and gradient in one fused kernel.
//
// For logits x[N, C] and class indices t[N], PyTorch's cross_entropy(x, t, label_smoothing=eps) is
//   mean_i [ (1 - eps) (lse_i - x[i, t_i]) + eps mean_c (lse_i - x[i, c]) ],   lse_i = log sum_c exp(x[i, c])
// with gradient (softmax(x_i) - (1 - eps) onehot(t_i) - eps / C) / N. The kernel computes each row's log-sum-exp
// once and uses it for the loss and the gradient row; the example checks both against a plain loop over these
// formulas.
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <random>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

constexpr lf::tensor<"x", 2> x;      // logits [N, C]
constexpr lf::int_tensor<"t", 1> t;  // class indices [N]
constexpr lf::scalar<"eps"> eps;     // label smoothing, bound at run time

constexpr auto ce = L::cross_entropy(x, t, L::cross_entropy_options<>{}.label_smoothing(eps), L::mean);
constexpr auto kernel = lf::kokkos::compile(ce, lf::wrt(x));

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  int const n = 256, classes = 1000;
  double const smoothing = 0.1;
  Kokkos::View<float**, Kokkos::LayoutRight, Kokkos::HostSpace> logits("x", n, classes), dx("dx", n, classes);
  Kokkos::View<int*, Kokkos::HostSpace> targets("t", n);
  std::mt19937 random(3);
  std::normal_distribution<float> normal(0.f, 3.f);
  for (int i = 0; i < n; ++i) {
    targets(i) = int(random() % classes);
    for (int c = 0; c < classes; ++c) logits(i, c) = normal(random);
  }
  auto const bindings = lf::bind(x = logits, t = targets, eps = smoothing);
  std::cout << "loss = " << lf::to_text(lf::simplify(ce)) << "\n\n" << kernel.describe(bindings, dx) << "\n";

  double const loss = kernel(bindings, dx);  // one kernel: value and gradient

  // The formulas above in a plain double loop.
  double expected = 0, gradient_error = 0;
  for (int i = 0; i < n; ++i) {
    double m = -INFINITY, s = 0;
    for (int c = 0; c < classes; ++c) m = std::max(m, double(logits(i, c)));
    for (int c = 0; c < classes; ++c) s += std::exp(logits(i, c) - m);
    double const lse = m + std::log(s);
    double smoothed = 0;
    for (int c = 0; c < classes; ++c) {
      smoothed += (lse - logits(i, c)) / classes;
      double const want =
          (std::exp(logits(i, c) - lse) - (c == targets(i)) * (1 - smoothing) - smoothing / classes) / n;
      gradient_error = std::max(gradient_error, std::abs(dx(i, c) - want) * n);
    }
    expected += ((1 - smoothing) * (lse - logits(i, targets(i))) + smoothing * smoothed) / n;
  }
  // The kernel computes in float, as the Views hold (sums in double): the loss to 1e-6 relative, the gradient to
  // 1e-6 of its scale 1/N (a float softmax entry is good to a few ulps, 6e-8 each).
  bool const ok = std::abs(loss - expected) <= 1e-6 * expected && gradient_error <= 1e-6;
  std::printf("loss %.12f (plain loop %.12f); max |dx - formula| * N = %.2e  %s\n", loss, expected, gradient_error,
              ok ? "ok" : "OFF");
  return ok ? 0 : 1;
}
