#pragma once
// Where the extent of an index comes from: the tensor slots it indexes. extent_sources_t<I, E> lists them as
// (tensor symbol, slot position) pairs for the free occurrences of I in E; any_extent_sources_t<I, E> for every
// occurrence. A witness<A> node keeps an access's shape information after simplification removed the access itself.
#include <lossforge/dsl/free_indices.hpp>
#include <lossforge/dsl/windows.hpp>

namespace lossforge {

namespace detail {
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

// What a window slot x(h + u) at position Position tells of the extent of its position h: Symbol's dimension there
// less Offset's extent plus one, or the dimension where the window is zero-padded (windows.hpp).
template <class Symbol, int Position, class Offset, bool Padded>
struct window_source {};

// The index I stands for, as type, where I is a copy of another with the same extent (a plan's buffer index stands
// for the index of the expression it replaced): where no tensor is indexed by I (a class index that a buffer's
// computation only compares targets with), the other's sources give its extent.
template <class I>
struct stands_for {};
template <class I>
inline constexpr bool stands_for_another_v = requires { typename stands_for<I>::type; };

// The (symbol, position) sources of the slots of access A that I fills.
template <class I, class A>
struct slots_filled_by;
// What slot K of an access of S tells of I's extent: the slot's extent where the slot is I, a window_source where it
// is a window whose position is I.
template <class I, class S, int K, class Slot>
struct slot_filled_by {
  using type = std::conditional_t<std::is_same_v<Slot, I>,
                                  typename slot_sources<S, is_flat_slot_v<Slot> ? flat_position : K>::type,
                                  type_list<>>;
};
template <class I, class S, int K, class Slot>
requires is_window_slot_v<Slot> struct slot_filled_by<I, S, K, Slot> {
  using type = std::conditional_t<std::is_same_v<typename window_slot<Slot>::position, I>,
                                  type_list<window_source<S, K, typename window_slot<Slot>::offset,
                                                          window_slot<Slot>::padded>>,
                                  type_list<>>;
};
template <class I, class S, class... Sl>
struct slots_filled_by<I, access<S, Sl...>> {
  template <std::size_t... K>
  static auto own(std::index_sequence<K...>) -> set_union_t<typename slot_filled_by<I, S, int(K), Sl>::type...>;
  using type = decltype(own(std::index_sequence_for<Sl...>{}));
  static constexpr bool any = (std::is_same_v<Sl, I> || ...);
};

// The extent sources of I in E: of its free occurrences only (FreeOnly), or of every one.
template <class I, bool FreeOnly>
struct extent_sources_visitor {
  template <class J>
  using on_index = type_list<>;
  template <class N>
  using on_number = type_list<>;
  template <class S>
  using on_scalar = type_list<>;
  template <class E, class J>
  using on_along = type_list<>;
  template <class A>
  using on_witness = fold_t<extent_sources_visitor, A>;
  template <class E, class S, class... Slots>
  using on_access = set_union_t<typename slots_filled_by<I, E>::type, Slots...>;
  template <class E, class... Args>
  using on_node = set_union_t<Args...>;
  template <class E, class J, class Body>
  using on_reduce = std::conditional_t<FreeOnly && std::is_same_v<I, J>, type_list<>, Body>;
};
template <class I, class E>
using extent_sources_t = fold_t<extent_sources_visitor<I, true>, E>;
template <class I, class E>
using any_extent_sources_t = fold_t<extent_sources_visitor<I, false>, E>;

// The scopes of bare tensors in E: the groups of bare tensors read at the same flat positions, each a type_list of
// extent sources. Every reduction over all elements of bare tensors is one (its body's tensors); so is each free flat
// index of E (its per-element loss; a bare tensor X's gradient, whose scope holds X itself). Their tensors broadcast
// to one shape per scope.
struct flat_scopes_visitor {
  template <class J>
  using on_index = type_list<>;
  template <class N>
  using on_number = type_list<>;
  template <class S>
  using on_scalar = type_list<>;
  template <class E, class J>
  using on_along = type_list<>;
  template <class A>
  using on_witness = type_list<>;
  template <class E, class S, class... Slots>
  using on_access = set_union_t<type_list<>, Slots...>;
  template <class E, class... Args>
  using on_node = set_union_t<type_list<>, Args...>;
  template <class E, class J, class Body>
  using on_reduce = std::conditional_t<std::is_same_v<J, flat_index>,
                                       set_union_t<type_list<extent_sources_t<J, decltype(E::body)>>, Body>, Body>;
};
template <class I, class E>
struct free_flat_scope {
  using type = type_list<>;
};
template <class E>
struct free_flat_scope<flat_index, E> {
  using type = type_list<extent_sources_t<flat_index, E>>;
};
template <class X, int D, fixed_string N, class E>
struct free_flat_scope<gradient_index<X, flat_position, D, N>, E> {
  using type = type_list<
      set_union_t<type_list<extent_source<X, flat_position>>, extent_sources_t<gradient_index<X, flat_position, D, N>, E>>>;
};
template <class E, class Free = free_indices_t<E>>
struct flat_scopes;
template <class E, class... I>
struct flat_scopes<E, type_list<I...>> {
  using type = set_union_t<fold_t<flat_scopes_visitor, E>, typename free_flat_scope<I, E>::type...>;
};
template <class E>
using flat_scopes_t = typename flat_scopes<E>::type;

template <class Source>
struct flat_symbol {
  using type = type_list<>;
};
template <class S>
struct flat_symbol<extent_source<S, flat_position>> {
  using type = type_list<S>;
};
template <class Scopes>
struct scope_symbols;
template <class... Scope>
struct scope_symbols<type_list<Scope...>> {
  template <class... Src>
  static auto of(type_list<Src...>) -> set_union_t<type_list<>, typename flat_symbol<Src>::type...>;
  using type = set_union_t<type_list<>, decltype(of(Scope{}))...>;
};
// The bare tensors of a scope (a type_list of extent sources), and of all of E's scopes.
template <class Scope>
using scope_symbols_t = typename scope_symbols<type_list<Scope>>::type;
template <class E>
using bare_tensors_t = typename scope_symbols<flat_scopes_t<E>>::type;

// Whether index I is the flat gradient index of tensor S.
template <class S, class I>
inline constexpr bool is_flat_gradient_of_v = false;
template <class S, int D, fixed_string N>
inline constexpr bool is_flat_gradient_of_v<S, gradient_index<S, flat_position, D, N>> = true;

// The first access in E that indexes by a free I and whose free indices are all in the type_list Allowed (void if
// none): with every index allowed, where I's extent is read; with fewer, an access whose witness keeps I's extent
// without making another index free.
struct any_index {};  // every index is allowed
template <class I, class Allowed>
struct indexing_access_visitor {
  template <class A>
  static constexpr bool fits = slots_filled_by<I, A>::any && (std::is_same_v<Allowed, any_index> ||
                                                               []<class... F>(type_list<F...>) {
                                                                 return (contains_v<Allowed, F> && ...);
                                                               }(free_indices_t<A>{}));
  template <class J>
  using on_index = void;
  template <class N>
  using on_number = void;
  template <class S>
  using on_scalar = void;
  template <class E, class J>
  using on_along = void;
  template <class A>
  using on_witness = fold_t<indexing_access_visitor, A>;
  template <class E, class S, class... Slots>
  using on_access = std::conditional_t<fits<E>, E, void>;
  template <class E, class... Args>
  using on_node = typename first_non_void_type<Args...>::type;
  template <class E, class J, class Body>
  using on_reduce = std::conditional_t<std::is_same_v<I, J>, void, Body>;
};
template <class I, class E>
using first_indexing_access_t = fold_t<indexing_access_visitor<I, any_index>, E>;
template <class I, class Allowed, class E>
using first_witness_access_t = fold_t<indexing_access_visitor<I, Allowed>, E>;
}  // namespace detail
}  // namespace lossforge
