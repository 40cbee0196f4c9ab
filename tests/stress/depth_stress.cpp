// Depth stress: the gradients of Dice + 0.5 BCE + cross-entropy over logits + L1 + L2 on a weight tensor, with
// respect to all three differentiable tensors, computed at compile time. Its compile time and peak memory are
// recorded in the README (goal: under 20 s and 2 GB on the 2-core build machine). It runs as a test too: each
// gradient is checked against central finite differences at a few entries.
#include <cmath>
#include <cstdio>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <vector>

namespace lf = lossforge;
using namespace lf::literals;

constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
constexpr lf::tensor<"w"> w;
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::index<"i"> i;
constexpr lf::index<"c"> c;

constexpr auto dice = 1_c - 2_c * lf::sum(p * g) / (lf::sum(p * p) + lf::sum(g * g));
constexpr auto bce = -lf::mean(g * lf::log(p) + (1_c - g) * lf::log(1_c - p));
constexpr auto cross_entropy = lf::mean(i, lf::logsumexp(c, x(i, c)) - x(i, t(i)));
constexpr auto l1 = lf::sum(lf::abs(w));
constexpr auto l2 = lf::sum(lf::square(w));
constexpr auto loss = dice + 0.5 * bce + cross_entropy + 0.01 * l1 + 0.001 * l2;

constexpr auto dp = lf::grad(loss, p);
constexpr auto dx = lf::grad(loss, x);
constexpr auto dw = lf::grad(loss, w);

int main() {
  std::vector<double> pv{0.2, 0.7, 0.9, 0.4}, gv{0, 1, 1, 0}, wv{0.5, -1.5, 2.0}, xv{1, 2, 3, 0.5, -1, 2};
  std::vector<long> tv{2, 0};
  auto bind = [&](std::vector<double> const& pp, std::vector<double> const& xx, std::vector<double> const& ww) {
    return lf::bind(p = lf::host_view(pp, {4}), g = lf::host_view(gv, {4}), w = lf::host_view(ww, {3}),
                    x = lf::host_view(xx, {2, 3}), t = lf::host_view(tv, {2}));
  };
  int failures = 0;
  auto check = [&](double got, std::vector<double> const& data, std::size_t k, int which) {
    double const h = 1e-6;
    auto moved = [&](double delta) {
      auto d = data;
      d[k] += delta;
      return which == 0   ? lf::reference::evaluate(loss, bind(d, xv, wv))
             : which == 1 ? lf::reference::evaluate(loss, bind(pv, d, wv))
                          : lf::reference::evaluate(loss, bind(pv, xv, d));
    };
    double const expected = (moved(h) - moved(-h)) / (2 * h);
    if (std::abs(got - expected) > 1e-7 * std::max(1.0, std::abs(expected))) {
      std::printf("gradient %d[%zu]: %.12g, finite difference %.12g\n", which, k, got, expected);
      ++failures;
    }
  };
  auto const b = bind(pv, xv, wv);
  auto const gp = lf::reference::evaluate(dp, b), gx = lf::reference::evaluate(dx, b),
             gw = lf::reference::evaluate(dw, b);
  for (std::size_t k = 0; k < pv.size(); ++k) check(gp.values[k], pv, k, 0);
  for (std::size_t k = 0; k < xv.size(); ++k) check(gx.values[k], xv, k, 1);
  for (std::size_t k = 0; k < wv.size(); ++k) check(gw.values[k], wv, k, 2);
  std::printf("depth stress: loss %.12g, %d gradient entries off\n", lf::reference::evaluate(loss, b), failures);
  return failures == 0 ? 0 : 1;
}
