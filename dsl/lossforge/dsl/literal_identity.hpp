#pragma once
// Runtime numbers get a type-level identity, so that equal types mean equal values in every pass that shares work
// by type (plan globals, per-row caches, block sharing, the simplifier's like terms).
//
// A number written in an expression is literal<numbered<0>>. A builder that joins operands renumbers them apart: the
// second operand's numbers move past the first's, the third's past both, and so on, so the numbers of one
// expression are distinct however it was assembled (two Huber losses with deltas 1 and 2 differ in type). Copies of
// a subtree keep its numbers: grad differentiates with them frozen (frozen<Id> is left alone by renumbering) and
// thaws them after, so a derivative shares the loss's numbers. A number the simplifier folds is computed<Op, Ids...>,
// named by how it was made.
#include <algorithm>
#include <tuple>

#include <lossforge/dsl/extent_sources.hpp>
#include <lossforge/dsl/symbol_uses.hpp>
#include <lossforge/dsl/transform.hpp>

namespace lossforge::detail {

template <class Id>
struct frozen {};

// ---- the numbers an expression uses ----------------------------------------------------------------------------
// One past the largest number of an id (0 if none); a frozen id counts for nothing.
template <class Id>
inline constexpr int id_numbers_end = 0;
template <int K>
inline constexpr int id_numbers_end<numbered<K>> = K + 1;
template <class Op, class... Ids>
inline constexpr int id_numbers_end<computed<Op, Ids...>> = std::max({0, id_numbers_end<Ids>...});

// One past the largest number of the literals of E.
template <class Number>
inline constexpr int number_end = 0;  // a constant
template <class Id>
inline constexpr int number_end<literal<Id>> = id_numbers_end<Id>;
struct numbers_end_visitor {
  template <int K>
  using end = std::integral_constant<int, K>;
  template <class... Children>
  using largest = end<std::max({0, Children::value...})>;
  template <class I>
  using on_index = end<0>;
  template <class N>
  using on_number = end<number_end<N>>;
  template <class S>
  using on_scalar = end<0>;
  template <class E, class I>
  using on_along = end<0>;
  template <class A>
  using on_witness = end<0>;
  template <class E, class S, class... Slots>
  using on_access = largest<Slots...>;
  template <class E, class... Args>
  using on_node = largest<Args...>;
  template <class E, class I, class Body>
  using on_reduce = Body;
};
template <class E>
inline constexpr int numbers_end = fold_t<numbers_end_visitor, E>::value;

// ---- id maps ---------------------------------------------------------------------------------------------------
template <int Offset>
struct shifted {
  template <class Id>
  struct map {
    using type = Id;
  };
  template <int K>
  struct map<numbered<K>> {
    using type = numbered<K + Offset>;
  };
  template <class Op, class... Ids>
  struct map<computed<Op, Ids...>> {
    using type = computed<Op, typename map<Ids>::type...>;
  };
};
struct freezing {
  template <class Id>
  struct map {
    using type = frozen<Id>;
  };
};
struct thawing {
  template <class Id>
  struct map {
    using type = Id;
  };
  template <class Id>
  struct map<frozen<Id>> {
    using type = Id;
  };
  template <class Op, class... Ids>
  struct map<computed<Op, Ids...>> {
    using type = computed<Op, typename map<Ids>::type...>;
  };
};

// E with every literal's id replaced by Map::map<Id>::type; the values stay.
template <class Map, class E>
constexpr auto map_literal_ids(E const& e) {
  if constexpr (numbers_end<E> == 0 && !std::is_same_v<Map, thawing>) {
    return e;  // nothing to renumber or freeze below
  } else if constexpr (is_literal_v<E>) {
    return [&]<class Id>(literal<Id> const& l) { return literal<typename Map::template map<Id>::type>{l.value}; }(e);
  } else if constexpr (is_access_v<E>) {
    return map_slots(e, [](auto const& s) { return map_literal_ids<Map>(s); });
  } else if constexpr (is_node_v<E>) {
    return map_args(e, [](auto const& a) { return map_literal_ids<Map>(a); });
  } else if constexpr (is_reduce_v<E>) {
    return [&]<class Op, class I, class B>(reduce<Op, I, B> const& r) {
      auto body = map_literal_ids<Map>(r.body);
      return reduce<Op, I, decltype(body)>{body};
    }(e);
  } else {
    return e;
  }
}

template <class E>
constexpr auto freeze_literals(E const& e) {
  return map_literal_ids<freezing>(e);
}
template <class E>
constexpr auto thaw_literals(E const& e) {
  return map_literal_ids<thawing>(e);
}

// The operands of one new node, each one's numbers moved past those of the operands before it.
template <int Offset>
constexpr auto numbered_apart() {
  return tuple<>{};
}
template <int Offset, class First, class... Rest>
constexpr auto numbered_apart(First const& first, Rest const&... rest) {
  auto moved = map_literal_ids<shifted<Offset>>(first);
  return detail::tuple_cat(make_tuple(moved), numbered_apart<Offset + numbers_end<First>>(rest...));
}

}  // namespace lossforge::detail
