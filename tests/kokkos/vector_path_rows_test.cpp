// The vectorized path of host kernels (block.hpp) against the reference evaluator and exact forms: row kernels, whose
// rows of 37 entries hold full blocks and a rest that one more block over the row's last entries covers, and
// divisions and indices in float lanes.
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
#include <tests/kokkos/vector_path.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;
using namespace lossforge::test::vector_path;

TEMPLATE_TEST_CASE("row kernels run their reductions and writes in blocks along the row", "[vector]", float, double) {
  using T = TestType;
  constexpr lf::tensor<"x", 2> x;
  constexpr lf::int_tensor<"t", 1> labels;
  constexpr lf::tensor<"cw", 1> cw;
  static constexpr auto smoothed =
      L::cross_entropy(x, labels, L::cross_entropy_options<>{}.label_smoothing(0.1), L::mean);
  static constexpr auto weighted = L::cross_entropy(
      x, labels, L::cross_entropy_options<>{}.weight(cw).ignore_index(-100).label_smoothing(0.05), L::sum);
  constexpr int rows = 8, classes = 37;
  std::vector<double> xv(rows * classes);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < classes; ++c) xv[std::size_t(r * classes + c)] = 4 * std::sin(0.7 * c + 1.9 * r);
  // Row 1: one logit of 0.3 and the rest near -1e4, the target among the small ones: 1e4 + 0.3 is not a float, and
  // a softmax shifted by the target's logit would lose 5e-4 of every probability.
  for (int c = 0; c < classes; ++c) xv[std::size_t(classes + c)] = c == 3 ? 0.3 : -1e4 + c;
  for (int c = 0; c < classes; ++c) xv[std::size_t(2 * classes + c)] = 1e8;  // equal huge logits: ln C
  xv[std::size_t(3 * classes + 20)] = nan_;                                  // a NaN row
  xv[std::size_t(4 * classes + 9)] = inf_;                                   // an infinite logit
  // NaN beside an infinite logit (a row whose largest is not finite has no sum of exponentials: the NaN must still
  // reach its loss and gradient), in the blocks and in the rest, and beside logits that are all -inf.
  xv[std::size_t(5 * classes + 4)] = inf_, xv[std::size_t(5 * classes + 25)] = nan_;
  xv[std::size_t(6 * classes + 7)] = inf_, xv[std::size_t(6 * classes + 35)] = nan_;
  for (int c = 0; c < classes; ++c) xv[std::size_t(7 * classes + c)] = c == 10 ? nan_ : -inf_;
  std::vector<int> const tv{5, 30, 17, 2, 11, 36, 4, 0};
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
    CHECK(std::isnan(loss));  // rows 3 to 7 make it NaN; the gradient rows stay apart
    compare(smoothed, loss, lf::bind(x = lf::host_view(xt, {rows, classes}), labels = lf::host_view(tv, {rows})));
  }
  SECTION("class weights, an ignored row, sum; the rows without NaN") {
    static constexpr auto kernel = lf::kokkos::compile(weighted, lf::wrt(x));
    std::vector<int> kept = tv;
    for (int r = 3; r < rows; ++r) kept[std::size_t(r)] = -100;  // the NaN and infinite rows: nothing of them is read
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
