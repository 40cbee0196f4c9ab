#pragma once
// The expression nodes. Nodes are plain aggregates that hold their children; what an op means (value, derivative,
// printing) lives in rule structs elsewhere. A loss is an ordinary value whose type is its expression tree.
#include <cstdint>
#include <type_traits>

#include <lossforge/dsl/fixed_string.hpp>
#include <lossforge/dsl/tuple.hpp>

namespace lossforge {

// ---- indices ---------------------------------------------------------------------------------------------------

// A named index, as in x(i, c) and sum(c, ...). Used as an expression it is its current position (an integer).
template <fixed_string Name>
struct index {};

// An index over the offsets of a window: x(h + u) reads x at position h + u for every position h and offset u. Its
// extent comes from a tensor it indexes by itself (the window's weights w(u)); h then runs over the positions where
// the whole window fits, x's dimension less the window's extent plus one (valid convolution).
template <fixed_string Name>
struct window_index {};

// The implicit index of a tensor written without indices: it runs over all elements in row-major order, so `p * g`
// is elementwise and `sum(p * g)` sums over every element.
struct flat_index {};

// A free index of a gradient: position Position of the differentiated tensor Symbol (flat_position for a tensor
// used without indices). Depth separates the indices of grad(grad(...)). DisplayName is how it prints.
inline constexpr int flat_position = -1;
template <class Symbol, int Position, int Depth, fixed_string DisplayName>
struct gradient_index {};

// ---- terminals -------------------------------------------------------------------------------------------------

inline constexpr int any_rank = -1;

// A floating-point tensor bound at run time. Rank may be fixed; any_rank accepts any.
template <fixed_string Name, int Rank = any_rank>
struct tensor;
// An integer tensor (class indices, lengths). Never differentiable.
template <fixed_string Name, int Rank = any_rank>
struct int_tensor;
// A floating-point scalar bound at run time (weights, margins, temperatures); differentiable like a tensor.
template <fixed_string Name>
struct scalar;

// An exact rational constant Num/Den, in lowest terms with Den > 0. Constants fold at compile time.
template <std::intmax_t Num, std::intmax_t Den = 1>
struct constant {};

// A number written in the expression (`0.5 * bce`), held by value and folded numerically. Its type still says
// which number it is, so that two subtrees of one type always hold the same values: Id is numbered<K> for the K-th
// number of an expression (the builders number them, see literal_identity.hpp), computed<...> for a number the
// simplifier folded from others, or a tag of the library's own (PyTorch's BCE clamp).
template <int K>
struct numbered {};
template <class Op, class... Ids>
struct computed {};
template <class Id>
struct literal {
  double value;
};

// The number of positions of an index in the current scope (N in mean = sum / N).
template <class Index>
struct extent {};

// The number 1 at every position of Index: what makes grad(sum(p), p) a tensor of ones rather than the number 1.
template <class Index>
struct ones {};

// The number 1, carrying the shape of access Access: simplify puts it where removing the access (as in
// sum(p - p + x)) would leave a reduction without a tensor to take its extent from.
template <class Access>
struct witness {};

// ---- interior nodes --------------------------------------------------------------------------------------------

// Element of a tensor symbol. Each slot is an index type or, for a gather such as x(i, t(i)), an integer-valued
// expression.
template <class Symbol, class... Slots>
struct access {
  detail::tuple<Slots...> slots;
};

// An op applied to its arguments; Op is a tag from ops.hpp.
template <class Op, class... Args>
struct node {
  detail::tuple<Args...> args;
};

// A reduction of Body over Index (sum, mean, max, log-sum-exp); Index is bound inside Body.
template <class Op, class Index, class Body>
struct reduce {
  Body body;
};

// ---- classification --------------------------------------------------------------------------------------------

namespace detail {
template <class T>
struct is_index : std::false_type {};
template <fixed_string N>
struct is_index<index<N>> : std::true_type {};
template <fixed_string N>
struct is_index<window_index<N>> : std::true_type {};
template <>
struct is_index<flat_index> : std::true_type {};
template <class S, int P, int D, fixed_string N>
struct is_index<gradient_index<S, P, D, N>> : std::true_type {};

// A slot that runs over all elements: the flat index, or the gradient index of a tensor used without indices.
template <class T>
inline constexpr bool is_flat_slot_v = std::is_same_v<T, flat_index>;
template <class S, int D, fixed_string N>
inline constexpr bool is_flat_slot_v<gradient_index<S, flat_position, D, N>> = true;

template <class T>
struct is_tensor_symbol : std::false_type {};
template <fixed_string N, int R>
struct is_tensor_symbol<tensor<N, R>> : std::true_type {};
template <fixed_string N, int R>
struct is_tensor_symbol<int_tensor<N, R>> : std::true_type {};

template <class T>
struct is_int_tensor : std::false_type {};
template <fixed_string N, int R>
struct is_int_tensor<int_tensor<N, R>> : std::true_type {};

template <class T>
struct is_constant : std::false_type {};
template <std::intmax_t N, std::intmax_t D>
struct is_constant<constant<N, D>> : std::true_type {};

template <class T>
inline constexpr bool is_literal_v = false;
template <class Id>
inline constexpr bool is_literal_v<literal<Id>> = true;

// The leaves that carry an index or a shape (traits, not requires-expressions on a lambda, which nvcc rejects).
template <class T>
inline constexpr bool is_extent_v = false;
template <class I>
inline constexpr bool is_extent_v<extent<I>> = true;
template <class T>
inline constexpr bool is_ones_v = false;
template <class I>
inline constexpr bool is_ones_v<ones<I>> = true;
template <class T>
inline constexpr bool is_witness_v = false;
template <class A>
inline constexpr bool is_witness_v<witness<A>> = true;
template <class T>
inline constexpr bool is_scalar_v = false;
template <fixed_string N>
inline constexpr bool is_scalar_v<scalar<N>> = true;

template <class T>
struct is_expression : std::false_type {};
template <fixed_string N>
struct is_expression<index<N>> : std::true_type {};
template <fixed_string N>
struct is_expression<window_index<N>> : std::true_type {};
template <>
struct is_expression<flat_index> : std::true_type {};
template <class S, int P, int D, fixed_string N>
struct is_expression<gradient_index<S, P, D, N>> : std::true_type {};
template <fixed_string N>
struct is_expression<scalar<N>> : std::true_type {};
template <std::intmax_t N, std::intmax_t D>
struct is_expression<constant<N, D>> : std::true_type {};
template <class Id>
struct is_expression<literal<Id>> : std::true_type {};
template <class I>
struct is_expression<extent<I>> : std::true_type {};
template <class I>
struct is_expression<ones<I>> : std::true_type {};
template <class S, class... Sl>
struct is_expression<access<S, Sl...>> : std::true_type {};
template <class Op, class... A>
struct is_expression<node<Op, A...>> : std::true_type {};
template <class Op, class I, class B>
struct is_expression<reduce<Op, I, B>> : std::true_type {};
template <class A>
struct is_expression<witness<A>> : std::true_type {};
}  // namespace detail

template <class T>
concept Index = detail::is_index<T>::value;
template <class T>
concept TensorSymbol = detail::is_tensor_symbol<T>::value;
template <class T>
concept Expression = detail::is_expression<T>::value;
// Anything that may stand where an expression goes: an expression, a tensor used without indices, or a number.
template <class T>
concept Operand = Expression<T> || TensorSymbol<T> || std::is_arithmetic_v<T>;
template <class T>
concept Constant = detail::is_constant<T>::value;

// Lifts an operand to an expression: a bare tensor becomes its elementwise access, a number a literal.
template <Operand T>
constexpr auto as_expression(T const& value) {
  if constexpr (TensorSymbol<T>)
    return access<T, flat_index>{};
  else if constexpr (std::is_arithmetic_v<T>)
    return literal<numbered<0>>{static_cast<double>(value)};
  else
    return value;
}
template <class T>
using expression_t = decltype(as_expression(std::declval<T>()));

template <class E>
struct node_op;
template <class Op, class... A>
struct node_op<node<Op, A...>> {
  using type = Op;
};
template <class E>
struct reduce_op;
template <class Op, class I, class B>
struct reduce_op<reduce<Op, I, B>> {
  using type = Op;
};

template <std::size_t K, class Op, class... A>
LOSSFORGE_FUNCTION constexpr auto const& arg(node<Op, A...> const& n) {
  return detail::get<K>(n.args);
}
template <std::size_t K, class S, class... Sl>
LOSSFORGE_FUNCTION constexpr auto const& slot(access<S, Sl...> const& a) {
  return detail::get<K>(a.slots);
}

}  // namespace lossforge
