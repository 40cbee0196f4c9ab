// The vectorized path of host kernels (block.hpp) against the reference evaluator. Kernels run in blocks of two
// SIMD registers (8 floats or 4 doubles with SSE2, 32 or 16 with AVX-512) with the positions after the last full
// block on the scalar path, so every elementwise case has 53 elements and puts its special values inside the
// blocks, and every row of a row kernel has 37 entries:
//   * losses and gradients agree in value, NaN where the reference is NaN, the same infinities;
//   * NaN and infinities propagate through the lane forms (a NaN or infinite input in a block);
//   * the domain edges the losses clamp or mask keep their meaning (BCE at p = 0 and 1, logits of +-100);
//   * Views that are not contiguous (a strided View, a LayoutLeft matrix) read and write lane by lane;
//   * a where whose branch gathers stays lazy (an ignored label -1 is never read) and a gather out of range throws;
//   * row kernels (cross entropy) keep float accuracy where the logits' gaps exceed what a float holds exactly,
//     and NaN, infinite and ignored rows behave as the reference;
//   * a division by a constant of the run gives x / d's special values, and exactly x / d where 1 / d is denormal;
//   * an index used as a value stays exact in float lanes beyond 2^24.
// Tolerances as plan_test: tolerance<T>::finite_difference (float lanes compute in float).
#include <Kokkos_Core.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <stdexcept>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
constexpr lf::tensor<"w", 1> w;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::index<"i"> i;
constexpr int n = 53;
constexpr double nan_ = std::numeric_limits<double>::quiet_NaN(), inf_ = std::numeric_limits<double>::infinity();

std::vector<double> sweep(double lo, double hi, int seed) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) v[std::size_t(k)] = lo + (hi - lo) * (0.5 + 0.5 * std::sin(1.3 * k + seed));
  return v;
}
// The sweep with values placed at given positions.
std::vector<double> with(std::vector<double> v, std::initializer_list<std::pair<int, double>> placed) {
  for (auto [k, value] : placed) v[std::size_t(k)] = value;
  return v;
}

template <class T, class Layout = Kokkos::LayoutRight>
Kokkos::View<T*, Layout, Kokkos::HostSpace> device_copy(std::vector<double> const& v) {
  Kokkos::View<T*, Layout, Kokkos::HostSpace> out("lossforge::test::input", v.size());
  for (std::size_t k = 0; k < v.size(); ++k) out(k) = T(v[k]);
  return out;
}

// Runs Loss and its gradient with respect to p on (pv, gv) in precision T and compares with the reference
// evaluator on the same values rounded to T.
template <class T, auto const& Loss>
void check_against_reference(std::vector<double> const& pv, std::vector<double> const& gv) {
  static constexpr auto kernel = lf::kokkos::compile(Loss, lf::wrt(p));
  auto const pk = device_copy<T>(pv), gk = device_copy<T>(gv);
  Kokkos::View<T*, Kokkos::HostSpace> dp("lossforge::test::dp", std::size_t(n));
  double const loss = kernel(lf::bind(p = pk, g = gk), dp);
  std::vector<T> pt(pv.begin(), pv.end()), gt(gv.begin(), gv.end());
  auto const host = lf::bind(p = lf::host_view(pt, {n}), g = lf::host_view(gt, {n}));
  double const tol = lf::test::tolerance<T>::finite_difference;
  CHECK(lf::test::close(loss, lf::reference::evaluate(Loss, host), tol));
  auto const want = lf::reference::evaluate(lf::grad(Loss, p), host);
  for (int k = 0; k < n; ++k) {
    INFO("element " << k << ": p " << pv[std::size_t(k)] << ", g " << gv[std::size_t(k)]);
    CHECK(lf::test::close(double(dp(k)), want.values[std::size_t(k)], tol));
  }
}

constexpr auto mse = L::mse(p, g, L::mean);
constexpr auto bce = L::binary_cross_entropy(p, g, L::mean);
constexpr auto bce_logits = L::binary_cross_entropy_with_logits(p, g, L::mean);
constexpr auto combo = L::combo(p, g, 1.0, 0.5);
// Every op with a lane form, and two without (sqrt, pow), in one expression.
constexpr auto every_op =
    lf::mean(lf::tanh(p) * g + lf::expm1(-lf::abs(p)) + lf::log1p(lf::abs(g)) + lf::relu(p - g) * lf::sign(p) +
             lf::max(p, g) - lf::min(p, g) + lf::softplus(p) - lf::log_sigmoid(g) + lf::sigmoid(p - g) +
             lf::where(p > g, lf::exp(-p* p), lf::square(g)) + lf::clamp(p, -0.5, 0.5) + lf::pow<3>(p) / (1 + g * g) +
             lf::sqrt(lf::abs(p)) + lf::pow(lf::abs(g) + 1, p) + lf::log(lf::abs(p) + 1e-3));
}  // namespace

TEMPLATE_TEST_CASE("elementwise losses in blocks equal the reference", "[vector]", float, double) {
  auto const prob = sweep(0.02, 0.98, 1), target = sweep(0, 1, 2), logits = sweep(-6, 6, 3);
  check_against_reference<TestType, mse>(sweep(-3, 3, 1), target);
  check_against_reference<TestType, bce>(prob, target);
  check_against_reference<TestType, bce_logits>(logits, target);
  check_against_reference<TestType, combo>(prob, target);
  check_against_reference<TestType, every_op>(logits, sweep(-2, 2, 4));
}

TEMPLATE_TEST_CASE("domain edges keep their meaning inside blocks", "[vector]", float, double) {
  auto const target = sweep(0, 1, 2);
  // BCE at p = 0 and 1 (each log clamped at -100), a denormal p, targets 0 and 1.
  check_against_reference<TestType, bce>(
      with(sweep(0.02, 0.98, 1), {{3, 0.0}, {4, 1.0}, {17, 0.0}, {18, 1.0}, {19, 1e-40}}),
      with(target, {{3, 1.0}, {4, 0.0}, {17, 0.0}, {18, 1.0}}));
  // Logits far beyond float's exp range: softplus and sigmoid stay finite and exact.
  check_against_reference<TestType, bce_logits>(with(sweep(-6, 6, 3), {{2, 100.0}, {9, -100.0}, {21, 1e4}}), target);
}

TEMPLATE_TEST_CASE("NaN and infinities propagate through the lanes", "[vector]", float, double) {
  auto const target = sweep(0, 1, 2);
  check_against_reference<TestType, mse>(with(sweep(-3, 3, 1), {{5, nan_}, {20, inf_}}), target);
  check_against_reference<TestType, bce>(with(sweep(0.02, 0.98, 1), {{6, nan_}}), target);
  check_against_reference<TestType, bce>(with(sweep(0.02, 0.98, 1), {{7, 1.5}}), target);  // outside [0, 1]
  check_against_reference<TestType, bce_logits>(with(sweep(-6, 6, 3), {{8, inf_}, {24, -inf_}, {30, nan_}}), target);
  check_against_reference<TestType, combo>(with(sweep(0.02, 0.98, 1), {{40, nan_}}), target);
  check_against_reference<TestType, every_op>(with(sweep(-6, 6, 3), {{1, inf_}, {12, -inf_}, {33, nan_}}),
                                              sweep(-2, 2, 4));
}

TEST_CASE("Views that are not contiguous read and write lane by lane", "[vector]") {
  auto const pv = sweep(-6, 6, 3), gv = sweep(0, 1, 2);
  std::vector<float> pt(pv.begin(), pv.end()), gt(gv.begin(), gv.end());
  double const tol = lf::test::tolerance<float>::finite_difference;

  SECTION("every other element of arrays twice as long, for the input p and the gradient") {
    static constexpr auto kernel = lf::kokkos::compile(bce_logits, lf::wrt(p));
    auto const host = lf::bind(p = lf::host_view(pt, {n}), g = lf::host_view(gt, {n}));
    auto const want = lf::reference::evaluate(lf::grad(bce_logits, p), host);
    std::vector<float> p_wide(2 * n), dp_wide(2 * n);
    for (int k = 0; k < n; ++k) p_wide[std::size_t(2 * k)] = pt[std::size_t(k)];
    Kokkos::View<float*, Kokkos::LayoutStride, Kokkos::HostSpace> p_strided(p_wide.data(), Kokkos::LayoutStride(n, 2)),
        dp_strided(dp_wide.data(), Kokkos::LayoutStride(n, 2));
    CHECK(lf::test::close(kernel(lf::bind(p = p_strided, g = device_copy<float>(gv)), dp_strided),
                          lf::reference::evaluate(bce_logits, host), tol));
    for (int k = 0; k < n; ++k) CHECK(lf::test::close(double(dp_strided(k)), want.values[std::size_t(k)], tol));
  }
  SECTION("a LayoutLeft matrix, read and written in row-major element order") {
    static constexpr auto kernel = lf::kokkos::compile(mse, lf::wrt(p));
    std::vector<float> const p48(pt.begin(), pt.begin() + 48), g48(gt.begin(), gt.begin() + 48);
    auto const host = lf::bind(p = lf::host_view(p48, {6, 8}), g = lf::host_view(g48, {6, 8}));
    auto const want = lf::reference::evaluate(lf::grad(mse, p), host);
    Kokkos::View<float**, Kokkos::LayoutLeft, Kokkos::HostSpace> pm("p", 6, 8), gm("g", 6, 8), dpm("dp", 6, 8);
    for (int r = 0; r < 6; ++r)
      for (int c = 0; c < 8; ++c) pm(r, c) = p48[std::size_t(8 * r + c)], gm(r, c) = g48[std::size_t(8 * r + c)];
    CHECK(lf::test::close(kernel(lf::bind(p = pm, g = gm), dpm), lf::reference::evaluate(mse, host), tol));
    for (int r = 0; r < 6; ++r)
      for (int c = 0; c < 8; ++c) CHECK(lf::test::close(double(dpm(r, c)), want.values[std::size_t(8 * r + c)], tol));
  }
}

TEST_CASE("a where whose branch gathers stays lazy in blocks; a gather out of range throws", "[vector]") {
  // Class-weighted squared error; label -1 means "ignore this element" and must never be used as an index.
  constexpr lf::tensor<"q", 1> q;
  constexpr lf::tensor<"y", 1> y;
  static constexpr auto weighted = lf::sum(i, lf::where(t(i) == -1, 0, w(t(i)) * lf::square(q(i) - y(i))));
  static constexpr auto kernel = lf::kokkos::compile(weighted, lf::wrt(q));
  auto const qv = sweep(-1, 1, 5), yv = sweep(-1, 1, 6);
  std::vector<double> const weights = {0.5, 1, 2, 4};
  Kokkos::View<int*, Kokkos::HostSpace> labels("t", n);
  std::vector<int> lt(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) labels(k) = lt[std::size_t(k)] = k % 7 == 3 ? -1 : k % 4;
  auto const qk = device_copy<double>(qv), yk = device_copy<double>(yv), wk = device_copy<double>(weights);
  Kokkos::View<double*, Kokkos::HostSpace> dq("dq", n);
  auto const host = lf::bind(q = lf::host_view(qv, {n}), y = lf::host_view(yv, {n}), w = lf::host_view(weights, {4}),
                             t = lf::host_view(lt, {n}));
  CHECK(lf::test::close(kernel(lf::bind(q = qk, y = yk, w = wk, t = labels), dq),
                        lf::reference::evaluate(weighted, host), 1e-12));
  auto const want = lf::reference::evaluate(lf::grad(weighted, q), host);
  for (int k = 0; k < n; ++k) CHECK(lf::test::close(dq(k), want.values[std::size_t(k)], 1e-12));

  labels(30) = 9;  // inside the fourth block of doubles
  CHECK_THROWS_AS(kernel(lf::bind(q = qk, y = yk, w = wk, t = labels), dq), std::out_of_range);
}

TEMPLATE_TEST_CASE("row kernels run their reductions and writes in blocks along the row", "[vector]", float, double) {
  using T = TestType;
  constexpr lf::tensor<"x", 2> x;
  constexpr lf::int_tensor<"t", 1> labels;
  constexpr lf::tensor<"cw", 1> cw;
  static constexpr auto smoothed =
      L::cross_entropy(x, labels, L::cross_entropy_options<>{}.label_smoothing(0.1), L::mean);
  static constexpr auto weighted = L::cross_entropy(
      x, labels, L::cross_entropy_options<>{}.weight(cw).ignore_index(-100).label_smoothing(0.05), L::sum);
  constexpr int rows = 6, classes = 37;
  std::vector<double> xv(rows * classes);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < classes; ++c) xv[std::size_t(r * classes + c)] = 4 * std::sin(0.7 * c + 1.9 * r);
  // Row 1: one logit of 0.3 and the rest near -1e4, the target among the small ones: 1e4 + 0.3 is not a float, and
  // a softmax shifted by the target's logit would lose 5e-4 of every probability.
  for (int c = 0; c < classes; ++c) xv[std::size_t(classes + c)] = c == 3 ? 0.3 : -1e4 + c;
  for (int c = 0; c < classes; ++c) xv[std::size_t(2 * classes + c)] = 1e8;  // equal huge logits: ln C
  xv[std::size_t(3 * classes + 20)] = nan_;                                  // a NaN row
  xv[std::size_t(4 * classes + 9)] = inf_;                                   // an infinite logit
  std::vector<int> const tv{5, 30, 17, 2, 11, 36};
  std::vector<double> weights(classes);
  for (int c = 0; c < classes; ++c) weights[std::size_t(c)] = 0.5 + 0.05 * c;

  Kokkos::View<T**, Kokkos::HostSpace> xk("x", rows, classes), dx("dx", rows, classes);
  Kokkos::View<int*, Kokkos::HostSpace> tk("t", rows);
  std::vector<T> xt(xv.begin(), xv.end());  // the reference sees the values the kernel sees
  for (int r = 0; r < rows; ++r) {
    tk(r) = tv[std::size_t(r)];
    for (int c = 0; c < classes; ++c) xk(r, c) = xt[std::size_t(r * classes + c)];
  }
  auto const wk = device_copy<T>(weights);
  std::vector<T> const wt(weights.begin(), weights.end());
  double const tol = lf::test::tolerance<T>::finite_difference;
  // close() also asks for NaN exactly where the reference has one (the NaN row, the infinite logit's entry).
  auto const compare = [&](auto const& loss, double got, auto const& host) {
    CHECK(lf::test::close(got, lf::reference::evaluate(loss, host), tol));
    auto const want = lf::reference::evaluate(lf::grad(loss, x), host);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < classes; ++c) {
        INFO("row " << r << ", class " << c);
        CHECK(lf::test::close(double(dx(r, c)), want.values[std::size_t(r * classes + c)], tol));
      }
  };
  SECTION("label smoothing, mean") {
    static constexpr auto kernel = lf::kokkos::compile(smoothed, lf::wrt(x));
    double const loss = kernel(lf::bind(x = xk, labels = tk), dx);
    CHECK(std::isnan(loss));  // rows 3 and 4 make it NaN; the gradient rows stay apart
    compare(smoothed, loss, lf::bind(x = lf::host_view(xt, {rows, classes}), labels = lf::host_view(tv, {rows})));
  }
  SECTION("class weights, an ignored row, sum; the rows without NaN") {
    static constexpr auto kernel = lf::kokkos::compile(weighted, lf::wrt(x));
    std::vector<int> kept = tv;
    kept[3] = -100, kept[4] = -100;  // the NaN and infinite rows are ignored: nothing of them is read
    for (int r = 0; r < rows; ++r) tk(r) = kept[std::size_t(r)];
    double const loss = kernel(lf::bind(x = xk, labels = tk, cw = wk), dx);
    compare(weighted, loss,
            lf::bind(x = lf::host_view(xt, {rows, classes}), labels = lf::host_view(kept, {rows}),
                     cw = lf::host_view(wt, {classes})));
  }
}

TEST_CASE("a division by a constant of the run keeps x / d's special values", "[vector]") {
  constexpr lf::scalar<"d"> d;
  static constexpr auto scaled = lf::sum(lf::square(p) / d);
  static constexpr auto kernel = lf::kokkos::compile(scaled, lf::wrt(p));
  auto const pv = with(sweep(-3, 3, 7), {{4, 0.0}, {11, -0.0}});
  auto const pk = device_copy<float>(pv);
  Kokkos::View<float*, Kokkos::HostSpace> dp("dp", n);
  // The gradient is 2 p / d: within two ulps of it computed in double (blocks multiply by 1 / d in float; the
  // positions after the last block divide in double); where 1 / d is not a normal float (d = 1e38, its reciprocal
  // denormal; d = 1e-39, its reciprocal infinite) the blocks divide. 0, infinite and NaN divisors give what the
  // division gives, 0 / 0 a NaN and not 0 * inf's.
  auto const ulps = [](float a, float b) {
    std::int32_t ia, ib;
    std::memcpy(&ia, &a, sizeof a), std::memcpy(&ib, &b, sizeof b);
    return (a < 0) != (b < 0) ? (a == b ? 0 : std::numeric_limits<std::int64_t>::max())
                              : std::abs(std::int64_t(ia) - std::int64_t(ib));
  };
  for (float const divisor : {3.0f, 0.0f, -0.0f, float(inf_), float(nan_), 1e38f, 1e-39f}) {
    INFO("d = " << divisor);
    kernel(lf::bind(p = pk, d = divisor), dp);
    for (int k = 0; k < n; ++k) {
      float const expected = float(2 * (double(pk(k)) / double(divisor)));
      INFO("p = " << pk(k) << ", dp = " << dp(k) << ", expected " << expected);
      if (std::isnan(expected))
        CHECK(std::isnan(dp(k)));
      else if (std::isinf(expected))
        CHECK(dp(k) == expected);
      else
        CHECK(ulps(dp(k), expected) <= 2);
    }
  }
}

TEST_CASE("an index used as a value stays exact in float lanes beyond 2^24", "[vector]") {
  // Float lanes hold 2^24 + 1 as 2^24: the comparison with the index must not pick the neighbouring element.
  constexpr lf::tensor<"v", 1> v;
  constexpr std::ptrdiff_t size = (std::ptrdiff_t(1) << 24) + 64, picked = (std::ptrdiff_t(1) << 24) + 1;
  static constexpr auto pick = lf::sum(i, (i + 1 == double(picked + 1)) * v(i));  // the index inside a sum too
  static constexpr auto kernel = lf::kokkos::compile(pick, lf::wrt(v));
  Kokkos::View<float*, Kokkos::HostSpace> vk("v", size), dv("dv", size);
  for (std::ptrdiff_t k = 0; k < size; ++k) vk(k) = float(k % 7);
  CHECK(kernel(lf::bind(v = vk), dv) == double(picked % 7));
  for (std::ptrdiff_t k = picked - 40; k < size; ++k) {
    INFO("element " << k);
    CHECK(dv(k) == (k == picked ? 1.0f : 0.0f));
  }
}
