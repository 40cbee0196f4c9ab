// The vectorized path of host kernels (block.hpp) against the reference evaluator, elementwise losses. Kernels run in
// blocks of two SIMD registers (8 floats or 4 doubles with SSE2, 32 or 16 with AVX-512; 16 or 8 with AVX-512 where no
// transcendental function is computed) with the positions after the last full block on the scalar path, so every case
// has 53 elements and puts its special values inside the blocks:
//   * losses and gradients agree in value, NaN where the reference is NaN, the same infinities;
//   * NaN and infinities propagate through the lane forms (a NaN or infinite input in a block), also where the lanes
//     evaluate a gradient factored (sigmoid focal, Dice);
//   * the domain edges the losses clamp or mask keep their meaning (BCE at p = 0 and 1, logits of +-100);
//   * Views that are not contiguous (a strided View, a LayoutLeft matrix) read and write lane by lane;
//   * a where whose branch gathers stays lazy (an ignored label -1 is never read) and a gather out of range throws.
// Row kernels and divisions in blocks: vector_path_rows_test.cpp.
// Tolerances as plan_test: tolerance<T>::finite_difference (float lanes compute in float).
#include <Kokkos_Core.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <limits>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <stdexcept>
#include <tests/kokkos/vector_path.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

using namespace lossforge::test::vector_path;

namespace {
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
// Gradients whose lanes evaluate a factored form (simplify/factor.hpp): four products sharing their factors, and Dice's
// two terms sharing the denominator.
constexpr auto focal = L::sigmoid_focal_loss(p, g, L::mean);
constexpr auto dice = L::dice(p, g);
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
  check_against_reference<TestType, focal>(logits, target);
  check_against_reference<TestType, dice>(prob, target);
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
  check_against_reference<TestType, focal>(with(sweep(-6, 6, 3), {{8, inf_}, {24, -inf_}, {30, nan_}, {31, 100.0}}),
                                           target);
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

