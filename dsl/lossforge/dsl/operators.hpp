#pragma once
// The user-facing elementwise builders: arithmetic and comparison operators, elementwise functions (the reductions
// and softmax are in reductions.hpp).
// Each builder only assembles nodes; nothing is evaluated here.
#include <type_traits>

#include <lossforge/dsl/free_indices.hpp>
#include <lossforge/dsl/literal_identity.hpp>
#include <lossforge/dsl/ops.hpp>
#include <lossforge/dsl/symbols.hpp>

namespace lossforge {

namespace detail {
// At least one side must be a lossforge operand that is not a plain number, so that `2 * 3` stays C++.
template <class L, class R>
concept BinaryOperands = Operand<L> && Operand<R> && !(std::is_arithmetic_v<L> && std::is_arithmetic_v<R>);

// The node of Op over the operands, their numbers numbered apart (literal_identity.hpp).
template <class Op, class... A>
constexpr auto make_node(A const&... a) {
  if constexpr (sizeof...(A) == 1) {
    return node<Op, expression_t<A>...>{make_tuple(as_expression(a)...)};
  } else {
    return detail::apply(
        [](auto const&... e) { return node<Op, std::remove_cvref_t<decltype(e)>...>{make_tuple(e...)}; },
        numbered_apart<0>(as_expression(a)...));
  }
}
}  // namespace detail

#define LOSSFORGE_BINARY_OPERATOR(symbol, tag) \
  template <class L, class R>                  \
  requires detail::BinaryOperands<L, R>        \
  constexpr auto operator symbol(L const& l, R const& r) { return detail::make_node<ops::tag>(l, r); }
LOSSFORGE_BINARY_OPERATOR(+, add)
LOSSFORGE_BINARY_OPERATOR(-, sub)
LOSSFORGE_BINARY_OPERATOR(*, mul)
LOSSFORGE_BINARY_OPERATOR(/, div)
LOSSFORGE_BINARY_OPERATOR(<, less)
LOSSFORGE_BINARY_OPERATOR(<=, less_equal)
LOSSFORGE_BINARY_OPERATOR(>, greater)
LOSSFORGE_BINARY_OPERATOR(>=, greater_equal)
LOSSFORGE_BINARY_OPERATOR(==, equal)
LOSSFORGE_BINARY_OPERATOR(!=, not_equal)
#undef LOSSFORGE_BINARY_OPERATOR

template <class A>
requires(Operand<A> && !std::is_arithmetic_v<A>) constexpr auto operator-(A const& a) {
  return detail::make_node<ops::neg>(a);
}

#define LOSSFORGE_UNARY_FUNCTION(name)      \
  template <Operand A>                      \
  constexpr auto name(A const& a) {         \
    return detail::make_node<ops::name>(a); \
  }
LOSSFORGE_UNARY_FUNCTION(log)
LOSSFORGE_UNARY_FUNCTION(log1p)
LOSSFORGE_UNARY_FUNCTION(exp)
LOSSFORGE_UNARY_FUNCTION(expm1)
LOSSFORGE_UNARY_FUNCTION(sqrt)
LOSSFORGE_UNARY_FUNCTION(square)
LOSSFORGE_UNARY_FUNCTION(abs)
LOSSFORGE_UNARY_FUNCTION(sign)
LOSSFORGE_UNARY_FUNCTION(relu)
LOSSFORGE_UNARY_FUNCTION(tanh)
LOSSFORGE_UNARY_FUNCTION(sigmoid)
LOSSFORGE_UNARY_FUNCTION(log_sigmoid)
LOSSFORGE_UNARY_FUNCTION(softplus)
#undef LOSSFORGE_UNARY_FUNCTION

// PyTorch's elementwise binary cross entropy of probabilities p against targets y (see ops::bce).
template <Operand P, Operand Y>
constexpr auto bce(P const& p, Y const& y) {
  return detail::make_node<ops::bce>(p, y);
}

// PyTorch's elementwise binary cross entropy with logits x against targets y, the positive term weighted by c:
// (1 - y) x + c softplus(-x), taking its limits at x = +-inf (see ops::bce_with_logits). Derivatives: (1 - y) -
// c sigmoid(-x) in x, -x in y, softplus(-x) in c.
template <Operand X, Operand Y, Operand C = constant<1>>
constexpr auto bce_with_logits(X const& x, Y const& y, C const& c = C{}) {
  return detail::make_node<ops::bce_with_logits>(x, y, c);
}

// Elementwise minimum and maximum (torch.minimum / torch.maximum); ties split the gradient one half each.
template <class A, class B>
requires detail::BinaryOperands<A, B>
constexpr auto min(A const& a, B const& b) { return detail::make_node<ops::min>(a, b); }
template <class A, class B>
requires detail::BinaryOperands<A, B>
constexpr auto max(A const& a, B const& b) { return detail::make_node<ops::max>(a, b); }
// clamp(x, lo, hi); the gradient passes where lo <= x <= hi, bounds included (as torch.clamp).
template <Operand X, Operand Lo, Operand Hi>
constexpr auto clamp(X const& x, Lo const& lo, Hi const& hi) {
  return detail::make_node<ops::clamp>(x, lo, hi);
}
// x^N for an integer N (exact for negative x); pow(x, y) for a real exponent.
template <int N, Operand A>
constexpr auto pow(A const& a) {
  return detail::make_node<ops::ipow<N>>(a);
}
template <class A, class B>
requires detail::BinaryOperands<A, B>
constexpr auto pow(A const& a, B const& b) { return detail::make_node<ops::pow>(a, b); }
// where(condition, a, b): a where condition is nonzero, else b. Only the chosen branch is evaluated.
template <Operand C, Operand A, Operand B>
constexpr auto where(C const& condition, A const& a, B const& b) {
  return detail::make_node<ops::select>(condition, a, b);
}

}  // namespace lossforge
