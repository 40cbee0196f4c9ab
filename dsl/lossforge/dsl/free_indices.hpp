#pragma once
// Which indices an expression leaves free (not bound by one of its reductions). A loss has none; a gradient has
// the gradient indices of the tensor it was taken with respect to.
#include <lossforge/dsl/expr.hpp>
#include <lossforge/dsl/type_list.hpp>

namespace lossforge::detail {

template <class E>
struct free_indices {
  using type = type_list<>;  // scalars, constants, literals
};
template <class E>
using free_indices_t = typename free_indices<E>::type;

template <Index I>
struct free_indices<I> {
  using type = type_list<I>;
};
template <class I>
struct free_indices<extent<I>> {
  using type = type_list<I>;
};
template <class I>
struct free_indices<ones<I>> {
  using type = type_list<I>;
};
template <class S, class... Slots>
struct free_indices<access<S, Slots...>> {
  using type = set_union_t<free_indices_t<Slots>...>;
};
template <class Op, class... A>
struct free_indices<node<Op, A...>> {
  using type = set_union_t<free_indices_t<A>...>;
};
template <class Op, class I, class B>
struct free_indices<reduce<Op, I, B>> {
  using type = remove_type_t<free_indices_t<B>, I>;
};

template <class I>
struct is_gradient_index : std::false_type {};
template <class S, int P, int D, fixed_string N>
struct is_gradient_index<gradient_index<S, P, D, N>> : std::true_type {};
template <class I>
struct is_bound_kind : std::bool_constant<!is_gradient_index<I>::value> {};

// Free indices a user could still reduce over: named and flat ones (gradient indices are outputs).
template <class E>
using bound_free_indices_t = filter_t<free_indices_t<E>, is_bound_kind>;

}  // namespace lossforge::detail
