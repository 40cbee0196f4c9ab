#pragma once
// Folding numbers: exactly for rational constants, numerically for literals. A folded literal's id says how it was
// made (computed<Op, Ids...>), so its type identifies its value as a written number's slot does. Folding keeps IEEE
// results in constant evaluation too (GCC refuses a constant expression whose result is not finite): 1 / 0 folds to
// +inf, inf - inf to NaN, so a constexpr loss whose literals make a folded number infinite still compiles.
#include <bit>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <lossforge/dsl/reductions.hpp>

namespace lossforge::detail {

template <class T>
concept Numeric = Constant<T> || is_literal_v<T>;

template <std::intmax_t N, std::intmax_t D>
constexpr double value_of(constant<N, D>) {
  return double(N) / double(D);
}
template <class Id>
constexpr double value_of(literal<Id> l) {
  return l.value;
}

// The id a number contributes to a folded literal's: a literal's own id, or the constant itself.
template <class N>
struct number_id {
  using type = N;
};
template <class Id>
struct number_id<literal<Id>> {
  using type = Id;
};
template <class Op, class... N>
using computed_literal = literal<computed<Op, typename number_id<N>::type...>>;

// ---- IEEE arithmetic that also folds in constant evaluation ---------------------------------------------------
namespace ieee {
inline constexpr double infinity = std::numeric_limits<double>::infinity();
inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr bool is_nan(double x) { return x != x; }
constexpr bool is_inf(double x) { return x == infinity || x == -infinity; }
constexpr bool sign_bit(double x) { return (std::bit_cast<std::uint64_t>(x) >> 63) != 0; }
// Whether the exact result of finite operands rounds to infinity: its magnitude reaches max + ulp / 2 = max + 2^970.
// Where long double is wider than double (x86, aarch64) it holds the result well enough to compare; elsewhere
// (long double = double) the test is made in double, and a result within half an ulp of max may round to max.
enum class arithmetic { sum, product, quotient };
inline constexpr bool wide_long_double =
    std::numeric_limits<long double>::max_exponent > std::numeric_limits<double>::max_exponent;
template <arithmetic A>
constexpr bool overflows(double a, double b) {
  double const max = std::numeric_limits<double>::max();
  if constexpr (wide_long_double) {
    long double const x = a, y = b, threshold = (long double)max + 0x1p970L;
    long double const exact = A == arithmetic::sum ? x + y : A == arithmetic::product ? x * y : x / y;
    return exact >= threshold || exact <= -threshold;
  } else {
    double const magnitude_a = a < 0 ? -a : a, magnitude_b = b < 0 ? -b : b;
    if constexpr (A == arithmetic::sum)
      return (a < 0) == (b < 0) && magnitude_a > max - magnitude_b;
    else if constexpr (A == arithmetic::product)
      return magnitude_b > 1 && magnitude_a > max / magnitude_b;
    else
      return magnitude_b < 1 && magnitude_a > max * magnitude_b;
  }
}
constexpr double signed_infinity(bool negative) { return negative ? -infinity : infinity; }
constexpr double sum(double a, double b) {
  if (!std::is_constant_evaluated()) return a + b;
  if (is_nan(a) || is_nan(b)) return nan;
  if (is_inf(a) && is_inf(b)) return a == b ? a : nan;
  if (is_inf(a) || is_inf(b)) return is_inf(a) ? a : b;
  return overflows<arithmetic::sum>(a, b) ? signed_infinity(a < 0) : a + b;
}
constexpr double product(double a, double b) {
  if (!std::is_constant_evaluated()) return a * b;
  if (is_nan(a) || is_nan(b)) return nan;
  if (is_inf(a) || is_inf(b)) {
    if (a == 0 || b == 0) return nan;
    return sign_bit(a) != sign_bit(b) ? -infinity : infinity;
  }
  return overflows<arithmetic::product>(a, b) ? signed_infinity((a < 0) != (b < 0)) : a * b;
}
constexpr double quotient(double a, double b) {
  if (!std::is_constant_evaluated()) return a / b;
  if (is_nan(a) || is_nan(b) || (a == 0 && b == 0) || (is_inf(a) && is_inf(b))) return nan;
  if (b == 0 || is_inf(a)) return sign_bit(a) != sign_bit(b) ? -infinity : infinity;
  if (is_inf(b)) return sign_bit(a) != sign_bit(b) ? -0.0 : 0.0;
  return overflows<arithmetic::quotient>(a, b) ? signed_infinity((a < 0) != (b < 0)) : a / b;
}
}  // namespace ieee

// The value of Op applied to numbers. Arithmetic goes through the IEEE helpers; the other foldable ops (comparisons,
// min, max, clamp, select, sign, relu) never make a non-finite number from finite ones.
template <class Op, class... V>
constexpr double fold_value(V... v) {
  if constexpr (std::is_same_v<Op, ops::add>) {
    return ieee::sum(v...);
  } else if constexpr (std::is_same_v<Op, ops::sub>) {
    return [](double a, double b) { return ieee::sum(a, -b); }(v...);
  } else if constexpr (std::is_same_v<Op, ops::mul>) {
    return ieee::product(v...);
  } else if constexpr (std::is_same_v<Op, ops::div>) {
    return ieee::quotient(v...);
  } else if constexpr (std::is_same_v<Op, ops::square>) {
    return [](double a) { return ieee::product(a, a); }(v...);
  } else if constexpr (requires { Op::exponent; }) {
    return [](double a) {  // square and multiply, as ops::ipow computes it
      unsigned n = Op::exponent < 0 ? unsigned(-Op::exponent) : unsigned(Op::exponent);
      double r = 1, base = a;
      for (; n != 0; n >>= 1u) {
        if (n & 1u) r = ieee::product(r, base);
        if (n > 1) base = ieee::product(base, base);
      }
      return Op::exponent < 0 ? ieee::quotient(1, r) : r;
    }(v...);
  } else {
    return Op::apply(double(v)...);
  }
}

// ---- folding ---------------------------------------------------------------------------------------------------
template <class A, class B>
constexpr auto add_numbers(A a, B b) {
  if constexpr (Constant<A> && Constant<B>)
    return []<std::intmax_t N1, std::intmax_t D1, std::intmax_t N2, std::intmax_t D2>(
               constant<N1, D1>, constant<N2, D2>) { return reduced_constant<N1 * D2 + N2 * D1, D1 * D2>(); }(a, b);
  else if constexpr (std::is_same_v<A, constant<0>>)
    return b;
  else if constexpr (std::is_same_v<B, constant<0>>)
    return a;
  else
    return computed_literal<ops::add, A, B>{ieee::sum(value_of(a), value_of(b))};
}
template <class A, class B>
constexpr auto multiply_numbers(A a, B b) {
  if constexpr (Constant<A> && Constant<B>)
    return []<std::intmax_t N1, std::intmax_t D1, std::intmax_t N2, std::intmax_t D2>(
               constant<N1, D1>, constant<N2, D2>) { return reduced_constant<N1 * N2, D1 * D2>(); }(a, b);
  else if constexpr (std::is_same_v<A, constant<1>>)
    return b;
  else if constexpr (std::is_same_v<B, constant<1>>)
    return a;
  else
    return computed_literal<ops::mul, A, B>{ieee::product(value_of(a), value_of(b))};
}
template <class N>
constexpr auto reciprocal(N n) {
  if constexpr (Constant<N>)
    return []<std::intmax_t A, std::intmax_t B>(constant<A, B>) { return reduced_constant<B, A>(); }(n);
  else
    return computed_literal<ops::div, constant<1>, N>{ieee::quotient(1, value_of(n))};
}

struct add_tag {};
struct multiply_tag {};
template <class Tag, class Acc>
constexpr auto fold_numbers(Acc acc) {
  return acc;
}
template <class Tag, class Acc, class Next, class... Rest>
constexpr auto fold_numbers(Acc acc, Next next, Rest... rest) {
  if constexpr (std::is_same_v<Tag, add_tag>)
    return fold_numbers<Tag>(add_numbers(acc, next), rest...);
  else
    return fold_numbers<Tag>(multiply_numbers(acc, next), rest...);
}

}  // namespace lossforge::detail
