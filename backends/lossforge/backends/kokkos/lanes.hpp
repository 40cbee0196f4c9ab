#pragma once
// The lane forms of the op tags: each op applied to W values at once, as Eigen fixed-size arrays, so that host
// kernels get Eigen's SIMD exp/log/log1p/expm1/tanh (accurate to a few ulp, IEEE special values kept) without
// -ffast-math. Each lane form has its scalar tag's semantics (ops.hpp) lane by lane, NaN and infinities included;
// lanes_test checks them against the scalar forms on special and random values. Ops without a lane form (pow)
// are evaluated lane by lane by the caller.
//
// There is no lane form of sqrt: with EIGEN_FAST_MATH (Eigen's default) Eigen's float sqrt is a reciprocal-sqrt
// approximation that gives NaN for infinity and 0 for denormals.
//
// Eigen 3.4 does not vectorize select(): an expression mixing a select with exp or log would run all of it one
// coefficient at a time through the scalar functions. So every select here picks between values already computed
// into arrays, and the clamps inside expressions are Eigen's max/min.
#include <Eigen/Core>
#include <limits>

#include <lossforge/dsl/ops.hpp>

namespace lossforge::kokkos::detail {

template <class P, int W>
using lanes = Eigen::Array<P, W, 1>;

template <class Op>
struct lane_form;  // no lane form: evaluated lane by lane

template <class Op>
inline constexpr bool has_lane_form_v = requires {
  sizeof(lane_form<Op>);
};

// Shorthands over lanes of any width: broadcasts, the NaN mask, and the e^-|x| shared by the logistic family.
template <class A>
auto broadcast(typename A::Scalar value) {
  return A::Constant(value);
}
template <class A>
auto is_nan(A const& a) {
  return a != a;
}
// Eigen's NaN-propagating min/max functors (vectorized; ArrayBase::min/max leave NaN unspecified). Internal in
// Eigen 3.4, with this signature since.
template <template <class, class, int> class Functor, class A>
auto nan_propagating(A const&) {
  return Functor<typename A::Scalar, typename A::Scalar, Eigen::PropagateNaN>();
}
// Eigen's log takes a denormal input for the smallest normal number (log(1e-45f) would be -87.3, not -103.3);
// blocks with such a lane (rare) redo those lanes with the scalar log.
template <class A>
A exact_log(A const& a) {
  using P = typename A::Scalar;
  A result = a.log();
  if (((a > 0) && (a < std::numeric_limits<P>::min())).any())
    for (int l = 0; l < a.size(); ++l)
      if (a[l] > 0 && a[l] < std::numeric_limits<P>::min()) result[l] = math::log(a[l]);
  return result;
}
template <class A>
A exp_of_minus_abs(A const& a) {
  return (-a.abs()).exp();
}

#define LOSSFORGE_LANE_FORM_1(tag, ...) \
  template <>                           \
  struct lane_form<ops::tag> {          \
    template <class A>                  \
    static A apply(A const& a) {        \
      return __VA_ARGS__;               \
    }                                   \
  };
#define LOSSFORGE_LANE_FORM_2(tag, ...)      \
  template <>                                \
  struct lane_form<ops::tag> {               \
    template <class A>                       \
    static A apply(A const& a, A const& b) { \
      return __VA_ARGS__;                    \
    }                                        \
  };

LOSSFORGE_LANE_FORM_2(add, a + b)
LOSSFORGE_LANE_FORM_2(sub, a - b)
LOSSFORGE_LANE_FORM_2(mul, a* b)
LOSSFORGE_LANE_FORM_2(div, a / b)
LOSSFORGE_LANE_FORM_1(neg, -a)
LOSSFORGE_LANE_FORM_1(square, a* a)
LOSSFORGE_LANE_FORM_1(log, exact_log(a))
LOSSFORGE_LANE_FORM_1(log1p, a.log1p())
LOSSFORGE_LANE_FORM_1(exp, a.exp())
LOSSFORGE_LANE_FORM_1(expm1, a.expm1())
LOSSFORGE_LANE_FORM_1(tanh, a.tanh())
LOSSFORGE_LANE_FORM_1(abs, a.abs())
LOSSFORGE_LANE_FORM_1(sign, (a > 0).select(broadcast<A>(1),
                                           (a < 0).select(broadcast<A>(-1), (a == 0).select(broadcast<A>(0), a))))
LOSSFORGE_LANE_FORM_2(min, a.binaryExpr(b, nan_propagating<Eigen::internal::scalar_min_op>(a)))
LOSSFORGE_LANE_FORM_2(max, a.binaryExpr(b, nan_propagating<Eigen::internal::scalar_max_op>(a)))
LOSSFORGE_LANE_FORM_1(relu, a.binaryExpr(broadcast<A>(0), nan_propagating<Eigen::internal::scalar_max_op>(a)))
LOSSFORGE_LANE_FORM_2(less, (a < b).template cast<typename A::Scalar>())
LOSSFORGE_LANE_FORM_2(less_equal, (a <= b).template cast<typename A::Scalar>())
LOSSFORGE_LANE_FORM_2(greater, (a > b).template cast<typename A::Scalar>())
LOSSFORGE_LANE_FORM_2(greater_equal, (a >= b).template cast<typename A::Scalar>())
LOSSFORGE_LANE_FORM_2(equal, (a == b).template cast<typename A::Scalar>())
LOSSFORGE_LANE_FORM_2(not_equal, (a != b).template cast<typename A::Scalar>())
#undef LOSSFORGE_LANE_FORM_1
#undef LOSSFORGE_LANE_FORM_2

template <int Exponent>
struct lane_form<ops::ipow<Exponent>> {
  template <class A>
  static A apply(A const& a) {
    A result = broadcast<A>(1), base = a;
    for (unsigned n = Exponent < 0 ? unsigned(-Exponent) : unsigned(Exponent); n != 0; n >>= 1u) {
      if (n & 1u) result *= base;
      base *= base;
    }
    return Exponent < 0 ? A(result.inverse()) : result;
  }
};
// 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below: both from e^-|x|, which never overflows. NaN: x >= 0 fails,
// e is NaN.
template <>
struct lane_form<ops::sigmoid> {
  template <class A>
  static A apply(A const& a) {
    A const e = exp_of_minus_abs(a), r = (1 + e).inverse(), er = e * r;
    return (a >= 0).select(r, er);
  }
};
// max(x, 0) + log1p(e^-|x|) and min(x, 0) - log1p(e^-|x|): a NaN x makes the log1p term NaN, whatever max and min
// (unspecified for NaN) give.
template <>
struct lane_form<ops::softplus> {
  template <class A>
  static A apply(A const& a) {
    return a.max(typename A::Scalar(0)) + exp_of_minus_abs(a).log1p();
  }
};
template <>
struct lane_form<ops::log_sigmoid> {
  template <class A>
  static A apply(A const& a) {
    return a.min(typename A::Scalar(0)) - exp_of_minus_abs(a).log1p();
  }
};
template <>
struct lane_form<ops::clamp> {
  template <class A>
  static A apply(A const& x, A const& lo, A const& hi) {
    return is_nan(x).select(x, (x < lo).select(lo, (hi < x).select(hi, x)));
  }
};
// PyTorch's BCE with each log clamped at -100. Outside [0, 1] one of the logs is NaN, and the NaN-propagating clamp
// keeps it: NaN, as the scalar form.
template <>
struct lane_form<ops::bce> {
  template <class A>
  static A apply(A const& p, A const& y) {
    A const floor = broadcast<A>(-100);
    auto const clamp = nan_propagating<Eigen::internal::scalar_max_op>(p);
    return -(y * exact_log(p).binaryExpr(floor, clamp) + (1 - y) * exact_log(A(1 - p)).binaryExpr(floor, clamp));
  }
};
// where(c, a, b) with both branches computed: used only where neither branch can record an error (block.hpp).
template <>
struct lane_form<ops::select> {
  template <class A>
  static A apply(A const& c, A const& a, A const& b) {
    return (c != 0).select(a, b);
  }
};

}  // namespace lossforge::kokkos::detail
