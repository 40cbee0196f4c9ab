// The lane forms (lanes.hpp) against the scalar forms of ops.hpp, lane by lane in the same precision, on special
// values (NaN, +-inf, +-0, denormals, the edges of exp's range, 0 and 1 for bce) and on a sweep of finite values:
//   * NaN exactly where the scalar form gives NaN, and the same infinities;
//   * finite values within 32 ulps relative (tolerance<P>::value: the lanes' exp/log/log1p and Eigen's expm1/tanh are
//     accurate to a few ulps, the stable rewrites add a couple of roundings), or both below the smallest normal
//     number, where a denormal has few digits (exp's gradual underflow is pinned exactly by extremes_test.cpp).
#include <algorithm>
#include <bit>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <lossforge/backends/executor/lanes.hpp>
#include <string>
#include <tests/support/tolerance.hpp>
#include <typeinfo>
#include <vector>

namespace lf = lossforge;
namespace ops = lf::ops;
using lf::executor::detail::lane_form;

namespace {

template <class P>
std::vector<P> special_values() {
  using limits = std::numeric_limits<P>;
  std::vector<P> v = {limits::quiet_NaN(),
                      limits::infinity(),
                      -limits::infinity(),
                      P(0),
                      -P(0),
                      limits::min(),
                      limits::denorm_min(),
                      limits::max(),
                      -limits::max(),
                      P(1),
                      P(-1),
                      P(0.5),
                      P(1e-7),
                      P(-1e-7),
                      P(20),
                      P(-20),
                      P(88),
                      P(-88),
                      P(100),
                      P(-100),
                      P(700),
                      P(-700),
                      P(1) - limits::epsilon(),
                      P(-0.99999)};
  // The edges of the range the lanes' exp computes itself (beyond them it redoes lanes with the scalar exp).
  for (P edge : {lf::executor::detail::exp_normal_floor<P>, lf::executor::detail::exp_constants<P>::highest})
    for (P x : {std::nextafter(edge, -limits::infinity()), edge, std::nextafter(edge, limits::infinity())})
      v.push_back(x);
  for (int k = 0; k <= 200; ++k) v.push_back(P(std::ldexp(1.0, k / 5 - 20) * std::sin(0.7 * k)));  // +-1e-6 to 1e6
  return v;
}

template <class P>
bool agrees(P lane, P scalar) {
  using limits = std::numeric_limits<P>;
  if (std::isnan(scalar) || std::isnan(lane)) return std::isnan(scalar) && std::isnan(lane);
  if (std::isinf(scalar) || std::isinf(lane)) return lane == scalar;
  if (std::abs(scalar) < limits::min() && std::abs(lane) < limits::min()) return true;
  return std::abs(double(lane) - double(scalar)) <= lf::test::tolerance<P>::value * std::abs(double(scalar));
}

// Every argument tuple of `arguments` through both forms, W at a time as the kernels' blocks (the last group padded
// with its first).
template <class P, class Op, std::size_t Arity>
void check(std::vector<std::array<P, Arity>> const& arguments) {
  constexpr int W = lf::executor::detail::block_width<P>;
  using A = lf::executor::detail::lanes<P, W>;
  for (std::size_t first = 0; first < arguments.size(); first += W) {
    std::array<A, Arity> in;
    for (int l = 0; l < W; ++l)
      for (std::size_t a = 0; a < Arity; ++a)
        in[a][l] = arguments[std::min(first + std::size_t(l), arguments.size() - 1)][a];
    A const out = [&]<std::size_t... K>(std::index_sequence<K...>) { return A(lane_form<Op>::apply(in[K]...)); }
    (std::make_index_sequence<Arity>{});
    for (int l = 0; l < W; ++l) {
      P const scalar = [&]<std::size_t... K>(std::index_sequence<K...>) { return Op::apply(in[K][l]...); }
      (std::make_index_sequence<Arity>{});
      INFO(typeid(Op).name() << " lane " << out[l] << " scalar " << scalar << " arguments " << in[0][l]
                             << (Arity > 1 ? ", " + std::to_string(double(in[Arity - 1][l])) : ""));
      CHECK(agrees(out[l], scalar));
    }
  }
}

template <class P, class... Op>
void check_unary() {
  std::vector<std::array<P, 1>> arguments;
  for (P x : special_values<P>()) arguments.push_back({x});
  (check<P, Op>(arguments), ...);
}
// Pairs: the special values against each other (only the first 24: the sweep adds nothing pairwise), and the
// sweep against itself shifted.
template <class P, class... Op>
void check_binary() {
  auto const v = special_values<P>();
  std::vector<std::array<P, 2>> arguments;
  for (std::size_t a = 0; a < 24; ++a)
    for (std::size_t b = 0; b < 24; ++b) arguments.push_back({v[a], v[b]});
  for (std::size_t a = 24; a + 7 < v.size(); ++a) arguments.push_back({v[a], v[a + 7]});
  (check<P, Op>(arguments), ...);
}

// The float log and exp are lossforge's own (lanes.hpp): against the double-precision functions, rounded to float,
// on every step-th bit pattern (every sign, exponent and the special values among them). The special values and the
// denormal results must be the scalar functions' exactly; the rest are checked in ulps of the exact value.
struct worst_ulps {
  double log = 0, exp = 0;
  int off_specials = 0;
};
worst_ulps float_log_and_exp_against_double(std::uint64_t step) {
  constexpr int W = lf::executor::detail::block_width<float>;
  using A = lf::executor::detail::lanes<float, W>;
  worst_ulps worst;
  for (std::uint64_t bits = 0; bits < (std::uint64_t(1) << 32); bits += step * W) {
    A x;
    for (int l = 0; l < W; ++l)
      x[l] = std::bit_cast<float>(std::uint32_t((bits + step * std::uint64_t(l) + (step > 1 ? 37 : 0)) & 0xffffffffu));
    A const lanes[2] = {lane_form<ops::log>::apply(x), lane_form<ops::exp>::apply(x)};
    for (int f = 0; f < 2; ++f)
      for (int l = 0; l < W; ++l) {
        double const exact = f == 0 ? std::log(double(x[l])) : std::exp(double(x[l]));
        float const scalar = f == 0 ? std::log(x[l]) : std::exp(x[l]);
        if (!std::isfinite(scalar) || std::abs(scalar) < std::numeric_limits<float>::min()) {
          bool const same = std::isnan(scalar) ? std::isnan(lanes[f][l]) : lanes[f][l] == scalar;
          worst.off_specials += same ? 0 : 1;
          continue;
        }
        double const ulps = std::abs(double(lanes[f][l]) - exact) / std::ldexp(1.0, std::ilogb(float(exact)) - 23);
        double& w = f == 0 ? worst.log : worst.exp;
        w = std::max(w, ulps);
      }
  }
  return worst;
}

}  // namespace

TEMPLATE_TEST_CASE("arithmetic lane forms equal the scalar forms", "[lanes]", float, double) {
  check_unary<TestType, ops::neg, ops::square, ops::ipow<3>, ops::ipow<-2>, ops::abs, ops::sign, ops::relu>();
  check_binary<TestType, ops::add, ops::sub, ops::mul, ops::div, ops::min, ops::max>();
}

TEMPLATE_TEST_CASE("transcendental lane forms equal the scalar forms, special values included", "[lanes]", float,
                   double) {
  check_unary<TestType, ops::exp, ops::expm1, ops::log, ops::log1p, ops::tanh, ops::sigmoid, ops::softplus,
              ops::log_sigmoid>();
  // Eigen's fast float sqrt gives NaN for infinity: sqrt runs lane by lane through the scalar form instead.
  STATIC_REQUIRE(!lf::executor::detail::has_lane_form_v<ops::sqrt>);
}

TEMPLATE_TEST_CASE("comparisons give 1 or 0, false for NaN", "[lanes]", float, double) {
  check_binary<TestType, ops::less, ops::less_equal, ops::greater, ops::greater_equal, ops::equal, ops::not_equal>();
}

TEMPLATE_TEST_CASE("bce clamps each log at -100 and is NaN outside [0, 1]", "[lanes]", float, double) {
  using P = TestType;
  std::vector<std::array<P, 2>> arguments;
  for (P p : {P(0), P(1), P(0.25), P(1e-30), P(1) - std::numeric_limits<P>::epsilon(), P(-0.5), P(1.5),
              std::numeric_limits<P>::quiet_NaN(), std::numeric_limits<P>::infinity()})
    for (P y : {P(0), P(1), P(0.3), std::numeric_limits<P>::quiet_NaN()}) arguments.push_back({p, y});
  check<P, ops::bce>(arguments);
}

TEMPLATE_TEST_CASE("bce_with_logits is its limit at x = +-inf, with and without a positive weight", "[lanes]", float,
                   double) {
  using P = TestType;
  using limits = std::numeric_limits<P>;
  // Logits away from where (1 - y) x + c softplus(-x) cancels (x of a few units below 0, where a last-bit difference
  // between the lanes' and glibc's log1p grows to tens of ulps; vector_path_test covers those with its tolerance); the
  // positive weight c = 1 + (pw - 1) y for pw 1, 2 and 0.5, as the loss forms it.
  std::vector<std::array<P, 3>> arguments;
  for (P x : {limits::quiet_NaN(), limits::infinity(), -limits::infinity(), P(0), P(1), P(-1), P(20), P(-20), P(88),
              P(100), P(1e6), P(-1e6), limits::min(), limits::denorm_min()})
    for (P y : {P(0), P(1), P(0.25), limits::quiet_NaN()})
      for (P pw : {P(1), P(2), P(0.5)}) arguments.push_back({x, y, P(1) + (pw - P(1)) * y});
  check<P, ops::bce_with_logits>(arguments);
}

TEMPLATE_TEST_CASE("clamp keeps NaN, where selects per lane", "[lanes]", float, double) {
  using P = TestType;
  P const nan = std::numeric_limits<P>::quiet_NaN(), inf = std::numeric_limits<P>::infinity();
  std::vector<std::array<P, 3>> arguments;
  for (P x : {P(-2), P(0.5), P(3), nan, inf, -inf})
    for (P lo : {P(0), -inf, nan})
      for (P hi : {P(1), inf, nan}) arguments.push_back({x, lo, hi});
  check<P, ops::clamp>(arguments);
  check<P, ops::select>(arguments);  // condition x: nonzero (NaN and infinities included) takes lo
}

// 2^22 bit patterns; the README's bounds (0.83 ulp for log, 1.01 for exp) are the exhaustive test's below.
TEST_CASE("the float log and exp in lanes are within 1.5 ulps of the exact functions", "[lanes]") {
  worst_ulps const worst = float_log_and_exp_against_double(1024);
  INFO("log: " << worst.log << " ulps, exp: " << worst.exp << " ulps");
  CHECK(worst.log <= 1.5);
  CHECK(worst.exp <= 1.5);
  CHECK(worst.off_specials == 0);
}

// Every float (three minutes; hidden, run by hand: lossforge_kokkos_tests "[.exhaustive]").
TEST_CASE("the float log and exp in lanes over every float", "[.exhaustive]") {
  worst_ulps const worst = float_log_and_exp_against_double(1);
  INFO("log: " << worst.log << " ulps, exp: " << worst.exp << " ulps");
  CHECK(worst.log <= 0.83);
  CHECK(worst.exp <= 1.02);
  CHECK(worst.off_specials == 0);
}

// The double exp is lossforge's own as well: against exp in long double (64 bits of mantissa on x86-64, 11 more than
// double's) on a grid of step 7.31e-4 over [-746, 710.5], which crosses the denormal results, the underflow to 0 and
// the overflow; results that are not normal numbers must be the scalar function's exactly. Measured: 0.95 ulps (SSE2
// build), 0.98 (AVX-512).
TEST_CASE("the double exp in lanes is within 1.5 ulps of the exact function", "[lanes]") {
  if (std::numeric_limits<long double>::digits < 64) SKIP("long double has no more precision than double here");
  constexpr int W = lf::executor::detail::block_width<double>;
  using A = lf::executor::detail::lanes<double, W>;
  double worst = 0;
  int off_specials = 0;
  for (std::int64_t first = 0;; first += W) {
    A x;
    for (int l = 0; l < W; ++l) x[l] = -746 + double(first + l) * 7.31e-4;
    if (x[0] > 710.5) break;
    A const lanes = lane_form<ops::exp>::apply(x);
    for (int l = 0; l < W; ++l) {
      double const scalar = std::exp(x[l]);
      if (!std::isfinite(scalar) || scalar < std::numeric_limits<double>::min()) {
        off_specials += lanes[l] == scalar ? 0 : 1;
        continue;
      }
      long double const exact = std::exp(static_cast<long double>(x[l]));
      worst = std::max(worst, double(std::fabs(lanes[l] - exact) / std::ldexp(1.0L, std::ilogb(scalar) - 52)));
    }
  }
  INFO("exp: " << worst << " ulps");
  CHECK(worst <= 1.5);
  CHECK(off_specials == 0);
}
