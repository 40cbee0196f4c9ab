// lossforge example 2: a loss that is not in the catalogue, fused in a few lines.
//
// The Charbonnier loss (a smooth L1 used in image restoration), mean(sqrt((p - g)^2 + eps^2)), with its gradient
// with respect to the prediction and to eps itself. The example prints the derivatives and the plan, runs the
// fused kernel, and checks the gradients against their closed forms and against finite differences of the loss.
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <lossforge/backends/kokkos.hpp>

namespace lf = lossforge;

constexpr lf::tensor<"p"> p;      // prediction, any rank
constexpr lf::tensor<"g"> g;      // target
constexpr lf::scalar<"eps"> eps;  // smoothing, differentiable like any symbol

constexpr auto charbonnier = lf::mean(lf::sqrt(lf::square(p - g) + lf::square(eps)));
constexpr auto kernel = lf::kokkos::compile(charbonnier, lf::wrt(p, eps));  // loss and both gradients
constexpr auto loss_only = lf::kokkos::compile(charbonnier);

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  std::cout << "loss      = " << lf::to_text(charbonnier) << "\n";
  std::cout << "dloss/dp  = " << lf::to_text(lf::grad(charbonnier, p)) << "\n";
  std::cout << "dloss/deps = " << lf::to_text(lf::grad(charbonnier, eps)) << "\n\n";

  int const rows = 64, cols = 48;
  Kokkos::View<double**, Kokkos::HostSpace> pv("p", rows, cols), gv("g", rows, cols), dp("dp", rows, cols);
  Kokkos::View<double, Kokkos::HostSpace> deps("deps");  // a scalar's gradient is a rank-0 View
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) pv(i, j) = std::sin(0.1 * i + 0.3 * j), gv(i, j) = std::cos(0.2 * i * j);
  double const e = 1e-3;
  auto const bindings = lf::bind(p = pv, g = gv, eps = e);
  std::cout << kernel.describe(bindings, dp, deps) << "\n";

  double const loss = kernel(bindings, dp, deps);

  // Closed forms: d/dp = (p - g) / (N r), d/deps = mean(eps / r) with r = sqrt((p - g)^2 + eps^2).
  double const n = rows * cols;
  double expected_loss = 0, expected_deps = 0, gradient_error = 0;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      double const d = pv(i, j) - gv(i, j), r = std::sqrt(d * d + e * e);
      expected_loss += r / n, expected_deps += e / r / n;
      gradient_error = std::max(gradient_error, std::abs(dp(i, j) - d / (n * r)) * n);
    }
  int failures = 0;
  auto report = [&](char const* what, double got, double want, double tolerance) {
    bool const ok = std::abs(got - want) <= tolerance * std::max(1.0, std::abs(want));
    failures += !ok;
    std::printf("%-34s % .12e  expected % .12e  %s\n", what, got, want, ok ? "ok" : "OFF");
  };
  report("loss", loss, expected_loss, 1e-13);
  report("dloss/deps", deps(), expected_deps, 1e-13);
  report("max |dloss/dp - closed form| * N", gradient_error, 0, 1e-13);
  for (auto [i, j] : {std::pair{0, 0}, std::pair{17, 5}, std::pair{63, 47}}) {
    double const h = 1e-6, original = pv(i, j);
    pv(i, j) = original + h;
    double const up = loss_only(bindings);
    pv(i, j) = original - h;
    double const down = loss_only(bindings);
    pv(i, j) = original;
    char label[48];
    std::snprintf(label, sizeof label, "dloss/dp[%d,%d] vs finite difference", i, j);
    report(label, dp(i, j) * n, (up - down) / (2 * h) * n, 1e-6);
  }
  return failures == 0 ? 0 : 1;
}
