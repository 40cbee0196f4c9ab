// lossforge example 6: the fused kernels without Kokkos.
//
// Combo (Dice + w * BCE) over a segmentation mask, with its gradient with respect to the prediction, through the
// serial executor: the same plan and the same vectorized host kernels as the Kokkos backend, run in plain loops on
// the calling thread, over std::vector memory seen through lf::strided_view. The example prints the plan, runs it,
// and checks the loss against a hand-written loop and the gradient against finite differences of that loop.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <lossforge/backends/serial.hpp>
#include <lossforge/losses.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

constexpr lf::tensor<"p", 2> p;  // predicted probabilities [H, W]
constexpr lf::tensor<"g", 2> g;  // mask [H, W]
constexpr lf::scalar<"w"> w;

constexpr auto combo = L::combo(p, g, 1.0, w);  // 1 - (1 + 2 sum(p g)) / (1 + sum(p^2) + sum(g^2)) + w mean(bce)
constexpr auto kernel = lf::serial::compile(combo, lf::wrt(p));

// The loss written as loops, in double.
double combo_by_hand(std::vector<double> const& pv, std::vector<double> const& gv, double weight) {
  double pg = 0, pp = 0, gg = 0, bce = 0;
  for (std::size_t k = 0; k < pv.size(); ++k) {
    pg += pv[k] * gv[k];
    pp += pv[k] * pv[k];
    gg += gv[k] * gv[k];
    bce -= gv[k] * std::max(std::log(pv[k]), -100.0) + (1 - gv[k]) * std::max(std::log1p(-pv[k]), -100.0);
  }
  return 1 - (1 + 2 * pg) / (1 + pp + gg) + weight * bce / double(pv.size());
}

int main() {
  std::ptrdiff_t const height = 48, width = 64;
  std::size_t const n = std::size_t(height * width);
  std::vector<double> pv(n), gv(n), dp(n);
  for (std::size_t k = 0; k < n; ++k) {
    pv[k] = 0.5 + 0.45 * std::sin(0.37 * double(k));
    gv[k] = std::cos(0.11 * double(k)) > 0 ? 1 : 0;
  }
  double const weight = 0.5;
  auto const view = [&](std::vector<double> const& v) {
    return lf::strided_view<double const, 2>(v.data(), {height, width});
  };
  auto const bound = lf::bind(p = view(pv), g = view(gv), w = weight);
  lf::strided_view<double, 2> const grad_p(dp.data(), {height, width});

  std::cout << kernel.describe(bound, grad_p) << "\n";
  double const loss = kernel(bound, grad_p);
  double const want = combo_by_hand(pv, gv, weight);
  std::printf("combo %.15f, by hand %.15f\n", loss, want);
  bool ok = std::abs(loss - want) <= 1e-12 * std::max(1.0, std::abs(want));

  for (std::size_t k : {std::size_t(0), n / 3, n - 1}) {  // central differences of the hand-written loss
    double const h = 1e-6;
    std::vector<double> up = pv, down = pv;
    up[k] += h;
    down[k] -= h;
    double const fd = (combo_by_hand(up, gv, weight) - combo_by_hand(down, gv, weight)) / (2 * h);
    std::printf("dloss/dp[%zu] %.10e, finite difference %.10e\n", k, dp[k], fd);
    // The difference's rounding error is about eps |loss| / h = 1e-10; its truncation error, h^2 |f'''| / 6, less.
    ok = ok && std::abs(dp[k] - fd) <= 1e-6 * std::max(1e-3, std::abs(fd));
  }
  std::puts(ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
