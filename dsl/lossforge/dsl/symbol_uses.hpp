#pragma once
// Type-level facts about how symbols are used in an expression: whether one occurs, every access to a tensor,
// and whether those accesses agree (same rank, one form, no repeated index). grad and the evaluators check these.
#include <lossforge/dsl/free_indices.hpp>

namespace lossforge::detail {

template <class E>
inline constexpr bool is_access_v = false;
template <class S, class... Sl>
inline constexpr bool is_access_v<access<S, Sl...>> = true;
template <class E>
inline constexpr bool is_node_v = false;
template <class Op, class... A>
inline constexpr bool is_node_v<node<Op, A...>> = true;
template <class E>
inline constexpr bool is_reduce_v = false;
template <class Op, class I, class B>
inline constexpr bool is_reduce_v<reduce<Op, I, B>> = true;

// Every access node of tensor X in E (with repetitions removed); a witness of one counts, as it reads X's shape.
template <class X>
struct accesses_visitor {
  template <class I>
  using on_index = type_list<>;
  template <class N>
  using on_number = type_list<>;
  template <class S>
  using on_scalar = std::conditional_t<std::is_same_v<S, X>, type_list<S>, type_list<>>;
  template <class E, class I>
  using on_along = type_list<>;
  template <class A>
  using on_witness = fold_t<accesses_visitor, A>;
  template <class E, class S, class... Slots>
  using on_access = set_union_t<std::conditional_t<std::is_same_v<S, X>, type_list<E>, type_list<>>, Slots...>;
  template <class E, class... Args>
  using on_node = set_union_t<Args...>;
  template <class E, class I, class Body>
  using on_reduce = Body;
};
template <class X, class E>
using accesses_of_t = fold_t<accesses_visitor<X>, E>;

template <class E, class X>
inline constexpr bool contains_symbol_v = accesses_of_t<X, E>::size != 0;

// Every symbol (tensor or scalar) whose elements E reads; a witness reads none (its tensor's extents come from the
// bindings through extent_sources).
struct symbols_visitor {
  template <class I>
  using on_index = type_list<>;
  template <class N>
  using on_number = type_list<>;
  template <class S>
  using on_scalar = type_list<S>;
  template <class E, class I>
  using on_along = type_list<>;
  template <class A>
  using on_witness = type_list<>;
  template <class E, class S, class... Slots>
  using on_access = set_union_t<type_list<S>, Slots...>;
  template <class E, class... Args>
  using on_node = set_union_t<Args...>;
  template <class E, class I, class Body>
  using on_reduce = Body;
};
template <class E>
using symbols_of_t = fold_t<symbols_visitor, E>;

template <class A>
struct access_facts {  // a scalar symbol
  static constexpr int rank = 0;
  static constexpr bool flat = false;
  static constexpr bool repeated_index = false;
};
template <class S, class... Sl>
struct access_facts<access<S, Sl...>> {
  static constexpr int rank = int(sizeof...(Sl));
  static constexpr bool flat = (is_flat_slot_v<Sl> || ...);
  static constexpr bool repeated_index =
      filter_t<type_list<Sl...>, is_index>::size != set_union_t<filter_t<type_list<Sl...>, is_index>>::size;
  // Reads at a computed position that may lie outside the tensor (a gather, a window position).
  static constexpr bool gathers = (!in_bounds_slot_v<Sl> || ...);
  // Reads at a position computed from a value (t(i)), not from indices.
  static constexpr bool gathers_by_value = ((!is_index<Sl>::value && !is_window_slot_v<Sl>) || ...);
  template <int P>
  using slot = std::tuple_element_t<std::size_t(P), std::tuple<Sl...>>;
};

template <class Slot>
struct index_name {
  static constexpr bool named = false;
};
template <fixed_string N>
struct index_name<index<N>> {
  static constexpr bool named = true;
  static constexpr auto value = N;
};
template <fixed_string N>
struct index_name<window_index<N>> : index_name<index<N>> {};

template <int P>
constexpr auto default_index_name() {
  constexpr char names[][3] = {"j0", "j1", "j2", "j3", "j4", "j5", "j6", "j7", "j8", "j9"};
  static_assert(P < 10, "lossforge: tensors of rank above 10 are not supported");
  return fixed_string(names[P]);
}

template <class X, class E>
struct symbol_uses {
  using accesses = accesses_of_t<X, E>;

  static constexpr bool consistent_rank = []<class... A>(type_list<A...>) {
    return ((access_facts<A>::rank == access_facts<std::tuple_element_t<0, std::tuple<A...>>>::rank) && ...);
  }(accesses{});
  static constexpr bool mixed = []<class... A>(type_list<A...>) {
    return (access_facts<A>::flat || ...) && !(access_facts<A>::flat && ...);
  }(accesses{});
  static constexpr bool repeated_index = []<class... A>(type_list<A...>) {
    return (access_facts<A>::repeated_index || ...);
  }(accesses{});
  static constexpr bool flat = []<class... A>(type_list<A...>) { return (access_facts<A>::flat && ...); }(accesses{});
  static constexpr int rank = []<class... A>(type_list<A...>) {
    int r = 0;
    ((r = access_facts<A>::rank), ...);
    return r;
  }(accesses{});

  // The name the P-th gradient index prints with: the index at position P of the first access that has one there.
  template <int P>
  static constexpr auto pick_name() {
    if constexpr (P == flat_position) {
      return fixed_string("");
    } else {
      return []<class... A>(type_list<A...>) {
        constexpr std::size_t count = sizeof...(A);
        constexpr bool named[] = {false, index_name<typename access_facts<A>::template slot<P>>::named...};
        constexpr std::size_t first = [&] {
          for (std::size_t k = 1; k <= count; ++k)
            if (named[k]) return k;
          return std::size_t(0);
        }();
        if constexpr (first == 0)
          return default_index_name<P>();
        else
          return index_name<
              typename access_facts<std::tuple_element_t<first - 1, std::tuple<A...>>>::template slot<P>>::value;
      }(accesses{});
    }
  }
  template <int P>
  static constexpr auto display_name = pick_name<P>();
};

// The deepest gradient index in E, so grad(grad(...)) makes fresh ones.
template <class I>
struct gradient_depth_of : std::integral_constant<int, 0> {};
template <class S, int P, int D, fixed_string N>
struct gradient_depth_of<gradient_index<S, P, D, N>> : std::integral_constant<int, D> {};
template <class E>
inline constexpr int gradient_depth_v = []<class... I>(type_list<I...>) {
  int depth = 0;
  ((depth = gradient_depth_of<I>::value > depth ? gradient_depth_of<I>::value : depth), ...);
  return depth;
}(free_indices_t<E>{});

}  // namespace lossforge::detail
