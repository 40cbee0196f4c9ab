#pragma once
// Which indices an expression leaves free (not bound by one of its reductions). A loss has none; a gradient has
// the gradient indices of the tensor it was taken with respect to.
#include <array>
#include <tuple>
#include <utility>

#include <lossforge/dsl/expr.hpp>
#include <lossforge/dsl/traversal.hpp>
#include <lossforge/dsl/type_list.hpp>
#include <lossforge/dsl/windows.hpp>

namespace lossforge::detail {

struct free_indices_visitor {
  template <class I>
  using on_index = index_parts_t<I>;
  template <class N>
  using on_number = type_list<>;
  template <class S>
  using on_scalar = type_list<>;
  template <class E, class I>
  using on_along = index_parts_t<I>;
  template <class A>
  using on_witness = fold_t<free_indices_visitor, A>;
  template <class E, class S, class... Slots>
  using on_access = set_union_t<Slots...>;
  template <class E, class... Args>
  using on_node = set_union_t<Args...>;
  template <class E, class I, class Body>
  using on_reduce = remove_type_t<Body, I>;
};
template <class E>
using free_indices_t = fold_t<free_indices_visitor, E>;

template <class I>
struct is_gradient_index : std::false_type {};
template <class S, int P, int D, fixed_string N>
struct is_gradient_index<gradient_index<S, P, D, N>> : std::true_type {};
template <class I>
struct is_bound_kind : std::bool_constant<!is_gradient_index<I>::value> {};

// Free indices a user could still reduce over: named and flat ones (gradient indices are outputs).
template <class E>
using bound_free_indices_t = filter_t<free_indices_t<E>, is_bound_kind>;

// Free indices in output order: the gradient indices by (depth, position), so a gradient has its tensor's shape;
// then the others in order of appearance. Every backend lays out an expression's values in this order.
// An index kind may set its own place (a plan's buffer indices come first, by position).
template <class I>
inline constexpr int output_rank_v = 0;
template <class I>
constexpr int output_rank() {
  if constexpr (output_rank_v<I> != 0)
    return output_rank_v<I>;
  else if constexpr (is_gradient_index<I>::value)
    return []<class X, int P, int D, fixed_string N>(std::type_identity<gradient_index<X, P, D, N>>) {
      return D * 64 + P + 1;
    }(std::type_identity<I>{});
  else
    return 1 << 20;
}
template <class... I>
constexpr auto output_order(type_list<I...>) {
  return []<std::size_t... K>(std::index_sequence<K...>) {
    [[maybe_unused]] constexpr auto order = [] {  // unused for a scalar
      constexpr std::array<int, sizeof...(I)> rank{output_rank<I>()...};
      std::array<std::size_t, sizeof...(I)> o{};
      for (std::size_t a = 0; a != o.size(); ++a) {
        std::size_t r = 0;
        for (std::size_t b = 0; b != o.size(); ++b) r += rank[b] < rank[a] || (rank[b] == rank[a] && b < a);
        o[r] = a;
      }
      return o;
    }();
    return type_list<std::tuple_element_t<order[K], std::tuple<I...>>...>{};
  }
  (std::index_sequence_for<I...>{});
}
template <class E>
using output_indices_t = decltype(output_order(free_indices_t<E>{}));

}  // namespace lossforge::detail
