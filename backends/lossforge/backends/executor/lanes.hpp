#pragma once
// The lane forms of the op tags: each op applied to W values at once, as Eigen fixed-size arrays, so that host kernels
// get SIMD exp and log (loops of lossforge's own that the compiler vectorizes; Eigen's log in double), log1p (from that
// log), expm1 and tanh (Eigen's), accurate to a few ulp with IEEE special values kept, without -ffast-math. Each lane
// form has its scalar tag's semantics (ops.hpp) lane by lane, NaN and infinities included; lanes_test checks them
// against the scalar forms on special and random values. Ops without a lane form (pow) are evaluated lane by lane by
// the caller.
//
// There is no lane form of sqrt: with EIGEN_FAST_MATH (Eigen's default) Eigen's float sqrt is a reciprocal-sqrt
// approximation that gives NaN for infinity and 0 for denormals.
//
// Eigen 3.4 evaluates comparisons and select() one coefficient at a time (a branch per lane, mispredicted on data
// of random sign). So comparisons, selects and sign work on SIMD packets directly (by_packet: compare masks and
// bitwise blends), and the clamps inside expressions are Eigen's vectorized NaN-propagating max/min.
#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <type_traits>

#include <lossforge/dsl/ops.hpp>

// SIMD packet types (__m128 and kin) carry attributes that GCC drops, with a warning, when they are template
// arguments, as in every Eigen packet function.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif

namespace lossforge::executor::detail {

template <class P, int W>
using lanes = Eigen::Array<P, W, 1>;
// Lanes per block of a kernel: two of the target's SIMD registers where it computes a transcendental function
// (measured with SSE2 and AVX-512: one register per block costs more in per-block work, four spill an expression's
// live values out of the registers), at most a cache line where it only does arithmetic (with AVX-512, one register:
// a tenth off MSE and Dice over 2^24 floats, no change in double).
template <class P, bool Transcendental = true>
inline constexpr int block_width = Transcendental ? 2 * Eigen::internal::packet_traits<P>::size
                                                  : std::min(2 * Eigen::internal::packet_traits<P>::size,
                                                             int(64 / sizeof(P)));

// The lane evaluation of an expression must become one function: left to GCC's size limits, each node would be
// a call returning its W lanes through memory, costing more than the arithmetic. Only in optimized builds: at -O0
// (the heaviest test translation units) forced inlining buys no speed and costs a third more compile time.
#if defined(__GNUC__) && defined(__OPTIMIZE__)
#define LOSSFORGE_LANES_INLINE [[gnu::always_inline]] inline
#define LOSSFORGE_LANES_LAMBDA __attribute__((always_inline))
#else
#define LOSSFORGE_LANES_INLINE inline
#define LOSSFORGE_LANES_LAMBDA
#endif

template <class Op>
struct lane_form;  // no lane form: evaluated lane by lane

template <class Op>
inline constexpr bool has_lane_form_v = requires {
  sizeof(lane_form<Op>);
};

// Shorthands over lanes of any width: broadcasts, masks and their tests, a running max, and the e^-|x| shared by the
// logistic family.
// f applied to the SIMD packets of lanes a, b, ... (of equal width, a multiple of the packet size).
template <class F, class A, class... B>
LOSSFORGE_LANES_INLINE A by_packet(F const& f, A const& a, B const&... b) {
  using packet = typename Eigen::internal::packet_traits<typename A::Scalar>::type;
  constexpr int size = Eigen::internal::unpacket_traits<packet>::size;
  static_assert(A::SizeAtCompileTime % size == 0, "lossforge: internal: lanes must be whole SIMD packets");
  A result;
  for (int k = 0; k < A::SizeAtCompileTime; k += size)
    Eigen::internal::pstoreu(result.data() + k, f(Eigen::internal::ploadu<packet>(a.data() + k),
                                                  Eigen::internal::ploadu<packet>(b.data() + k)...));
  return result;
}
// `value` in every lane, stored a SIMD packet at a time. Eigen assigns a Constant to an array with std::fill, which
// GCC compiles to a scalar store per lane (doubles with AVX-512, floats with SSE2), and the block's next vector load of
// those lanes waits for the stores to retire (a failed store forwarding, about 20 cycles) once per block. (Within an
// expression, Eigen's Constant is a packet broadcast, stored nowhere.)
template <class A>
LOSSFORGE_LANES_INLINE A broadcast(typename A::Scalar value) {
  using packet = typename Eigen::internal::packet_traits<typename A::Scalar>::type;
  constexpr int size = Eigen::internal::unpacket_traits<packet>::size;
  static_assert(A::SizeAtCompileTime % size == 0, "lossforge: internal: lanes must be whole SIMD packets");
  A result;
  for (int k = 0; k < A::SizeAtCompileTime; k += size)
    Eigen::internal::pstoreu(result.data() + k, Eigen::internal::pset1<packet>(value));
  return result;
}
// Whether any lane of by_packet(mask, a) is set, for a packet mask function.
template <class F, class A>
LOSSFORGE_LANES_INLINE bool any_lane(F const& mask, A const& a) {
  using packet = typename Eigen::internal::packet_traits<typename A::Scalar>::type;
  constexpr int size = Eigen::internal::unpacket_traits<packet>::size;
  packet any = Eigen::internal::pzero(packet{});
  for (int k = 0; k < A::SizeAtCompileTime; k += size)
    any = Eigen::internal::por(any, mask(Eigen::internal::ploadu<packet>(a.data() + k)));
  return Eigen::internal::predux_any(any);
}
// The lanes' running maximum: a plain max per packet, with the lanes that were not NaN so far kept apart (two
// instructions per packet, where a NaN-propagating max takes five).
template <class A>
struct running_max {
  A top = broadcast<A>(-std::numeric_limits<typename A::Scalar>::infinity());
  A numbers = by_packet([](auto x) { return Eigen::internal::ptrue(x); }, top);  // all bits set where no NaN so far

  LOSSFORGE_LANES_INLINE void add(A const& x) {
    top = by_packet([](auto t, auto v) { return Eigen::internal::pmax(t, v); }, top, x);
    numbers =
        by_packet([](auto k, auto v) { return Eigen::internal::pand(k, Eigen::internal::pcmp_eq(v, v)); }, numbers, x);
  }
  bool seen_nan() const {
    return any_lane([](auto k) { return Eigen::internal::pandnot(Eigen::internal::ptrue(k), k); }, numbers);
  }
};
// 1 where a mask is set, 0 elsewhere.
template <class Packet>
LOSSFORGE_LANES_INLINE Packet one_where(Packet const& mask) {
  using P = typename Eigen::internal::unpacket_traits<Packet>::type;
  return Eigen::internal::pand(mask, Eigen::internal::pset1<Packet>(P(1)));
}
// Eigen's NaN-propagating min/max functors (vectorized; ArrayBase::min/max leave NaN unspecified). Internal in
// Eigen 3.4, with this signature since.
template <template <class, class, int> class Functor, class A>
auto nan_propagating(A const&) {
  return Functor<typename A::Scalar, typename A::Scalar, Eigen::PropagateNaN>();
}
// result with the lanes where a is outside [low, high] or NaN replaced by f(a): the rare lanes that the vector forms
// of exp and log leave to the scalar functions. A cold call of its own: inlined, its loop and its calls of the scalar
// functions made GCC keep the loop counters of the block loops around an exp in memory.
template <class A, class F>
[[gnu::noinline, gnu::cold]] void redo_outside(A& result, A const& a, typename A::Scalar low, typename A::Scalar high,
                                               F const& f) {
  for (int l = 0; l < a.size(); ++l)
    if (!(a[l] >= low && a[l] <= high)) result[l] = f(a[l]);
}
// The unsigned integer of P's size, for its bits.
template <class P>
using bits_of = std::conditional_t<sizeof(P) == 4, std::uint32_t, std::uint64_t>;
// A lane's mark for any_marked: all bits set where the condition holds, as a P's bits.
template <class P>
LOSSFORGE_LANES_INLINE P lane_mark(bool condition) {
  return std::bit_cast<P>(bits_of<P>(-bits_of<P>(condition)));
}
// Whether any lane of marks (from lane_mark) is set: the packets or-ed, then one test (a mask test for floats with
// AVX-512; Eigen tests a double packet by summing its lanes, a NaN where any mark is set), where a flag or-ed lane by
// lane would end in a horizontal reduction of several shuffles per block.
template <class P, int W>
LOSSFORGE_LANES_INLINE bool any_marked(Eigen::Array<P, W, 1> const& marks) {
  return any_lane([](auto m) { return m; }, marks);
}
// The float log in lanes, a loop the compiler vectorizes: x = 2^k m with m in [sqrt(1/2), sqrt(2)) taken from the
// bits, log x = k ln 2 + log m, log m = r - r^2 / 2 + r^3 Q(r) with r = m - 1 exact (Cephes's logf polynomial) and
// ln 2 in two parts; at most 0.83 ulp from the exact log over every float. It does a third of the work of Eigen's
// log, whose selects serve the special values: here lanes outside the positive normal numbers (0, negatives,
// denormals, inf, NaN; rare) are redone with the scalar log.
template <int W>
LOSSFORGE_LANES_INLINE Eigen::Array<float, W, 1> float_log(Eigen::Array<float, W, 1> const& a) {
  constexpr std::uint32_t sqrt_half = 0x3f3504f3u, least_normal = 0x00800000u, normal_span = 0x7f000000u;
  Eigen::Array<float, W, 1> result, outside;
  for (int l = 0; l < W; ++l) {
    std::uint32_t const bits = std::bit_cast<std::uint32_t>(a[l]);
    outside[l] = lane_mark<float>(bits - least_normal >= normal_span);
    std::int32_t const shifted = std::int32_t(bits - sqrt_half);
    float const k = float(shifted >> 23);
    float const r = std::bit_cast<float>((std::uint32_t(shifted) & 0x007fffffu) + sqrt_half) - 1.0f, z = r * r;
    float q = 7.0376836292e-2f;
    for (float c : {-1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f, 1.4249322787e-1f, -1.6668057665e-1f,
                    2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f})
      q = q * r + c;
    result[l] = (r + ((r * z * q + k * -2.12194440e-4f) - 0.5f * z)) + k * 0.693359375f;
  }
  if (any_marked(outside))
    redo_outside(result, a, std::numeric_limits<float>::min(), std::numeric_limits<float>::max(),
                 [](float x) { return math::log(x); });
  return result;
}
// In double, Eigen's log; it takes a denormal input for the smallest normal number (log(1e-308) would be -708.4,
// not -709.2), so blocks with such a lane (rare) redo those lanes with the scalar log.
template <class A>
LOSSFORGE_LANES_INLINE A exact_log(A const& a) {
  using P = typename A::Scalar;
  if constexpr (std::is_same_v<P, float>) {
    return float_log(a);
  } else {
    A result = a.log();
    auto const denormal = [](auto x) {
      using namespace Eigen::internal;
      return pand(pcmp_lt(pzero(x), x), pcmp_lt(x, pset1<decltype(x)>(std::numeric_limits<P>::min())));
    };
    if (any_lane(denormal, a))
      redo_outside(result, a, std::numeric_limits<P>::min(), std::numeric_limits<P>::max(),
                   [](P x) { return math::log(x); });
    return result;
  }
}
// log(1 + x) from the log of u = 1 + x as rounded: log(u) x / (u - 1) cancels u's rounding error (Goldberg's
// formula: within a few ulps), x itself where u rounds to 1, infinity at infinity (where x / (u - 1) is NaN). Eigen's
// log1p in double runs lane by lane through the scalar function, the cost of the logistic family in double.
template <class A>
LOSSFORGE_LANES_INLINE A exact_log1p(A const& x) {
  A const u = 1 + x;
  return by_packet(
      [](auto x, auto u, auto log_u) {
        using namespace Eigen::internal;
        using packet = decltype(x);
        using P = typename unpacket_traits<packet>::type;
        packet const corrected = pmul(log_u, pdiv(x, psub(u, pset1<packet>(P(1)))));
        packet const below_infinity = pselect(pcmp_eq(u, pset1<packet>(P(1))), x, corrected);
        return pselect(pcmp_eq(u, pset1<packet>(std::numeric_limits<P>::infinity())), u, below_infinity);
      },
      x, u, exact_log(u));
}
template <class P>
inline constexpr P exp_normal_floor = std::is_same_v<P, float> ? P(-87.3f) : P(-708.3);  // log of the least normal
// The constants of the exp in lanes: ln 2 in two parts (k times the first is exact) and the polynomial P of
// e^r = 1 + r + r^2 P(r), from its highest power: Cephes's expf in float, e^r's Taylor series to r^13 in double (for
// |r| <= ln 2 / 2 the first term left out is below 2^-56 relative). Up to `highest`, k is at most 127 (1023 in
// double), so that 2^k and e^r 2^k are normal numbers.
template <class P>
struct exp_constants;
template <>
struct exp_constants<float> {
  static constexpr float highest = 88.0f, log2e = 1.44269504088896341f, ln2_high = 0.693359375f,
                         ln2_low = -2.12194440e-4f;
  static constexpr float p[] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
};
template <>
struct exp_constants<double> {
  static constexpr double highest = 709.0, log2e = 1.4426950408889634, ln2_high = 6.93147180369123816490e-01,
                          ln2_low = 1.90821492927058770002e-10;
  static constexpr double p[] = {1.0 / 6227020800, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800,
                                 1.0 / 362880,     1.0 / 40320,     1.0 / 5040,     1.0 / 720,
                                 1.0 / 120,        1.0 / 24,        1.0 / 6,        1.0 / 2};
};
// The exp in lanes, a loop the compiler vectorizes: x = k ln 2 + r with k = round(x / ln 2) (rounded by adding 1.5 2^m,
// m the mantissa's bits, whose low bits then hold k), e^r = 1 + r + r^2 P(r), then 2^k added to the exponent bits; at
// most 1.01 ulps from the exact exp over every float, 0.98 over lanes_test's grid of doubles. Lanes whose result is not
// a normal number or that are NaN (rare) are redone with the scalar exp; their lanes here are garbage, computed without
// a branch (a clamp or a float-to-int conversion would keep GCC from vectorizing the loop for SSE2). Eigen's double exp
// is a rational function (a division per lane) and clamps its argument at -709.4, short of the denormals.
template <class P, int W>
LOSSFORGE_LANES_INLINE Eigen::Array<P, W, 1> exact_exp(Eigen::Array<P, W, 1> const& a) {
  using constants = exp_constants<P>;
  using bits = bits_of<P>;
  constexpr int mantissa = std::numeric_limits<P>::digits - 1;
  constexpr P round = P(3) * P(bits(1) << (mantissa - 1)), lowest = exp_normal_floor<P>, highest = constants::highest;
  constexpr bits round_bits = std::bit_cast<bits>(round);
  Eigen::Array<P, W, 1> result, outside;
  for (int l = 0; l < W; ++l) {
    P const x = a[l];
    outside[l] = lane_mark<P>(!((x >= lowest) & (x <= highest)));
    P const shifted = x * constants::log2e + round, k = shifted - round;
    bits const two_to_k = (std::bit_cast<bits>(shifted) - round_bits) << mantissa;
    P const r = (x - k * constants::ln2_high) - k * constants::ln2_low;
    P p = constants::p[0];
    for (std::size_t c = 1; c < std::size(constants::p); ++c) p = p * r + constants::p[c];
    P const e = (p * (r * r) + r) + P(1);
    result[l] = std::bit_cast<P>(std::bit_cast<bits>(e) + two_to_k);
  }
  if (any_marked(outside)) redo_outside(result, a, lowest, highest, [](P x) { return math::exp(x); });
  return result;
}
template <class A>
LOSSFORGE_LANES_INLINE A exp_of_minus_abs(A const& a) {
  return exact_exp(A(-a.abs()));
}

#define LOSSFORGE_LANE_FORM_1(tag, ...)                 \
  template <>                                           \
  struct lane_form<ops::tag> {                          \
    template <class A>                                  \
    LOSSFORGE_LANES_INLINE static A apply(A const& a) { \
      return __VA_ARGS__;                               \
    }                                                   \
  };
#define LOSSFORGE_LANE_FORM_2(tag, ...)                             \
  template <>                                                       \
  struct lane_form<ops::tag> {                                      \
    template <class A>                                              \
    LOSSFORGE_LANES_INLINE static A apply(A const& a, A const& b) { \
      return __VA_ARGS__;                                           \
    }                                                               \
  };

LOSSFORGE_LANE_FORM_2(add, a + b)
LOSSFORGE_LANE_FORM_2(sub, a - b)
LOSSFORGE_LANE_FORM_2(mul, a* b)
LOSSFORGE_LANE_FORM_2(div, a / b)
LOSSFORGE_LANE_FORM_1(neg, -a)
LOSSFORGE_LANE_FORM_1(square, a* a)
LOSSFORGE_LANE_FORM_1(log, exact_log(a))
LOSSFORGE_LANE_FORM_1(log1p, exact_log1p(a))
LOSSFORGE_LANE_FORM_1(exp, exact_exp(a))
LOSSFORGE_LANE_FORM_1(expm1, a.expm1())
LOSSFORGE_LANE_FORM_1(tanh, a.tanh())
LOSSFORGE_LANE_FORM_1(abs, a.abs())
LOSSFORGE_LANE_FORM_2(min, a.binaryExpr(b, nan_propagating<Eigen::internal::scalar_min_op>(a)))
LOSSFORGE_LANE_FORM_2(max, a.binaryExpr(b, nan_propagating<Eigen::internal::scalar_max_op>(a)))
LOSSFORGE_LANE_FORM_1(relu, a.binaryExpr(A::Constant(0), nan_propagating<Eigen::internal::scalar_max_op>(a)))
#undef LOSSFORGE_LANE_FORM_1
#undef LOSSFORGE_LANE_FORM_2

template <int Exponent>
struct lane_form<ops::ipow<Exponent>> {
  template <class A>
  LOSSFORGE_LANES_INLINE static A apply(A const& a) {
    A result = broadcast<A>(1), base = a;
    for (unsigned n = Exponent < 0 ? unsigned(-Exponent) : unsigned(Exponent); n != 0; n >>= 1u) {
      if (n & 1u) result *= base;
      base *= base;
    }
    return Exponent < 0 ? A(result.inverse()) : result;
  }
};
// The logistic family, from e = e^-|x| of the first argument x (which never overflows; a block computes it once for
// x and -x): sigmoid is 1 / (1 + e) for x >= 0, e / (1 + e) below (NaN: x >= 0 fails, e is NaN); softplus and
// log_sigmoid are max(x, 0) + log1p(e) and min(x, 0) - log1p(e) (a NaN x makes the log1p term NaN, whatever max and
// min give); bce_with_logits(x, y, c) is (1 - y) x + c softplus(-x).
template <class Op>
struct logistic_lane_form {
  template <class A, class... B>
  LOSSFORGE_LANES_INLINE static A apply(A const& a, B const&... b) {
    return Op::apply(a, exp_of_minus_abs(a), b...);
  }
};
template <>
struct lane_form<ops::sigmoid> : logistic_lane_form<lane_form<ops::sigmoid>> {
  using logistic_lane_form::apply;
  template <class A>
  LOSSFORGE_LANES_INLINE static A apply(A const& a, A const& e) {
    A const r = (1 + e).inverse(), er = e * r;
    return by_packet(
        [](auto x, auto if_positive, auto if_negative) {
          using namespace Eigen::internal;
          return pselect(pcmp_le(pzero(x), x), if_positive, if_negative);
        },
        a, r, er);
  }
};
template <>
struct lane_form<ops::softplus> : logistic_lane_form<lane_form<ops::softplus>> {
  using logistic_lane_form::apply;
  template <class A>
  LOSSFORGE_LANES_INLINE static A apply(A const& a, A const& e) {
    return a.max(typename A::Scalar(0)) + exact_log1p(e);
  }
};
template <>
struct lane_form<ops::log_sigmoid> : logistic_lane_form<lane_form<ops::log_sigmoid>> {
  using logistic_lane_form::apply;
  template <class A>
  LOSSFORGE_LANES_INLINE static A apply(A const& a, A const& e) {
    return a.min(typename A::Scalar(0)) - exact_log1p(e);
  }
};
// Lanes where x is infinite (rare) take the scalar form's limits.
template <>
struct lane_form<ops::bce_with_logits> : logistic_lane_form<lane_form<ops::bce_with_logits>> {
  using logistic_lane_form::apply;
  template <class A>
  LOSSFORGE_LANES_INLINE static A apply(A const& x, A const& e, A const& y, A const& c) {
    using P = typename A::Scalar;
    A result = (1 - y) * x + c * lane_form<ops::softplus>::apply(A(-x), e);
    auto const infinite = [](auto v) {
      using namespace Eigen::internal;
      return pcmp_eq(pabs(v), pset1<decltype(v)>(std::numeric_limits<P>::infinity()));
    };
    if (any_lane(infinite, x))
      for (int l = 0; l < x.size(); ++l)
        if (std::isinf(x[l])) result[l] = ops::bce_with_logits::apply(x[l], y[l], c[l]);
    return result;
  }
};
template <class Op>
inline constexpr bool is_logistic_v = std::is_base_of_v<logistic_lane_form<lane_form<Op>>, lane_form<Op>>;
// PyTorch's BCE with each log clamped at -100. Outside [0, 1] one of the logs is NaN, and the NaN-propagating clamp
// keeps it: NaN, as the scalar form.
template <>
struct lane_form<ops::bce> {
  template <class A>
  LOSSFORGE_LANES_INLINE static A apply(A const& p, A const& y) {
    auto const floor = A::Constant(-100);
    auto const clamp = nan_propagating<Eigen::internal::scalar_max_op>(p);
    return -(y * exact_log(p).binaryExpr(floor, clamp) + (1 - y) * exact_log(A(1 - p)).binaryExpr(floor, clamp));
  }
};
// Lane forms written on SIMD packets (Params names them), with Eigen::internal's packet functions in scope.
#define LOSSFORGE_PACKET_FORM(tag, Params, ...)                        \
  template <>                                                          \
  struct lane_form<ops::tag> {                                         \
    template <class A, class... B>                                     \
    LOSSFORGE_LANES_INLINE static A apply(A const& a, B const&... b) { \
      return by_packet(                                                \
          [] Params {                                                  \
            using namespace Eigen::internal;                           \
            return __VA_ARGS__;                                        \
          },                                                           \
          a, b...);                                                    \
    }                                                                  \
  };
// +1, -1, 0, or the NaN itself.
LOSSFORGE_PACKET_FORM(sign, (auto x),
                      pselect(pcmp_lt(pzero(x), x), pset1<decltype(x)>(1),
                              pselect(pcmp_lt(x, pzero(x)), pset1<decltype(x)>(-1),
                                      pselect(pcmp_eq(x, pzero(x)), pzero(x), x))))
// Comparisons give 1 or 0; with a NaN only != is true.
LOSSFORGE_PACKET_FORM(less, (auto x, auto y), one_where(pcmp_lt(x, y)))
LOSSFORGE_PACKET_FORM(less_equal, (auto x, auto y), one_where(pcmp_le(x, y)))
LOSSFORGE_PACKET_FORM(greater, (auto x, auto y), one_where(pcmp_lt(y, x)))
LOSSFORGE_PACKET_FORM(greater_equal, (auto x, auto y), one_where(pcmp_le(y, x)))
LOSSFORGE_PACKET_FORM(equal, (auto x, auto y), one_where(pcmp_eq(x, y)))
LOSSFORGE_PACKET_FORM(not_equal, (auto x, auto y), pandnot(pset1<decltype(x)>(1), pcmp_eq(x, y)))
// A NaN x stays; else lo below lo, hi above hi.
LOSSFORGE_PACKET_FORM(clamp, (auto x, auto lo, auto hi),
                      pselect(pcmp_eq(x, x), pselect(pcmp_lt(x, lo), lo, pselect(pcmp_lt(hi, x), hi, x)), x))
// where(c, a, b) with both branches computed: used only where neither branch can record an error (block.hpp).
LOSSFORGE_PACKET_FORM(select, (auto c, auto if_true, auto if_false), pselect(pcmp_eq(c, pzero(c)), if_false, if_true))
#undef LOSSFORGE_PACKET_FORM

}  // namespace lossforge::executor::detail

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
