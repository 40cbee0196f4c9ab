#pragma once
// Op tags. Each tag states its traits (arity, commutativity, cost in flops-equivalents, whether it is a pure
// elementwise function that fuses into any kernel) and its scalar semantics as a device function. Comparisons
// return 1 or 0 in the floating type. Derivatives live in diff/rules.hpp, printing in print/print.hpp.
#include <cstdint>

#include <lossforge/config.hpp>
#include <lossforge/config/math.hpp>

namespace lossforge::ops {

template <int Arity, int Cost, bool Commutative = false>
struct op_traits {
  static constexpr int arity = Arity;
  static constexpr int cost = Cost;
  static constexpr bool commutative = Commutative;
  static constexpr bool fusible = true;
  // A lazy op evaluates its first argument, then only the argument it selects (where()).
  static constexpr bool lazy = false;
  // A comparison gives 1 or 0, exactly, whatever its arguments' precision could round.
  static constexpr bool compares = false;
};

// What an exp costs in these flops-equivalents: a node at least this costly is worth computing once and reusing.
inline constexpr int transcendental_cost = 10;

// ---- arithmetic ------------------------------------------------------------------------------------------------
struct add : op_traits<2, 1, true> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a, T b) {
    return a + b;
  }
};
struct sub : op_traits<2, 1> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a, T b) {
    return a - b;
  }
};
struct mul : op_traits<2, 1, true> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a, T b) {
    return a * b;
  }
};
struct div : op_traits<2, 4> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a, T b) {
    return a / b;
  }
};
struct neg : op_traits<1, 1> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a) {
    return -a;
  }
};
struct square : op_traits<1, 1> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a) {
    return a * a;
  }
};
// x^Exponent for an integer exponent, by repeated multiplication (exact for negative x, unlike pow).
template <int Exponent>
struct ipow : op_traits<1, 2> {
  static constexpr int exponent = Exponent;
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a) {
    unsigned n = Exponent < 0 ? unsigned(-Exponent) : unsigned(Exponent);
    T result = T(1), base = a;
    while (n != 0) {
      if (n & 1u) result *= base;
      base *= base;
      n >>= 1u;
    }
    return Exponent < 0 ? T(1) / result : result;
  }
};
// x^y for a real exponent.
struct pow : op_traits<2, 20> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a, T b) {
    return math::pow(a, b);
  }
};

// ---- transcendental --------------------------------------------------------------------------------------------
struct log : op_traits<1, 10> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a) {
    return math::log(a);
  }
};
struct log1p : op_traits<1, 10> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a) {
    return math::log1p(a);
  }
};
struct exp : op_traits<1, 10> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a) {
    return math::exp(a);
  }
};
struct expm1 : op_traits<1, 10> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a) {
    return math::expm1(a);
  }
};
struct sqrt : op_traits<1, 4> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a) {
    return math::sqrt(a);
  }
};
struct tanh : op_traits<1, 12> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a) {
    return math::tanh(a);
  }
};
// 1 / (1 + e^-x), written so that neither branch overflows.
struct sigmoid : op_traits<1, 12> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a) {
    if (a >= T(0)) return T(1) / (T(1) + math::exp(-a));
    T const e = math::exp(a);
    return e / (T(1) + e);
  }
};
// log(1 + e^x) = max(x, 0) + log1p(e^-|x|): exact for large |x|, NaN in gives NaN out.
struct softplus : op_traits<1, 22> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a) {
    if (math::isnan(a)) return a;
    return (a > T(0) ? a : T(0)) + math::log1p(math::exp(-math::abs(a)));
  }
};
// log(sigmoid(x)) = min(x, 0) - log1p(e^-|x|).
struct log_sigmoid : op_traits<1, 22> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a) {
    if (math::isnan(a)) return a;
    return (a < T(0) ? a : T(0)) - math::log1p(math::exp(-math::abs(a)));
  }
};

// ---- piecewise -------------------------------------------------------------------------------------------------
struct abs : op_traits<1, 1> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T a) {
    return math::abs(a);
  }
};
// sign(0) = 0 and sign(NaN) = NaN, as torch.sign.
struct sign : op_traits<1, 1> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a) {
    return a > T(0) ? T(1) : a < T(0) ? T(-1) : a == T(0) ? T(0) : a;
  }
};
struct relu : op_traits<1, 1> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a) {
    return a > T(0) ? a : a == a ? T(0) : a;
  }
};
// min and max propagate NaN from either side, as torch.minimum/maximum (std::fmin would drop it).
struct min : op_traits<2, 1, true> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a, T b) {
    return a != a ? a : b != b ? b : (b < a ? b : a);
  }
};
struct max : op_traits<2, 1, true> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a, T b) {
    return a != a ? a : b != b ? b : (a < b ? b : a);
  }
};
// clamp(x, lo, hi) = min(max(x, lo), hi); NaN in x stays NaN.
struct clamp : op_traits<3, 2> {
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T x, T lo, T hi) {
    return x != x ? x : x < lo ? lo : hi < x ? hi : x;
  }
};

// PyTorch's binary cross entropy of probability p against target y: -(y log p + (1 - y) log(1 - p)) with each log
// clamped at -100 (so p = 0 or 1 gives a finite loss). Outside [0, 1] (or for a NaN p) it is NaN, never a finite
// number. A primitive because its gradient is PyTorch's formula, not the derivative of the clamped logs.
struct bce : op_traits<2, 22> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T p, T y) {
    if (!(p >= T(0) && p <= T(1))) return p - p + (T(0) / T(0));
    T const log_p = math::log(p), log_q = math::log(T(1) - p);
    return -(y * (log_p < T(-100) ? T(-100) : log_p) + (T(1) - y) * (log_q < T(-100) ? T(-100) : log_q));
  }
};

// PyTorch's binary cross entropy with logits x against target y, (1 - y) x + c softplus(-x), where c is the positive
// term's weight (1 + (pw - 1) y with a pos_weight pw, else 1): one softplus, stable for every finite x. At x = +-inf
// it is its limit, k |x| with k = 1 - y at +inf and k = c - 1 + y at -inf, and 0 where k is 0 (y = 1 at +inf, y = 0
// at -inf): there the formula gives 0 * inf or inf - inf, NaN (as PyTorch's does). A primitive for those limits;
// its derivative is the formula's.
struct bce_with_logits : op_traits<3, 24> {
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T x, T y, T c) {
    if (x == x && x - x != T(0)) {  // +-inf
      T const k = x > T(0) ? T(1) - y : c - T(1) + y;
      return k == T(0) ? T(0) : k * math::abs(x);
    }
    return (T(1) - y) * x + c * softplus::apply(-x);
  }
};

// ---- parameters ------------------------------------------------------------------------------------------------
// A loss parameter and the range it must lie in (dsl/parameter_range.hpp): its argument's value. The executors check
// the bound value against Range before they evaluate anything.
template <class Range>
struct in_range : op_traits<1, 0> {
  using requirement = Range;
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T a) {
    return a;
  }
};
template <class Op>
inline constexpr bool is_in_range_v = false;
template <class Range>
inline constexpr bool is_in_range_v<in_range<Range>> = true;

// ---- comparisons and selection ---------------------------------------------------------------------------------
#define LOSSFORGE_COMPARISON(tag, symbol, is_commutative)   \
  struct tag : op_traits<2, 1, is_commutative> {            \
    static constexpr bool compares = true;                  \
    template <class T>                                      \
    LOSSFORGE_FUNCTION static constexpr T apply(T a, T b) { \
      return (a symbol b) ? T(1) : T(0);                    \
    }                                                       \
  };
LOSSFORGE_COMPARISON(less, <, false)
LOSSFORGE_COMPARISON(less_equal, <=, false)
LOSSFORGE_COMPARISON(greater, >, false)
LOSSFORGE_COMPARISON(greater_equal, >=, false)
LOSSFORGE_COMPARISON(equal, ==, true)
LOSSFORGE_COMPARISON(not_equal, !=, true)
#undef LOSSFORGE_COMPARISON

// where(condition, a, b): only the chosen branch is evaluated, so a branch that would be undefined (a gather with an
// ignored class index, log(0)) never runs for the elements that do not select it.
struct select : op_traits<3, 1> {
  static constexpr bool lazy = true;
  template <class T>
  LOSSFORGE_FUNCTION static constexpr T apply(T c, T a, T b) {
    return c != T(0) ? a : b;
  }
};

}  // namespace lossforge::ops
