// lossforge demo: Combo = Dice + 0.5 BCE on 2^24 generated elements (the README's main command).
//
// Prints the loss, its simplified derivative and the plan lossforge made of them; runs the fused kernels; checks a
// few gradient entries against central finite differences of the loss; and times the fused kernels against an
// unfused (eager) evaluation of the same loss and gradient: one Kokkos pass per primitive operation with a
// temporary for each result, as an eager framework runs it. The eager code is written by hand from the formulas,
// so it is also an independent check of the fused values.
//
//   lossforge_demo [log2 of the element count, default 24]
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <random>
#include <vector>

namespace lf = lossforge;
using namespace lf::literals;

namespace {
constexpr lf::tensor<"p"> p;  // predicted probabilities
constexpr lf::tensor<"g"> g;  // the mask
constexpr lf::scalar<"w"> w;  // the BCE weight, 0.5 at run time

constexpr auto combo = lf::losses::combo(p, g, 1_c, w);  // Dice with smoothing 1, plus w * mean BCE
constexpr auto fused = lf::kokkos::compile(combo, lf::wrt(p));
constexpr auto fused_loss_only = lf::kokkos::compile(combo);

using vector = Kokkos::View<double*>;

// The eager evaluation: every primitive is its own pass, and every intermediate a full-size temporary.
struct eager {
  std::ptrdiff_t n;
  template <class F>
  void map(vector const& out, F const& f) const {
    Kokkos::parallel_for(
        "demo::eager::map", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(std::ptrdiff_t i) { out(i) = f(i); });
  }
  double total(vector const& a) const {
    double s = 0;
    Kokkos::parallel_reduce(
        "demo::eager::sum", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(std::ptrdiff_t i, double& acc) { acc += a(i); },
        s);
    return s;
  }
  // Loss and gradient of Dice (smooth s) + w * BCE; t1..t4 are temporaries.
  double run(vector const& pv, vector const& gv, double s, double wv, vector const& dp, vector const& t1,
             vector const& t2, vector const& t3, vector const& t4) const {
    map(
        t1, KOKKOS_LAMBDA(std::ptrdiff_t i) { return pv(i) * gv(i); });
    double const inter = total(t1);
    map(
        t1, KOKKOS_LAMBDA(std::ptrdiff_t i) { return pv(i) * pv(i); });
    double const pp = total(t1);
    map(
        t1, KOKKOS_LAMBDA(std::ptrdiff_t i) { return gv(i) * gv(i); });
    double const gg = total(t1);
    // BCE as PyTorch writes it: -(g max(log p, -100) + (1 - g) max(log(1 - p), -100)).
    map(
        t1, KOKKOS_LAMBDA(std::ptrdiff_t i) { return std::log(pv(i)); });
    map(
        t1, KOKKOS_LAMBDA(std::ptrdiff_t i) { return std::max(t1(i), -100.0); });
    map(
        t1, KOKKOS_LAMBDA(std::ptrdiff_t i) { return gv(i) * t1(i); });
    map(
        t2, KOKKOS_LAMBDA(std::ptrdiff_t i) { return 1 - pv(i); });
    map(
        t2, KOKKOS_LAMBDA(std::ptrdiff_t i) { return std::log(t2(i)); });
    map(
        t2, KOKKOS_LAMBDA(std::ptrdiff_t i) { return std::max(t2(i), -100.0); });
    map(
        t3, KOKKOS_LAMBDA(std::ptrdiff_t i) { return 1 - gv(i); });
    map(
        t2, KOKKOS_LAMBDA(std::ptrdiff_t i) { return t3(i) * t2(i); });
    map(
        t1, KOKKOS_LAMBDA(std::ptrdiff_t i) { return t1(i) + t2(i); });
    double const bce = -total(t1) / double(n);
    double const denominator = pp + gg + s, numerator = 2 * inter + s;
    // d dice / dp = -2 g / D + 2 p (2 I + s) / D^2; d bce / dp = (p - g) / (N max(p (1 - p), 1e-12)) (PyTorch).
    map(
        t1, KOKKOS_LAMBDA(std::ptrdiff_t i) { return gv(i) * (-2 / denominator); });
    map(
        t2, KOKKOS_LAMBDA(std::ptrdiff_t i) { return pv(i) * (2 * numerator / (denominator * denominator)); });
    map(
        t1, KOKKOS_LAMBDA(std::ptrdiff_t i) { return t1(i) + t2(i); });
    map(
        t2, KOKKOS_LAMBDA(std::ptrdiff_t i) { return pv(i) - gv(i); });
    map(
        t3, KOKKOS_LAMBDA(std::ptrdiff_t i) { return 1 - pv(i); });
    map(
        t3, KOKKOS_LAMBDA(std::ptrdiff_t i) { return pv(i) * t3(i); });
    map(
        t3, KOKKOS_LAMBDA(std::ptrdiff_t i) { return std::max(t3(i), double(1e-12f)); });
    map(
        t4, KOKKOS_LAMBDA(std::ptrdiff_t i) { return t2(i) / t3(i); });
    double const scale = wv / double(n);
    map(
        t4, KOKKOS_LAMBDA(std::ptrdiff_t i) { return t4(i) * scale; });
    map(
        dp, KOKKOS_LAMBDA(std::ptrdiff_t i) { return t1(i) + t4(i); });
    Kokkos::fence();
    return 1 - numerator / denominator + wv * bce;
  }
};

template <class F>
double median_seconds(F const& f, int repetitions) {
  f();  // warm-up
  std::vector<double> times;
  for (int r = 0; r < repetitions; ++r) {
    auto const start = std::chrono::steady_clock::now();
    f();
    Kokkos::fence();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  int const log2_n = argc > 1 ? std::atoi(argv[1]) : 24;
  if (log2_n < 4 || log2_n > 28) {
    std::fprintf(stderr, "usage: lossforge_demo [log2 of the element count, 4..28]\n");
    return 2;
  }
  std::ptrdiff_t const n = std::ptrdiff_t(1) << log2_n;
  double const weight = 0.5;

  std::cout << "combo    = " << lf::to_text(combo) << "\n\n";
  std::cout << "dcombo/dp = " << lf::to_text(lf::grad(combo, p)) << "\n\n";

  vector pv("p", n), gv("g", n), dp("dp", n);
  {
    auto ph = Kokkos::create_mirror_view(pv), gh = Kokkos::create_mirror_view(gv);
    std::mt19937_64 random(2024);
    std::uniform_real_distribution<double> unit(0.02, 0.98);
    for (std::ptrdiff_t i = 0; i < n; ++i) ph(i) = unit(random), gh(i) = unit(random) < 0.3 ? 1.0 : 0.0;
    Kokkos::deep_copy(pv, ph), Kokkos::deep_copy(gv, gh);
  }
  auto const bindings = lf::bind(p = pv, g = gv, w = weight);
  std::cout << "plan for " << n << " elements of double:\n" << fused.describe(bindings, dp) << "\n";

  double const loss = fused(bindings, dp);
  std::printf("loss = %.15f\n\n", loss);

  // Finite differences of the loss (loss-only kernel) at a few entries. Double sums of 2^24 terms keep about
  // 1e-16 * 2^24 of absolute rounding, so h = 1e-4 keeps the difference well above it (relative error ~1e-6).
  int failures = 0;
  auto dp_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dp);
  auto p_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pv);
  std::printf("finite-difference check (central, h = 1e-4):\n");
  for (std::ptrdiff_t k : {std::ptrdiff_t(0), n / 3, n / 2 + 1, n - 1}) {
    double const h = 1e-4, original = p_host(k);
    auto at = [&](double value) {
      Kokkos::deep_copy(Kokkos::subview(pv, k), value);
      return fused_loss_only(bindings);
    };
    double const fd = (at(original + h) - at(original - h)) / (2 * h);
    Kokkos::deep_copy(Kokkos::subview(pv, k), original);
    double const error = std::abs(fd - dp_host(k)) / std::abs(fd);
    bool const ok = error < 1e-4;
    failures += !ok;
    std::printf("  dp[%9td] = % .10e   finite difference % .10e   relative error %.1e  %s\n", k, dp_host(k), fd, error,
                ok ? "ok" : "OFF");
  }

  vector eager_dp("eager dp", n), t1("t1", n), t2("t2", n), t3("t3", n), t4("t4", n);
  eager const unfused{n};
  double const eager_loss = unfused.run(pv, gv, 1.0, weight, eager_dp, t1, t2, t3, t4);
  double gradient_error = 0;
  {
    auto eager_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), eager_dp);
    for (std::ptrdiff_t i = 0; i < n; ++i)
      gradient_error = std::max(gradient_error, std::abs(eager_host(i) - dp_host(i)) / std::abs(eager_host(i)));
  }
  double const loss_error = std::abs(eager_loss - loss) / std::abs(eager_loss);
  bool const agree = loss_error < 1e-12 && gradient_error < 1e-12;
  failures += !agree;
  std::printf(
      "\nunfused (eager) evaluation: loss %.15f, relative difference %.1e; gradient max relative difference %.1e  %s\n",
      eager_loss, loss_error, gradient_error, agree ? "ok" : "OFF");

  int const repetitions = 5;
  double const t_fused = median_seconds([&] { fused(bindings, dp); }, repetitions);
  double const t_eager =
      median_seconds([&] { unfused.run(pv, gv, 1.0, weight, eager_dp, t1, t2, t3, t4); }, repetitions);
  std::printf("\ntime, median of %d on %s (%d thread(s)):\n", repetitions, Kokkos::DefaultExecutionSpace::name(),
              int(Kokkos::DefaultExecutionSpace().concurrency()));
  std::printf("  fused:   %8.2f ms  (2 kernels: value and gradient)\n", t_fused * 1e3);
  std::printf("  unfused: %8.2f ms  (26 passes with temporaries)\n", t_eager * 1e3);
  std::printf("  unfused / fused = %.1fx\n", t_eager / t_fused);
  return failures == 0 ? 0 : 1;
}
