#pragma once
// Where the extent of an index comes from: the tensor slots it indexes. extent_sources_t<I, E> lists them as
// (tensor symbol, slot position) pairs for the free occurrences of I in E; any_extent_sources_t<I, E> for every
// occurrence. A witness<A> node keeps an access's shape information after simplification removed the access itself.
#include <lossforge/dsl/free_indices.hpp>

namespace lossforge {

// The number 1, carrying the shape of access A: simplify puts it where removing A (as in sum(p - p + x)) would
// leave a reduction without a tensor to take its extent from.
template <class Access>
struct witness {};

namespace detail {
template <class A>
struct is_expression<witness<A>> : std::true_type {};
template <class A>
struct free_indices<witness<A>> {
  using type = free_indices_t<A>;
};

// flat_position stands for "all elements of a bare tensor".
template <class Symbol, int Position>
struct extent_source {};
// What slot Position of Symbol tells of an index's extent: that slot's extent; for a buffer a plan computes from
// other tensors, the slots of those tensors it was computed along (so their extents are still checked against the
// rest of the expression, and a mismatch names them).
template <class Symbol, int Position>
struct slot_sources {
  using type = type_list<extent_source<Symbol, Position>>;
};

template <class I, class E>
struct extent_sources {
  using type = type_list<>;
};
template <class I, class E>
using extent_sources_t = typename extent_sources<I, E>::type;
template <class I, class S, class... Sl>
struct extent_sources<I, access<S, Sl...>> {
  template <std::size_t... K>
  static auto own(std::index_sequence<K...>) -> set_union_t<
      std::conditional_t<std::is_same_v<Sl, I>,
                         typename slot_sources<S, is_flat_slot_v<Sl> ? flat_position : int(K)>::type, type_list<>>...>;
  using type = set_union_t<decltype(own(std::index_sequence_for<Sl...>{})), extent_sources_t<I, Sl>...>;
};
template <class I, class A>
struct extent_sources<I, witness<A>> {
  using type = extent_sources_t<I, A>;
};
template <class I, class Op, class... A>
struct extent_sources<I, node<Op, A...>> {
  using type = set_union_t<extent_sources_t<I, A>...>;
};
template <class I, class Op, class J, class B>
struct extent_sources<I, reduce<Op, J, B>> {
  using type = std::conditional_t<std::is_same_v<I, J>, type_list<>, extent_sources_t<I, B>>;
};

template <class I, class E>
struct any_extent_sources {
  using type = extent_sources_t<I, E>;
};
template <class I, class E>
using any_extent_sources_t = typename any_extent_sources<I, E>::type;
template <class I, class Op, class... A>
struct any_extent_sources<I, node<Op, A...>> {
  using type = set_union_t<any_extent_sources_t<I, A>...>;
};
template <class I, class Op, class J, class B>
struct any_extent_sources<I, reduce<Op, J, B>> {
  using type = any_extent_sources_t<I, B>;
};

// The first access in E that indexes by a free I (void if none).
template <class I, class E>
struct first_indexing_access {
  using type = void;
};
template <class I, class S, class... Sl>
struct first_indexing_access<I, access<S, Sl...>> {
  using type = std::conditional_t<(std::is_same_v<Sl, I> || ...), access<S, Sl...>, void>;
};
template <class I, class A>
struct first_indexing_access<I, witness<A>> {
  using type = typename first_indexing_access<I, A>::type;
};
template <class I, class Op, class... A>
struct first_indexing_access<I, node<Op, A...>> {
  using type = typename first_non_void_type<typename first_indexing_access<I, A>::type...>::type;
};
template <class I, class Op, class J, class B>
struct first_indexing_access<I, reduce<Op, J, B>> {
  using type = std::conditional_t<std::is_same_v<I, J>, void, typename first_indexing_access<I, B>::type>;
};

// The first access in E that indexes by a free I and has no free index outside the type_list Allowed (void if
// none): a witness of it keeps I's extent without making another index free.
template <class I, class Allowed, class E>
struct first_witness_access {
  using type = void;
};
template <class I, class Allowed, class S, class... Sl>
struct first_witness_access<I, Allowed, access<S, Sl...>> {
  static constexpr bool fits = (std::is_same_v<Sl, I> || ...) && []<class... F>(type_list<F...>) {
    return (contains_v<Allowed, F> && ...);
  }(free_indices_t<access<S, Sl...>>{});
  using type = std::conditional_t<fits, access<S, Sl...>, void>;
};
template <class I, class Allowed, class A>
struct first_witness_access<I, Allowed, witness<A>> {
  using type = typename first_witness_access<I, Allowed, A>::type;
};
template <class I, class Allowed, class Op, class... A>
struct first_witness_access<I, Allowed, node<Op, A...>> {
  using type = typename first_non_void_type<typename first_witness_access<I, Allowed, A>::type...>::type;
};
template <class I, class Allowed, class Op, class J, class B>
struct first_witness_access<I, Allowed, reduce<Op, J, B>> {
  using type = std::conditional_t<std::is_same_v<I, J>, void, typename first_witness_access<I, Allowed, B>::type>;
};
}  // namespace detail
}  // namespace lossforge
