#pragma once
// Materialized intermediates: a reduction with free indices that a work item would recompute for every position of
// an index it does not depend on becomes a buffer over its free indices, written in an earlier pass.
//
// A work item runs over a row (the first output index of what it writes, or the index of a global it accumulates)
// and loops over the rest of its output indices and over the indices of the reductions around a node. A reduction
// R with free indices F is computed once per work item when F is the row alone (it is cached), and once per
// position of the loops around it otherwise: redundant when one of those loops is not in F. Per-class Dice's
// sum_i(p[i,c] g[i,c]) in a gradient written along rows i and classes c costs N per entry, N^2 C in all; as a
// buffer over c it costs N C once. A similarity sum_d(a[i,d] q[j,d]) read inside sum_j for every d of row i, and a
// log-sum-exp over row i read by the rows j of the other gradient, likewise.
//
// The pass rewrites each output: a redundant reduction becomes access<intermediate<K, R'>, F...> (R' the reduction
// with its own redundant parts rewritten in its own context), and each R' becomes an output of the plan, written
// like a gradient (row: its first free index). Occurrences that are not redundant stay where they are: the mean of
// the per-row log-sum-exp in the loss reads it from the row it is computed in, so the loss needs no extra pass.
#include <tuple>

#include <lossforge/dsl/transform.hpp>
#include <lossforge/plan/reductions.hpp>

namespace lossforge::detail {

template <class List, class T>
inline constexpr int index_in_v = -1;
template <class... Ts, class T>
inline constexpr int index_in_v<type_list<Ts...>, T> =
    contains_v<type_list<Ts...>, T> ? int(first_true<std::is_same_v<Ts, T>...>()) : -1;

// Whether every type of list B is in list A.
template <class A, class B>
inline constexpr bool includes_v = []<class... T>(type_list<T...>) { return (contains_v<A, T> && ...); }(B{});

// Whether reduction R, met inside loops Loops of a work item over Row, is recomputed per position of an index it
// does not depend on (see above). A reduction that depends on all elements of a bare tensor stays: it has no
// buffer shape.
template <class R, class Row, class Loops>
constexpr bool is_redundant() {
  using F = free_indices_t<R>;
  constexpr bool flat = []<class... I>(type_list<I...>) { return (is_flat_slot_v<I> || ...); }(F{});
  return F::size != 0 && !flat && !std::is_same_v<F, type_list<Row>> && !includes_v<F, Loops>;
}

template <class E>
struct first_or_none {
  using type = void;
};
template <class I, class... Is>
struct first_or_none<type_list<I, Is...>> {
  using type = I;
};

// E with its redundant reductions read from buffers; Row and Loops are E's context. Names lists the intermediates
// by the reductions they replace: empty, the pass marks each as intermediate<0, R> (how the list is found); given,
// intermediate K is the K-th of Names, computed as it is rewritten in its own context.
template <class Names, class Row, class Loops, class E>
constexpr auto materialized(E const& e);

// Reduction R rewritten as an output of its own: a work item over its first free index, looping over the others.
template <class Names, class R>
constexpr auto as_intermediate(R const& r) {
  using F = output_indices_t<R>;
  return materialized<Names, typename first_or_none<F>::type, F>(r);
}

template <class Names, class Row, class Loops, class E>
constexpr auto materialized(E const& e) {
  if constexpr (is_reduce_v<E>) {
    return [&]<class Op, class I, class B>(reduce<Op, I, B> const& r) {
      if constexpr (is_closed_v<E>) {  // a global: its own work items run over I
        auto body = materialized<Names, I, type_list<I>>(r.body);
        return reduce<Op, I, decltype(body)>{body};
      } else if constexpr (is_redundant<E, Row, Loops>()) {
        using symbol = decltype([] {
          if constexpr (Names::size == 0)
            return intermediate<0, E>{};
          else
            return intermediate<index_in_v<Names, E> + 1, decltype(as_intermediate<Names>(std::declval<E>()))>{};
        }());
        return []<class... F>(type_list<F...>) {
          return access<symbol, F...>{};
        }(output_indices_t<E>{});
      } else {
        auto body = materialized<Names, Row, decltype(Loops{} | std::type_identity<I>{})>(r.body);
        return reduce<Op, I, decltype(body)>{body};
      }
    }(e);
  } else if constexpr (is_node_v<E>) {
    return map_args(e, [](auto const& a) { return materialized<Names, Row, Loops>(a); });
  } else if constexpr (is_access_v<E>) {
    return map_slots(e, [](auto const& s) { return materialized<Names, Row, Loops>(s); });
  } else {
    return e;
  }
}

// An output in its own context: rows along its first output index (none for a number finished on the host).
template <class Names, class E>
constexpr auto materialized_output(E const& e) {
  using F = output_indices_t<E>;
  return materialized<Names, typename first_or_none<F>::type, F>(e);
}

// The reductions to materialize: those the outputs read redundantly, then those their buffers' computations do.
template <class Found, class Pending>
struct redundant_closure {
  using type = Found;
};
template <class Found, int Z, class R, class... Pending>
struct redundant_closure<Found, type_list<intermediate<Z, R>, Pending...>> {
  using inner = intermediates_in_t<decltype(as_intermediate<type_list<>>(std::declval<R>()))>;
  using type = typename std::conditional_t<
      contains_v<Found, R>, redundant_closure<Found, type_list<Pending...>>,
      redundant_closure<decltype(Found{} + type_list<R>{}), decltype(type_list<Pending...>{} + inner{})>>::type;
};

struct outputs_root {};

// Outputs E... with their redundant reductions materialized: the rewritten outputs, then intermediate K's
// computation at position sizeof...(E) + K - 1.
template <class... E>
constexpr auto with_intermediates(E const&... outputs) {
  using found = set_union_t<intermediates_in_t<decltype(materialized_output<type_list<>>(outputs))>...>;
  using names = typename redundant_closure<type_list<>, found>::type;
  node<outputs_root, E...> const root{make_tuple(outputs...)};
  return [&]<class... R>(type_list<R...>) {
    return std::make_tuple(materialized_output<names>(outputs)...,
                           as_intermediate<names>(find_reduction<R>(root))...);
  }(names{});
}

}  // namespace lossforge::detail
