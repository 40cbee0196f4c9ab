#pragma once
// One derivative rule per op: the partial derivative of the op with respect to its K-th argument, as an expression
// of the arguments. no_partial marks an argument the op does not depend on smoothly (comparisons, the condition of
// where). An op whose partials would multiply a possibly infinite upstream value by zero instead defines chain(),
// which builds the upstream contribution directly. Subgradients at kinks follow PyTorch: abs'(0) = 0,
// relu'(0) = 0, clamp passes the gradient at its bounds, min/max ties split it one half each.
#include <lossforge/dsl/reductions.hpp>
#include <lossforge/dsl/transform.hpp>

namespace lossforge::diff {

struct no_partial {};

template <class Op>
struct derivative_rule;  // an op without a rule is a compile error that names the op

template <>
struct derivative_rule<ops::add> {
  template <std::size_t K, class A, class B>
  static constexpr auto partial(A const&, B const&) {
    return c<1>;
  }
};
template <>
struct derivative_rule<ops::sub> {
  template <std::size_t K, class A, class B>
  static constexpr auto partial(A const&, B const&) {
    if constexpr (K == 0)
      return c<1>;
    else
      return c<-1>;
  }
};
template <>
struct derivative_rule<ops::mul> {
  template <std::size_t K, class A, class B>
  static constexpr auto partial(A const& a, B const& b) {
    if constexpr (K == 0)
      return b;
    else
      return a;
  }
};
template <>
struct derivative_rule<ops::div> {
  template <std::size_t K, class A, class B>
  static constexpr auto partial(A const& a, B const& b) {
    if constexpr (K == 0)
      return c<1> / b;
    else
      return -(a / square(b));
  }
};
template <>
struct derivative_rule<ops::neg> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const&) {
    return c<-1>;
  }
};
template <>
struct derivative_rule<ops::square> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return c<2> * a;
  }
};
template <int N>
struct derivative_rule<ops::ipow<N>> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    if constexpr (N == 0)
      return c<0>;
    else if constexpr (N == 1)
      return c<1>;
    else if constexpr (N == 2)
      return c<2> * a;
    else
      return c<N> * pow<N - 1>(a);
  }
};
template <>
struct derivative_rule<ops::pow> {
  template <std::size_t K, class A, class B>
  static constexpr auto partial(A const& a, B const& b) {
    if constexpr (K == 0)
      return b * pow(a, b - c<1>);
    else
      return pow(a, b) * log(a);
  }
};
template <>
struct derivative_rule<ops::log> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return c<1> / a;
  }
};
template <>
struct derivative_rule<ops::log1p> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return c<1> / (c<1> + a);
  }
};
template <>
struct derivative_rule<ops::exp> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return exp(a);
  }
};
template <>
struct derivative_rule<ops::expm1> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return exp(a);
  }
};
template <>
struct derivative_rule<ops::sqrt> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return c<1, 2> / sqrt(a);
  }
};
template <>
struct derivative_rule<ops::tanh> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return c<1> - square(tanh(a));
  }
};
// sigmoid' = sigmoid(x) sigmoid(-x), which neither underflows to 1 - 1 nor overflows.
template <>
struct derivative_rule<ops::sigmoid> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return sigmoid(a) * sigmoid(-a);
  }
};
template <>
struct derivative_rule<ops::softplus> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return sigmoid(a);
  }
};
template <>
struct derivative_rule<ops::log_sigmoid> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return sigmoid(-a);
  }
};
template <>
struct derivative_rule<ops::abs> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return sign(a);
  }
};
template <>
struct derivative_rule<ops::sign> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const&) {
    return no_partial{};
  }
};
template <>
struct derivative_rule<ops::relu> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const& a) {
    return a > c<0>;
  }
};
template <>
struct derivative_rule<ops::min> {
  template <std::size_t K, class A, class B>
  static constexpr auto partial(A const& a, B const& b) {
    if constexpr (K == 0)
      return (a < b) + c<1, 2> * (a == b);
    else
      return (b < a) + c<1, 2> * (a == b);
  }
};
template <>
struct derivative_rule<ops::max> {
  template <std::size_t K, class A, class B>
  static constexpr auto partial(A const& a, B const& b) {
    if constexpr (K == 0)
      return (a > b) + c<1, 2> * (a == b);
    else
      return (b > a) + c<1, 2> * (a == b);
  }
};
// PyTorch's formulas: d/dp = (p - y) / max(p (1 - p), eps), which is the derivative wherever p (1 - p) >= eps and
// stays finite at p = 0 and 1; eps is 1e-12 rounded to float, as in PyTorch's kernel. d/dy = clamped log(1 - p) -
// clamped log(p).
struct bce_clamp {};  // the id of PyTorch's clamp, a number of the library's own
template <>
struct derivative_rule<ops::bce> {
  template <std::size_t K, class P, class Y>
  static constexpr auto partial(P const& p, Y const& y) {
    if constexpr (K == 0)
      return (p - y) / max(p * (c<1> - p), literal<bce_clamp>{double(1e-12f)});
    else
      return max(log(c<1> - p), c<-100>) - max(log(p), c<-100>);
  }
};
// The formula's partials: d/dx = (1 - y) - c sigmoid(-x), one sigmoid, whose limits at +-inf are the loss's slopes
// there (1 - y and -(c - 1 + y)); d/dy = -x; d/dc = softplus(-x).
template <>
struct derivative_rule<ops::bce_with_logits> {
  template <std::size_t K, class X, class Y, class W>
  static constexpr auto partial(X const& x, Y const& y, W const& w) {
    if constexpr (K == 0)
      return c<1> - y - w * sigmoid(-x);
    else if constexpr (K == 1)
      return -x;
    else
      return softplus(-x);
  }
};
// A parameter with a range is its argument.
template <class Range>
struct derivative_rule<ops::in_range<Range>> {
  template <std::size_t K, class A>
  static constexpr auto partial(A const&) {
    return c<1>;
  }
};
template <>
struct derivative_rule<ops::clamp> {
  template <std::size_t K, class X, class Lo, class Hi>
  static constexpr auto partial(X const& x, Lo const& lo, Hi const& hi) {
    if constexpr (K == 0)
      return (x >= lo) * (x <= hi);
    else if constexpr (K == 1)
      return x < lo;
    else
      return x > hi;
  }
};

template <class Comparison>
struct comparison_rule {
  template <std::size_t K, class A, class B>
  static constexpr auto partial(A const&, B const&) {
    return no_partial{};
  }
};
template <>
struct derivative_rule<ops::less> : comparison_rule<ops::less> {};
template <>
struct derivative_rule<ops::less_equal> : comparison_rule<ops::less_equal> {};
template <>
struct derivative_rule<ops::greater> : comparison_rule<ops::greater> {};
template <>
struct derivative_rule<ops::greater_equal> : comparison_rule<ops::greater_equal> {};
template <>
struct derivative_rule<ops::equal> : comparison_rule<ops::equal> {};
template <>
struct derivative_rule<ops::not_equal> : comparison_rule<ops::not_equal> {};

// Rules that build the upstream contribution themselves (chain) rather than a partial to multiply it by.
template <class Op>
inline constexpr bool routes_upstream = false;

// where(c, a, b) routes the upstream value into the chosen branch; the other branch gets an exact zero even where
// the upstream value is infinite (0 * inf would be NaN).
template <>
inline constexpr bool routes_upstream<ops::select> = true;
template <>
struct derivative_rule<ops::select> {
  template <std::size_t K, class C, class A, class B, class Upstream>
  static constexpr auto chain(Upstream const& u, C const& cond, A const&, B const&) {
    if constexpr (K == 0)
      return no_partial{};
    else if constexpr (K == 1)
      return where(cond, u, c<0>);
    else
      return where(cond, c<0>, u);
  }
};

template <class E>
inline constexpr bool is_reciprocal = false;
template <class B>
inline constexpr bool is_reciprocal<node<ops::div, constant<1>, B>> = true;

// The contribution of argument K to the derivative, given the upstream coefficient u.
template <std::size_t K, class Op, class... A, class Upstream>
constexpr auto chain(node<Op, A...> const& n, Upstream const& u) {
  using rule = derivative_rule<Op>;
  return detail::apply_args(n, [&](auto const&... args) {
    if constexpr (routes_upstream<Op>) {
      return rule::template chain<K>(u, args...);
    } else {
      auto p = rule::template partial<K>(args...);
      if constexpr (std::is_same_v<decltype(p), no_partial>)
        return p;
      else if constexpr (is_reciprocal<decltype(p)>)
        return u / arg<1>(p);  // u / b rather than (1 / b) * u
      else
        return p * u;
    }
  });
}

}  // namespace lossforge::diff
