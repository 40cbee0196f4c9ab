// The planner's promise, pinned by counting kernel launches through Kokkos' profiling callbacks: elementwise-then-
// mean losses take one kernel for the value and the gradient together, global non-decomposable losses two, cross
// entropy from logits one (its weighted mean's denominator recomputed by each chunk of rows). Each fused result
// equals the reference evaluator.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <tests/support/kokkos_events.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
using lf::test::kernels_launched;

constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
constexpr lf::scalar<"delta"> delta;
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::tensor<"w", 1> w;
constexpr lf::scalar<"eps"> eps;
constexpr lf::scalar<"ignore"> ignore;

std::vector<double> values(int n, double lo, double hi, int seed) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) v[std::size_t(k)] = lo + (hi - lo) * (0.5 + 0.5 * std::sin(1.7 * k + seed));
  return v;
}
template <class T>
Kokkos::View<T*, Kokkos::HostSpace> view_of(std::vector<double> const& v) {
  Kokkos::View<T*, Kokkos::HostSpace> out("lossforge::test::input", v.size());
  for (std::size_t k = 0; k < v.size(); ++k) out(k) = T(v[k]);
  return out;
}

// Compiles loss for the gradient with respect to p, runs it on n elements, checks the launch count and that loss
// and gradient equal the reference evaluator's.
template <class T, auto const& Loss>
void check_elementwise(int expected_kernels, double p_lo = 0.05, double p_hi = 0.95) {
  static constexpr auto kernel = lf::kokkos::compile(Loss, lf::wrt(p));
  int const n = 1000;
  auto const pv = values(n, p_lo, p_hi, 1), gv = values(n, 0, 1, 2);
  auto const pk = view_of<T>(pv), gk = view_of<T>(gv);
  Kokkos::View<T*, Kokkos::HostSpace> dp("lossforge::test::dp", std::size_t(n));
  double loss = 0;
  CHECK(kernels_launched([&] { loss = kernel(lf::bind(p = pk, g = gk, delta = 0.3), dp); }) == expected_kernels);
  std::vector<T> pt(pv.begin(), pv.end()), gt(gv.begin(), gv.end());
  auto const host = lf::bind(p = lf::host_view(pt, {n}), g = lf::host_view(gt, {n}), delta = 0.3);
  double const tol = lf::test::tolerance<T>::finite_difference;
  CHECK(lf::test::close(loss, lf::reference::evaluate(Loss, host), tol));
  auto const want = lf::reference::evaluate(lf::grad(Loss, p), host);
  for (int k = 0; k < n; ++k) CHECK(lf::test::close(double(dp(k)), want.values[std::size_t(k)], tol));
}

constexpr auto mse = L::mse(p, g, L::mean);
constexpr auto mae = L::l1(p, g, L::mean);
constexpr auto huber = L::huber(p, g, delta, L::mean);
constexpr auto bce = L::binary_cross_entropy(p, g, L::mean);
constexpr auto bce_logits = L::binary_cross_entropy_with_logits(p, g, L::mean);
constexpr auto dice = L::dice(p, g);
constexpr auto combo = L::combo(p, g, delta, 0.5);
constexpr auto rmse = L::rmse(p, g);
}  // namespace

TEST_CASE("elementwise-then-mean losses: one kernel for value and gradient", "[kokkos][plan]") {
  check_elementwise<double, mse>(1);
  check_elementwise<double, mae>(1);
  check_elementwise<double, huber>(1);
  check_elementwise<double, bce>(1);
  check_elementwise<double, bce_logits>(1, -6, 6);
  check_elementwise<float, mse>(1);
  check_elementwise<float, bce>(1);
}

TEST_CASE("global non-decomposable losses: two kernels", "[kokkos][plan]") {
  check_elementwise<double, dice>(2);
  check_elementwise<double, combo>(2);
  check_elementwise<double, rmse>(2);
  check_elementwise<float, combo>(2);
}

namespace {
constexpr auto ce_smoothed = L::cross_entropy(x, t, L::cross_entropy_options<>{}.label_smoothing(eps), L::mean);
constexpr auto ce_weighted =
    L::cross_entropy(x, t, L::cross_entropy_options<>{}.weight(w).ignore_index(ignore).label_smoothing(eps), L::mean);
constexpr auto ce_weighted_sum =
    L::cross_entropy(x, t, L::cross_entropy_options<>{}.weight(w).ignore_index(ignore).label_smoothing(eps), L::sum);

template <auto const& Loss>
void check_cross_entropy(int expected_kernels, bool has_ignore_index, int classes = 7) {
  static constexpr auto kernel = lf::kokkos::compile(Loss, lf::wrt(x));
  int const n = 40;
  auto const xv = values(n * classes, -3, 3, 3), wv = values(classes, 0.5, 2, 4);
  std::vector<long> tv(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) tv[std::size_t(i)] = i % 5 == 0 ? -100 : (i * 3) % classes;
  Kokkos::View<double**, Kokkos::HostSpace> xk("lossforge::test::x", n, classes), dx("lossforge::test::dx", n, classes);
  Kokkos::View<long*, Kokkos::HostSpace> tk("lossforge::test::t", n);
  auto const wk = view_of<double>(wv);
  for (int i = 0; i < n; ++i) {
    tk(i) = tv[std::size_t(i)];
    for (int c = 0; c < classes; ++c) xk(i, c) = xv[std::size_t(i * classes + c)];
  }
  // ignore_index only in the weighted forms; the plain one sees class 0 instead of -100.
  if (!has_ignore_index)
    for (int i = 0; i < n; ++i) tk(i) = tv[std::size_t(i)] = tv[std::size_t(i)] < 0 ? 0 : tv[std::size_t(i)];
  double loss = 0;
  auto const bound = lf::bind(x = xk, t = tk, w = wk, eps = 0.1, ignore = -100);
  CHECK(kernels_launched([&] { loss = kernel(bound, dx); }) == expected_kernels);
  auto const host = lf::bind(x = lf::host_view(xv, {n, classes}), t = lf::host_view(tv, {n}),
                             w = lf::host_view(wv, {classes}), eps = 0.1, ignore = -100);
  CHECK(lf::test::close(loss, lf::reference::evaluate(Loss, host), 1e-12));
  auto const want = lf::reference::evaluate(lf::grad(Loss, x), host);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < classes; ++c)
      CHECK(lf::test::close(dx(i, c), want.values[std::size_t(i * classes + c)], 1e-12));
}
}  // namespace

TEST_CASE("cross entropy from logits over [N, C]: one kernel", "[kokkos][plan]") {
  check_cross_entropy<ce_smoothed>(1, false);
  check_cross_entropy<ce_weighted_sum>(1, true);
  // The mean's denominator (the sum of the kept rows' class weights) is a global the gradient rows need: each chunk
  // of rows recomputes it first (one chunk for 7 classes; with 40, chunks of 10 rows on a single thread).
  check_cross_entropy<ce_weighted>(1, true);
  check_cross_entropy<ce_weighted>(1, true, 40);
}

TEST_CASE("loss-only and gradient-only modes", "[kokkos][plan]") {
  static constexpr auto value = lf::kokkos::compile(dice);
  static constexpr auto gradient = lf::kokkos::compile(dice, lf::wrt(p), lf::kokkos::gradient_only);
  auto const pk = view_of<double>(values(50, 0.1, 0.9, 5)), gk = view_of<double>(values(50, 0, 1, 6));
  Kokkos::View<double*, Kokkos::HostSpace> dp("lossforge::test::dp", 50), dp_full("lossforge::test::dp_full", 50);
  static constexpr auto both = lf::kokkos::compile(dice, lf::wrt(p));
  double const loss = both(lf::bind(p = pk, g = gk), dp_full);
  CHECK(kernels_launched([&] { CHECK(value(lf::bind(p = pk, g = gk)) == loss); }) == 1);
  CHECK(kernels_launched([&] { gradient(lf::bind(p = pk, g = gk), dp); }) == 2);
  for (int k = 0; k < 50; ++k) CHECK(dp(k) == dp_full(k));
}

TEST_CASE("a scalar symbol's gradient is written to a rank-0 View next to the returned loss", "[kokkos][plan]") {
  // d/ddelta of mean(huber(p - g, delta)): per element 0 inside the quadratic zone, |r| - delta... here every
  // residual is beyond delta, where huber = delta (|r| - delta / 2) has derivative |r| - delta.
  static constexpr auto kernel = lf::kokkos::compile(huber, lf::wrt(p, delta));
  auto const pk = view_of<double>(values(40, 2, 3, 7)), gk = view_of<double>(values(40, 0, 1, 8));
  Kokkos::View<double*, Kokkos::HostSpace> dp("lossforge::test::dp", 40);
  Kokkos::View<double, Kokkos::HostSpace> ddelta("lossforge::test::ddelta");
  double const loss = kernel(lf::bind(p = pk, g = gk, delta = 0.3), dp, ddelta);
  double want_loss = 0, want_ddelta = 0;
  for (int k = 0; k < 40; ++k) {
    double const r = std::abs(pk(k) - gk(k));
    want_loss += 0.3 * (r - 0.15) / 40, want_ddelta += (r - 0.3) / 40;
  }
  CHECK(std::abs(loss - want_loss) < 1e-14);
  CHECK(std::abs(ddelta() - want_ddelta) < 1e-14);
}

TEST_CASE("the plan prints its passes, what each computes, the bytes it moves and its modelled work",
          "[kokkos][plan]") {
  static constexpr auto mse_kernel = lf::kokkos::compile(mse, lf::wrt(p));
  std::string const text = mse_kernel.describe();
  CHECK(text.find("pass 1\n") == 0);
  CHECK(text.find("pass 2") == std::string::npos);
  CHECK(text.find("accumulate  mean((p - g)^2)") != std::string::npos);
  CHECK(text.find("write       dloss/dp = ") != std::string::npos);
  CHECK(text.find("on the host     loss = mean((p - g)^2)") != std::string::npos);
  // float p and g read and float dp written, 4 bytes each per element.
  Kokkos::View<float*, Kokkos::HostSpace> pf("p", 10), gf("g", 10), dpf("dp", 10);
  std::string const sized = mse_kernel.describe(lf::bind(p = pf, g = gf), dpf);
  CHECK(sized.find("10 elements; per element reads p 4 B, g 4 B; writes dloss/dp 4 B (12 B per element") !=
        std::string::npos);
  CHECK(sized.find("flops per element") != std::string::npos);  // the cost model's work

  // Cross entropy over [N, C] = [6, 5] double with int targets: a row reads C logits and one target and writes C
  // gradient entries; the class weight is gathered, one value per row.
  static constexpr auto ce =
      lf::kokkos::compile(L::cross_entropy(x, t, L::cross_entropy_options<>{}.weight(w), L::sum), lf::wrt(x));
  Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace> xv("x", 6, 5), dx("dx", 6, 5);
  Kokkos::View<int*, Kokkos::HostSpace> tv("t", 6);
  Kokkos::View<double*, Kokkos::HostSpace> wv("w", 5);
  std::string const rows = ce.describe(lf::bind(x = xv, t = tv, w = wv), dx);
  CHECK(rows.find("kernel 0 over index i") != std::string::npos);
  CHECK(rows.find("x 40 B") != std::string::npos);
  CHECK(rows.find("t 4 B") != std::string::npos);
  CHECK(rows.find("writes dloss/dx 40 B") != std::string::npos);
  CHECK(rows.find("pass 2") == std::string::npos);
}
