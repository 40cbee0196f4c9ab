#pragma once
// The reductions of an expression and the order they can be computed in. A reduction is *closed* when it leaves
// no index free (sum(p * g), mean over the batch): it is one number for the whole call and must be finished
// before anything that reads it, so it sets the pass structure. A reduction with free indices (logsumexp over the
// classes of row i) is *local*: computed inside the work item that needs it.
#include <algorithm>
#include <cstdint>

#include <lossforge/dsl/extent_sources.hpp>
#include <lossforge/dsl/free_indices.hpp>
#include <lossforge/dsl/symbol_uses.hpp>

namespace lossforge::detail {

// Every reduction node of E, inner ones before the reductions that contain them; identical subtrees once.
struct reductions_visitor {
  template <class I>
  using on_index = type_list<>;
  template <class N>
  using on_number = type_list<>;
  template <class S>
  using on_scalar = type_list<>;
  template <class E, class I>
  using on_along = type_list<>;
  template <class A>
  using on_witness = type_list<>;  // a witness reads a shape, not its access's slots
  template <class E, class S, class... Slots>
  using on_access = set_union_t<Slots...>;
  template <class E, class... Args>
  using on_node = set_union_t<Args...>;
  template <class E, class I, class Body>
  using on_reduce = set_union_t<Body, type_list<E>>;
};
template <class E>
using reductions_in_t = fold_t<reductions_visitor, E>;

template <class E>
inline constexpr bool is_closed_v = free_indices_t<E>::size == 0;
template <class R>
struct is_closed_reduction : std::bool_constant<is_closed_v<R>> {};
template <class E>
using closed_reductions_t = filter_t<reductions_in_t<E>, is_closed_reduction>;

// The first word of a fixed_string spelling prefix followed by k in decimal, most significant digit first (k below
// 10^7, so that it fits).
constexpr std::uint64_t numbered_name(char prefix, int k) {
  int digits = 1;
  for (int rest = k; rest >= 10; rest /= 10) ++digits;
  std::uint64_t word = std::uint64_t(static_cast<unsigned char>(prefix));
  for (int d = digits; d >= 1; --d, k /= 10) word |= std::uint64_t('0' + k % 10) << (8 * d);
  return word;
}

// A reduction with free indices that the plan computes once, in an earlier pass, into a buffer over its free
// indices (the per-class sums every row of a Dice gradient reads): R as computed, read back as the tensor
// access<intermediate<K, R>, output indices of R...>. K numbers the intermediates of a plan from 1 (how they print).
template <int K, class R>
struct intermediate {
  static constexpr int number = K;
  using computation = R;
  static constexpr fixed_string name = fixed_string(numbered_name('t', K), 0, 0);
};
template <int K, class R>
struct is_tensor_symbol<intermediate<K, R>> : std::true_type {};
// Position Position of intermediate K's buffer, standing for index Original of the expression it replaced: the
// indices of an intermediate's computation, so that its buffer is laid out with the chosen row first and no two
// intermediates share an index type (their extents may differ).
template <int Position, int K, class Original>
struct buffer_index {
  using original = Original;
};
template <int P, int K, class O>
struct is_index<buffer_index<P, K, O>> : std::true_type {};
template <int P, int K, class O>
struct stands_for<buffer_index<P, K, O>> {
  using type = O;
};
template <int P, int K, class O>
struct is_expression<buffer_index<P, K, O>> : std::true_type {};
template <int P, int K, class O>
inline constexpr int output_rank_v<buffer_index<P, K, O>> = P - (1 << 20);  // in position order, first
template <class S>
inline constexpr bool is_intermediate_v = false;
template <int K, class R>
inline constexpr bool is_intermediate_v<intermediate<K, R>> = true;
// A buffer's slot P stands for the tensors its computation reads along its P-th index.
template <int K, class R, int P>
struct slot_sources<intermediate<K, R>, P> {
  using type = decltype([]<class... I>(type_list<I...>) {
    return any_extent_sources_t<std::tuple_element_t<std::size_t(P), std::tuple<I...>>, R>{};
  }(output_indices_t<R>{}));
};
template <class S>
struct is_intermediate : std::bool_constant<is_intermediate_v<S>> {};
template <class E>
using intermediates_in_t = filter_t<symbols_of_t<E>, is_intermediate>;

// The level of a closed reduction: 1 + the deepest level of the closed reductions and intermediates its body reads;
// an intermediate's level is likewise 1 + the deepest level of what it reads, the latest pass that can write it (a
// buffer read at its reader's own row is written with the reader, plan.hpp). Reductions of one level can share a
// pass; level L needs the results of level L - 1.
template <class E>
constexpr int closed_depth();
template <class Op, class I, class B>
constexpr int reduction_level(std::type_identity<reduce<Op, I, B>>) {
  return 1 + closed_depth<B>();
}
template <int K, class R>
constexpr int reduction_level(std::type_identity<intermediate<K, R>>) {
  return 1 + closed_depth<R>();
}
template <class E>
constexpr int closed_depth() {
  return []<class... R>(type_list<R...>) {
    int depth = 0;
    ((depth = std::max(depth, reduction_level(std::type_identity<R>{}))), ...);
    return depth;
  }(closed_reductions_t<E>{} + intermediates_in_t<E>{});
}

// Every index type E mentions (free or bound), except the flat index that reductions over bare tensors bind.
struct indices_visitor {
  template <class I>
  using on_index = std::conditional_t<std::is_same_v<I, flat_index>, type_list<>, index_parts_t<I>>;
  template <class N>
  using on_number = type_list<>;
  template <class S>
  using on_scalar = type_list<>;
  template <class E, class I>
  using on_along = on_index<I>;
  template <class A>
  using on_witness = fold_t<indices_visitor, A>;
  template <class E, class S, class... Slots>
  using on_access = set_union_t<Slots...>;
  template <class E, class... Args>
  using on_node = set_union_t<Args...>;
  template <class E, class I, class Body>
  using on_reduce = set_union_t<on_index<I>, Body>;
};
template <class E>
using indices_in_t = fold_t<indices_visitor, E>;

// The first subexpression of type R inside e (R must occur): how a plan takes the value of a reduction or an
// intermediate, literals included, out of the expression that holds it.
template <class R>
struct occurs_visitor {
  template <class E, class... Children>
  using here_or_below = std::bool_constant<std::is_same_v<R, E> || (Children::value || ...)>;
  template <class I>
  using on_index = here_or_below<I>;
  template <class N>
  using on_number = here_or_below<N>;
  template <class S>
  using on_scalar = here_or_below<S>;
  template <class E, class I>
  using on_along = here_or_below<E>;
  template <class A>
  using on_witness = here_or_below<witness<A>>;
  template <class E, class S, class... Slots>
  using on_access = here_or_below<E, Slots...>;
  template <class E, class... Args>
  using on_node = here_or_below<E, Args...>;
  template <class E, class I, class Body>
  using on_reduce = here_or_below<E, Body>;
};
template <class R, class E>
inline constexpr bool occurs_in_v = fold_t<occurs_visitor<R>, E>::value;
template <class R, class E>
constexpr R find_subexpression(E const& e) {
  if constexpr (std::is_same_v<R, E>) {
    return e;
  } else if constexpr (is_reduce_v<E>) {
    return find_subexpression<R>(e.body);
  } else {
    static_assert(is_node_v<E> || is_access_v<E>);
    auto const& children = [&]() -> auto const& {
      if constexpr (is_node_v<E>)
        return e.args;
      else
        return e.slots;
    }
    ();
    return [&]<template <class...> class Tuple, class... C>(Tuple<C...> const& t) {
      return find_subexpression<R>(get<first_true<occurs_in_v<R, C>...>()>(t));
    }(children);
  }
}

}  // namespace lossforge::detail
