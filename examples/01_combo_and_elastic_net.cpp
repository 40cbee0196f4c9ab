// lossforge example 1: compose losses the way they are written on paper, let the compiler derive their gradients,
// print both, and check the derivatives against finite differences with the reference evaluator.
//
//   combo   = dice + w * bce           (segmentation: Dice plus a weighted binary cross-entropy)
//   elastic = l1(wts) + l2(wts)        (elastic-net regularisation of a weight tensor)
#include <cmath>
#include <cstdio>
#include <iostream>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <random>
#include <vector>

namespace lf = lossforge;
using namespace lf::literals;

constexpr lf::tensor<"p"> p;      // predicted probabilities, any rank
constexpr lf::tensor<"g"> g;      // ground truth
constexpr lf::scalar<"w"> w;      // a runtime weight
constexpr lf::tensor<"wts"> wts;  // model weights

constexpr auto dice = 1_c - 2_c * lf::sum(p * g) / (lf::sum(p * p) + lf::sum(g * g));
constexpr auto bce = -lf::mean(g * lf::log(p) + (1_c - g) * lf::log(1_c - p));
constexpr auto combo = dice + w * bce;

constexpr auto l1 = lf::sum(lf::abs(wts));
constexpr auto l2 = lf::sum(lf::square(wts));
constexpr auto elastic = 0.01 * l1 + 0.001 * l2;

int main() {
  std::cout << "combo      = " << lf::to_text(combo) << "\n";
  std::cout << "dcombo/dp  = " << lf::to_text(lf::grad(combo, p)) << "\n";
  std::cout << "dcombo/dw  = " << lf::to_text(lf::grad(combo, w)) << "\n";
  std::cout << "elastic    = " << lf::to_text(elastic) << "\n";
  std::cout << "delastic/dwts = " << lf::to_text(lf::grad(elastic, wts)) << "\n";
  std::cout << "LaTeX: " << lf::to_latex(lf::grad(combo, p)) << "\n\n";

  // Generated data: a 64 x 64 mask and predictions in (0, 1); 1000 weights.
  std::mt19937 random(7);
  std::uniform_real_distribution<double> unit(0.02, 0.98), weight(-1, 1);
  std::vector<double> pv(64 * 64), gv(64 * 64), wv(1000);
  for (std::size_t k = 0; k < pv.size(); ++k) pv[k] = unit(random), gv[k] = unit(random) < 0.3 ? 1 : 0;
  for (auto& v : wv) v = weight(random);
  auto bind = [&](std::vector<double> const& pp) {
    return lf::bind(p = lf::host_view(pp, {64, 64}), g = lf::host_view(gv, {64, 64}), w = 0.5);
  };

  double const loss = lf::reference::evaluate(combo, bind(pv));
  auto const dp = lf::reference::evaluate(lf::grad(combo, p), bind(pv));
  std::printf("combo = %.12f over %zu elements; gradient shape [%td, %td]\n", loss, pv.size(), dp.shape[0],
              dp.shape[1]);
  int off = 0;
  for (std::size_t k : {0u, 17u, 1234u, 4095u}) {
    double const h = 1e-6;
    auto moved = pv;
    moved[k] += h;
    double const up = lf::reference::evaluate(combo, bind(moved));
    moved[k] -= 2 * h;
    double const down = lf::reference::evaluate(combo, bind(moved));
    double const fd = (up - down) / (2 * h);
    bool const ok = std::abs(dp.values[k] - fd) <= 1e-7 * std::max(1.0, std::abs(fd));
    off += !ok;
    std::printf("  dcombo/dp[%4zu] = % .10e   finite difference % .10e   %s\n", k, dp.values[k], fd, ok ? "ok" : "OFF");
  }
  auto const dwts = lf::reference::evaluate(lf::grad(elastic, wts), lf::bind(wts = lf::host_view(wv)));
  double const expected = 0.01 * (wv[3] > 0 ? 1 : -1) + 0.002 * wv[3];
  bool const ok = std::abs(dwts.values[3] - expected) < 1e-15;
  off += !ok;
  std::printf("elastic: d/dwts[3] = %.12f, closed form 0.01 sign(w) + 0.002 w = %.12f   %s\n", dwts.values[3], expected,
              ok ? "ok" : "OFF");
  return off == 0 ? 0 : 1;
}
