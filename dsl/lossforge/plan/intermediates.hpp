#pragma once
// Materialized intermediates: a subexpression that a work item would recompute for every position of an index it
// does not depend on becomes a buffer over its free indices, written in an earlier pass (or, read only at its
// reader's row, earlier in the reader's work item: plan.hpp).
//
// A work item runs over a row (the first output index of what it writes, or the index of a global it accumulates)
// and loops over the rest of its output indices and over the indices of the reductions around a node. A reduction
// with free indices F is computed once per work item when F is the row alone (it is cached, and its body runs
// once per row), and once per position of the loops around it otherwise: redundant when one of those loops is not
// in F. Per-class Dice's sum_i(p[i,c] g[i,c]) in a gradient written along rows i and classes c costs N per entry,
// N^2 C in all; as a buffer over c it costs N C once. So do a similarity sum_d(a[i,d] q[j,d]) read inside sum_j for
// every d of row i, a log-sum-exp over row i read by the rows j of the other gradient, and a node that costs at
// least an exp (a softmax entry exp(s[i,j] - lse[i]) read for every d): its cost is paid once per position of F
// instead of once per position of the loops.
//
// The pass rewrites each output top-down: the first redundant subexpression on a path becomes a read of buffer K,
// access<intermediate<K, C>, F...>. Its computation C is the subexpression rewritten in its own context: a work
// item per position of the free index that leaves the fewest redundant parts inside it (a softmax entry over row
// i, where row i's log-sum-exp is cached, rather than over column j, where it would need a buffer of its own), the
// others looped; C's indices are renamed buffer_index<0, K, row>, buffer_index<1, K, ...>, so the buffer is laid out
// row first. Occurrences that are not redundant stay where they are: the mean of the per-row log-sum-exp in the loss
// reads it from the row it is computed in, so the loss needs no extra pass. Subexpressions holding a gather
// (x[i, t[i]]) inside a where() branch stay too: a buffer would evaluate them at positions where the where() never
// would (an ignored target of -100 is no error); outside any where() the expression reads them at every position of
// their indices anyway (per-class Dice's sum over positions of the target class's probability times the class
// mask). Other subexpressions under a where() are computed at every position of their indices; values at positions
// the where() does not select are never read.
#include <tuple>

#include <lossforge/dsl/ops.hpp>
#include <lossforge/dsl/reductions.hpp>
#include <lossforge/dsl/substitute.hpp>
#include <lossforge/dsl/symbol_uses.hpp>
#include <lossforge/dsl/transform.hpp>
#include <lossforge/plan/reductions.hpp>
#include <lossforge/plan/split.hpp>

namespace lossforge::detail {

template <class List, class T>
inline constexpr int index_in_v = -1;
template <class... Ts, class T>
inline constexpr int index_in_v<type_list<Ts...>, T> = contains_v<type_list<Ts...>, T>
                                                           ? int(first_true<std::is_same_v<Ts, T>...>())
                                                           : -1;

// Whether every type of list B is in list A.
template <class A, class B>
inline constexpr bool includes_v = []<class... T>(type_list<T...>) { return (contains_v<A, T> && ...); }(B{});

// The flops-equivalents of one evaluation of E, a reduction counting as a transcendental (its extent is not known
// here, and it is at least that costly).
struct evaluation_cost_visitor {
  template <int C>
  using cost = std::integral_constant<int, C>;
  template <class I>
  using on_index = cost<0>;
  template <class N>
  using on_number = cost<0>;
  template <class S>
  using on_scalar = cost<0>;
  template <class E, class I>
  using on_along = cost<0>;
  template <class A>
  using on_witness = cost<0>;
  template <class E, class S, class... Slots>
  using on_access = cost<(Slots::value + ... + 0)>;
  template <class E, class... Args>
  using on_node = cost<node_op<E>::type::cost + (Args::value + ... + 0)>;
  template <class E, class I, class Body>
  using on_reduce = cost<ops::transcendental_cost>;
};
template <class E>
inline constexpr int evaluation_cost_v = fold_t<evaluation_cost_visitor, E>::value;

// Whether E reads a tensor at a computed position (a gather); ByValue: at a position computed from a value (t(i)),
// not from indices (a window position).
template <bool ByValue>
struct gather_visitor_by {
  template <class I>
  using on_index = std::false_type;
  template <class N>
  using on_number = std::false_type;
  template <class S>
  using on_scalar = std::false_type;
  template <class E, class I>
  using on_along = std::false_type;
  template <class A>
  using on_witness = std::false_type;
  template <class E, class S, class... Slots>
  using on_access = std::bool_constant<ByValue ? access_facts<E>::gathers_by_value : access_facts<E>::gathers>;
  template <class E, class... Args>
  using on_node = std::bool_constant<(Args::value || ...)>;
  template <class E, class I, class Body>
  using on_reduce = Body;
};
using gather_visitor = gather_visitor_by<false>;
template <class E>
inline constexpr bool has_gather_v = fold_t<gather_visitor, E>::value;
template <class E>
inline constexpr bool has_gather_by_value_v = fold_t<gather_visitor_by<true>, E>::value;

// Whether E is a reduction over rows split among processes (split.hpp) that leaves indices free, none of them split
// (per-class sums over the split batch, the gradient of a tensor every process holds whole): each process computes it
// from its own rows, so it must be a buffer, combined across the processes before any work item reads it.
template <class E, class Split>
constexpr bool combines_split_rows() {
  if constexpr (Split::size == 0 || !is_reduce_v<E>) {
    return false;
  } else {
    using F = free_indices_t<E>;
    return []<class Op, class I, class B>(std::type_identity<reduce<Op, I, B>>) {
      return runs_over_split_v<any_extent_sources_t<I, E>, Split>;
    }(std::type_identity<E>{}) &&
           F::size != 0 && []<class... J>(type_list<J...>) {
             return (!is_flat_slot_v<J> && ...) && (!runs_over_split_v<any_extent_sources_t<J, E>, Split> && ...);
           }(F{});
  }
}

// Whether E, met inside loops Loops of a work item over Row, is worth a buffer: it costs at least an exp, is
// recomputed per position of an index it does not depend on (see above), or combines split rows; and it holds no
// gather if a where() branch encloses it (Guarded). A subexpression that depends on all elements of a bare tensor
// stays: it has no buffer shape.
template <class E, class Split, class Row, class Loops, bool Guarded>
constexpr bool is_redundant() {
  using F = free_indices_t<E>;
  constexpr bool flat = []<class... I>(type_list<I...>) { return (is_flat_slot_v<I> || ...); }(F{});
  constexpr bool recomputed = (is_reduce_v<E> || is_node_v<E>)&&evaluation_cost_v<E> >= ops::transcendental_cost &&
                              F::size != 0 && !flat && !std::is_same_v<F, type_list<Row>> && !includes_v<F, Loops>;
  return !(Guarded && has_gather_v<E>)&&(recomputed || combines_split_rows<E, Split>());
}

// E with its redundant parts read from buffers; Row and Loops are E's context, Guarded whether a where() branch
// encloses it; Split the tensors split among processes. Names lists the intermediates by the subexpressions they
// replace: empty, the pass marks each as intermediate<0, E> (how the list is found); given, intermediate K is the
// K-th of Names.
template <class Names, class Split, class Row, class Loops, bool Guarded, class E>
constexpr auto materialized(E const& e);
// Reduction r, not itself a buffer, with the redundant parts of its body read from buffers.
template <class Names, class Split, class Row, class Loops, bool Guarded, class Op, class I, class B>
constexpr auto materialized_reduction(reduce<Op, I, B> const& r);

// R in its own context, as an intermediate's computation with rows along Row: R itself is computed there.
template <class Names, class Split, class Row, class R>
constexpr auto materialized_own(R const& r) {
  if constexpr (is_reduce_v<R>)
    return materialized_reduction<Names, Split, Row, output_indices_t<R>, false>(r);
  else
    return materialized<Names, Split, Row, output_indices_t<R>, false>(r);
}
template <class Names, class Split, class R, class Row>
using materialized_in_t = decltype(materialized_own<Names, Split, Row>(std::declval<R>()));

// The free index of R whose work items leave the fewest redundant parts in R (the first of the fewest).
template <class R, class Split, class... F>
constexpr std::size_t best_row(type_list<F...>) {
  constexpr std::size_t parts[] = {intermediates_in_t<materialized_in_t<type_list<>, Split, R, F>>::size...};
  std::size_t best = 0;
  for (std::size_t k = 1; k < sizeof...(F); ++k)
    if (parts[k] < parts[best]) best = k;
  return best;
}
template <class R, class Split>
struct buffer_layout {
  using free = output_indices_t<R>;
  static constexpr std::size_t row = best_row<R, Split>(free{});
  // The free indices, the row first.
  using order = decltype([]<std::size_t... P>(std::index_sequence<P...>) {
    return []<class... F>(type_list<F...>) {
      using indices = std::tuple<F...>;
      return (type_list<std::tuple_element_t<row, indices>>{} + ... +
              std::conditional_t<P == row, type_list<>, type_list<std::tuple_element_t<P, indices>>>{});
    }(free{});
  }(std::make_index_sequence<free::size>{}));
};

// e with From[k] renamed To[k] for every k.
template <class E>
constexpr auto substitute_all(type_list<>, type_list<>, E const& e) {
  return e;
}
template <class From, class... Froms, class To, class... Tos, class E>
constexpr auto substitute_all(type_list<From, Froms...>, type_list<To, Tos...>, E const& e) {
  return substitute_all(type_list<Froms...>{}, type_list<Tos...>{}, substitute<From, To>(e));
}

// Intermediate K's computation: R rewritten in its own context, its free indices renamed to buffer indices in
// buffer order.
template <class Names, class Split, int K, class R>
constexpr auto computation_of(R const& r) {
  using order = typename buffer_layout<R, Split>::order;
  return [&]<class Row, class... Rest>(type_list<Row, Rest...>) {
    auto rewritten = materialized_own<Names, Split, Row>(r);
    return [&]<std::size_t... P>(std::index_sequence<P...>) {
      using indices = std::tuple<Row, Rest...>;
      return substitute_all(type_list<Row, Rest...>{},
                            type_list<buffer_index<int(P), K, std::tuple_element_t<P, indices>>...>{}, rewritten);
    }
    (std::index_sequence_for<Row, Rest...>{});
  }(order{});
}

// ---- windowed statistics ----
// The gradient of a windowed access reads what the loss computes at a window's position h (a local mean
// sum_u w(u) x(h + u)) at the window positions G - u' of each of its elements G, one per offset u' (windows.hpp):
// recomputed there, each costs a window per offset. Such a statistic is a buffer over h instead, computed once per
// position, and read at G - u' (read_through, below).

// The window positions in E whose offsets E leaves free (a sum over the offset binds its own).
template <class I>
struct offset_other_than {
  template <class P>
  using test = std::bool_constant<!std::is_same_v<typename P::offset, I>>;
};
struct window_positions_visitor {
  template <class I>
  using on_index = typename window_positions_of<I>::type;
  template <class N>
  using on_number = type_list<>;
  template <class S>
  using on_scalar = type_list<>;
  template <class E, class I>
  using on_along = type_list<>;
  template <class A>
  using on_witness = fold_t<window_positions_visitor, A>;
  template <class E, class S, class... Slots>
  using on_access = set_union_t<type_list<>, Slots...>;
  template <class E, class... Args>
  using on_node = set_union_t<type_list<>, Args...>;
  template <class E, class I, class Body>
  using on_reduce = filter_t<Body, offset_other_than<I>::template test>;
};
template <class E>
using window_positions_in_t = fold_t<window_positions_visitor, E>;

// ---- separable windows ----
// A reduction inside the sum over a window's offset u that reads x only at h + u (x(h + u, c + v) summed over v: the
// rows of a 2-D window g(u) g(v)) depends on h and u through h + u alone: it is a buffer over the positions p of x's
// dimension, computed once per p, and read at h + u. So a separable K x L window costs K + L per position, not K L.
// Zero-padded, the buffer is read with zeros past its edges as x is, where the reduction is zero wherever x's row
// reads zeros (zero_past_edges below).

// The window slots h + u in E whose offsets are in Loops (bound around E) and whose positions are indices'.
template <class I>
struct bound_elsewhere {
  template <class W>
  using test = std::bool_constant<!std::is_same_v<typename window_slot<W>::position, I> &&
                                  !std::is_same_v<typename window_slot<W>::offset, I>>;
};
template <class Loops>
struct window_sums_visitor {
  template <class Slot>
  static constexpr bool sums = [] {
    if constexpr (!is_window_slot_v<Slot>)
      return false;
    else
      return reads_directly_v<typename window_slot<Slot>::position> &&
             is_window_offset_v<typename window_slot<Slot>::offset> &&
             contains_v<Loops, typename window_slot<Slot>::offset>;
  }();
  template <class A>
  struct of_access;
  template <class S, class... Sl>
  struct of_access<access<S, Sl...>> {
    using type = set_union_t<type_list<>, std::conditional_t<sums<Sl>, type_list<Sl>, type_list<>>...>;
  };
  template <class I>
  using on_index = type_list<>;
  template <class N>
  using on_number = type_list<>;
  template <class S>
  using on_scalar = type_list<>;
  template <class E, class I>
  using on_along = type_list<>;
  template <class A>
  using on_witness = type_list<>;
  template <class E, class S, class... Slots>
  using on_access = set_union_t<typename of_access<E>::type, Slots...>;
  template <class E, class... Args>
  using on_node = set_union_t<type_list<>, Args...>;
  template <class E, class I, class Body>
  using on_reduce = filter_t<Body, bound_elsewhere<I>::template test>;  // a sum over u or h inside E binds its own
};
template <class... W>
auto window_sum_positions(type_list<W...>)
    -> type_list<window_sum_position<typename window_slot<W>::position, typename window_slot<W>::offset>...>;

// Whether E is zero wherever slot P reads zeros (past a zero-padded window's edges), by its form: reads through P,
// products of such a zero with a factor that is finite there, sums, differences and where()s whose terms all are
// zero, sums of such. A factor is finite at zero when it is built only of reads, numbers, +, -, *, square, where()
// and sums (not log(x), 1 / x: 0 times their infinity is NaN in the window summed whole); a factor infinite in the
// data itself still gives NaN there and zero in the buffer. Each padded slot of the buffer alone makes it read a zero.
template <bool Zero, bool Finite>
struct at_padding_zeros {
  static constexpr bool zero = Zero;
  static constexpr bool finite = Finite;
};
using not_known_zero = at_padding_zeros<false, true>;
template <class Op, class... A>
struct at_padding_zeros_of : at_padding_zeros<false, false> {};
template <class A, class B>
struct at_padding_zeros_of<ops::mul, A, B>
    : at_padding_zeros<(A::zero && B::finite) || (B::zero && A::finite), A::finite && B::finite> {};
template <class A, class B>
struct at_padding_zeros_of<ops::add, A, B> : at_padding_zeros<A::zero && B::zero, A::finite && B::finite> {};
template <class A, class B>
struct at_padding_zeros_of<ops::sub, A, B> : at_padding_zeros<A::zero && B::zero, A::finite && B::finite> {};
template <class A>
struct at_padding_zeros_of<ops::neg, A> : at_padding_zeros<A::zero, A::finite> {};
template <class A>
struct at_padding_zeros_of<ops::square, A> : at_padding_zeros<A::zero, A::finite> {};
template <class C, class A, class B>
struct at_padding_zeros_of<ops::select, C, A, B> : at_padding_zeros<A::zero && B::zero, A::finite && B::finite> {};
template <class P>
struct at_padding_zeros_visitor {
  template <class A>
  struct reads_through_p;
  template <class S, class... Sl>
  struct reads_through_p<access<S, Sl...>> : at_padding_zeros<(std::is_same_v<Sl, P> || ...), true> {};
  template <class I>
  using on_index = not_known_zero;
  template <class N>
  using on_number = not_known_zero;
  template <class S>
  using on_scalar = not_known_zero;
  template <class E, class I>
  using on_along = not_known_zero;
  template <class A>
  using on_witness = not_known_zero;
  template <class E, class S, class... Slots>
  using on_access = reads_through_p<E>;
  template <class E, class... Args>
  using on_node = at_padding_zeros_of<typename node_op<E>::type, Args...>;
  template <class E, class I, class Body>  // a mean over nothing is NaN
  using on_reduce = std::conditional_t<std::is_same_v<typename reduce_op<E>::type, reductions::sum>, Body,
                                       at_padding_zeros<false, false>>;
};
template <class E, class Slots>
inline constexpr bool zero_past_edges_v = []<class... W>(type_list<W...>) {
  return ((!is_padded_window_v<W> || fold_t<at_padding_zeros_visitor<W>, E>::zero) && ...);
}(Slots{});

// The index of a loss that a gradient's index J is named after, where the loss reads J's tensor along a named index
// there (symbol_uses.hpp); void for other gradient indices (j1 where the loss reads x(h + u, ...)) and other indices.
template <class J>
struct loss_index {
  using type = void;
};
template <class S, int P, int D, fixed_string N>
requires(P != flat_position && !(N == default_index_name<P>())) struct loss_index<gradient_index<S, P, D, N>> {
  using type = index<N>;
};
template <class... J>
auto loss_indices(type_list<J...>) -> type_list<typename loss_index<J>::type...>;

// The indices a window slot or position F reads through: a window position's G and u, a window slot's h and u.
template <class F>
struct read_parts {
  using type = set_union_t<index_parts_t<F>>;
};
template <class A, class B>
struct read_parts<node<ops::add, A, B>> {
  using type = type_list<A, B>;
};
template <class... F>
auto read_parts_of(type_list<F...>) -> decltype((type_list<>{} + ... + typename read_parts<F>::type{}));

// The gradient's free indices in E that E reads a tensor along (j0, printed n where the loss's n collapsed onto it),
// and the loss's indices they stand for in a buffer of E read through WindowFroms (n): where E mentions none of those
// and every gradient index left free in the buffer is one of them, the loss's windowed sums (over n) and those its
// gradient reads (over j0) are one buffer, not two of the same numbers. Else none.
template <class E, class WindowFroms, bool Windowed = WindowFroms::size != 0>
struct gradient_renames {
  using froms = type_list<>;
  using stand_ins = type_list<>;
};
template <class E, class WindowFroms>
struct gradient_renames<E, WindowFroms, true> {
  using window_parts = decltype(read_parts_of(WindowFroms{}));
  template <class J>
  using left_free = std::bool_constant<is_gradient_index<J>::value && !contains_v<window_parts, J>>;
  using candidates = filter_t<free_indices_t<E>, left_free>;
  using names = decltype(loss_indices(candidates{}));
  static constexpr bool renamed = [] {
    return []<class... J>(type_list<J...>) {
      return ((!std::is_void_v<typename loss_index<J>::type> && any_extent_sources_t<J, E>::size != 0 &&
               !contains_v<indices_in_t<E>, typename loss_index<J>::type>) &&
              ...);
    }(candidates{}) && set_union_t<names>::size == names::size;
  }();
  using froms = std::conditional_t<renamed, candidates, type_list<>>;
  using stand_ins = std::conditional_t<renamed, names, type_list<>>;
};

// What E is read through, where it is a buffer computed once per position of stand-in indices: the window positions it
// is read at (a windowed statistic, Froms its window positions, StandIns the indices they stand for), or the window
// slots h + u it reads x at (the rows of a separable window, StandIns window_sum_positions), and the gradient's indices
// that stand for the loss's (gradient_renames). Statistic is E with each of Froms read as its stand-in. Under a
// where(), the buffer is computed where the where would not have let E be: it may read window positions (their offsets'
// sums, with the wheres that keep them among the positions, are inside it), but no gather by value.
template <class E, class Loops, bool Guarded>
struct read_through {
  using positions = window_positions_in_t<E>;
  using sums = fold_t<window_sums_visitor<Loops>, E>;
  static constexpr bool windowed = positions::size != 0;
  using window_froms = std::conditional_t<windowed, positions, sums>;
  template <class... P>
  static auto positions_stand_for(type_list<P...>) -> type_list<typename P::of...>;
  using window_stand_ins = std::conditional_t<windowed, decltype(positions_stand_for(positions{})),
                                              decltype(window_sum_positions(sums{}))>;
  using renames = gradient_renames<E, window_froms>;
  using froms = decltype(window_froms{} + typename renames::froms{});
  using stand_ins = decltype(window_stand_ins{} + typename renames::stand_ins{});
  using statistic = decltype(substitute_all(froms{}, stand_ins{}, std::declval<E const&>()));
  // Each stand-in a position of the buffer of its own: two window positions of one index are not one buffer's.
  static constexpr bool applies = [] {
    if constexpr (!is_reduce_v<E> || window_froms::size == 0 || set_union_t<stand_ins>::size != stand_ins::size) {
      return false;
    } else {
      return []<class... F, class... S>(type_list<F...>, type_list<S...>) {
        using free = free_indices_t<statistic>;
        using read = set_union_t<typename read_parts<F>::type...>;
        return !([]<class... I>(type_list<I...>) { return (contains_v<free, I> || ...); }(read{})) &&
               !(contains_v<free_indices_t<E>, S> || ...);
      }(froms{}, stand_ins{}) && !(Guarded && has_gather_by_value_v<statistic>) &&
             (windowed || zero_past_edges_v<E, froms>);
    }
  }();
};

// The name of such a buffer among a plan's intermediates: Statistic as computed, read as Read through Froms.
template <class Statistic, class Read, class Froms, class StandIns>
struct read_through_stand_ins {};
template <class R>
struct computed_as {
  using type = R;
};
template <class S, class Read, class F, class T>
struct computed_as<read_through_stand_ins<S, Read, F, T>> {
  using type = S;
};
template <class R>
using computed_as_t = typename computed_as<R>::type;

// Position F of such a buffer, as read: the From its stand-in F replaced, or F.
template <class F, class Froms, class StandIns>
struct read_at {
  using type = F;
};
template <class F, class... From, class... StandIn>
requires(std::is_same_v<StandIn, F> || ...) struct read_at<F, type_list<From...>, type_list<StandIn...>> {
  using type = std::tuple_element_t<first_true<std::is_same_v<StandIn, F>...>(), std::tuple<From...>>;
};

template <class Names, class Split, class Row, class Loops, bool Guarded, class Op, class I, class B>
constexpr auto materialized_reduction(reduce<Op, I, B> const& r) {
  using E = reduce<Op, I, B>;
  // A global's work items run over I; a reduction cached per row runs its body once per row.
  using body_loops =
      std::conditional_t<is_closed_v<E>, type_list<I>,
                         std::conditional_t<std::is_same_v<free_indices_t<E>, type_list<Row>>, type_list<Row, I>,
                                            decltype(Loops{} | std::type_identity<I>{})>>;
  auto body = materialized<Names, Split, std::conditional_t<is_closed_v<E>, I, Row>, body_loops, Guarded>(r.body);
  return reduce<Op, I, decltype(body)>{body};
}

template <class Names, class Split, class Row, class Loops, bool Guarded, class E>
constexpr auto materialized(E const& e) {
  if constexpr (read_through<E, Loops, Guarded>::applies) {
    using through = read_through<E, Loops, Guarded>;
    using statistic = typename through::statistic;
    using key = read_through_stand_ins<statistic, E, typename through::froms, typename through::stand_ins>;
    using symbol = decltype([] {
      if constexpr (Names::size == 0) {
        return intermediate<0, key>{};
      } else {
        constexpr int number = index_in_v<Names, key> + 1;
        return intermediate<number, decltype(computation_of<Names, Split, number>(std::declval<statistic>()))>{};
      }
    }());
    return []<class... F>(type_list<F...>) {
      return access<symbol, typename read_at<F, typename through::froms, typename through::stand_ins>::type...>{};
    }(typename buffer_layout<statistic, Split>::order{});
  } else if constexpr (is_redundant<E, Split, Row, Loops, Guarded>()) {
    using symbol = decltype([] {
      if constexpr (Names::size == 0) {
        return intermediate<0, E>{};
      } else {
        constexpr int number = index_in_v<Names, E> + 1;
        return intermediate<number, decltype(computation_of<Names, Split, number>(std::declval<E>()))>{};
      }
    }());
    return
        []<class... F>(type_list<F...>) { return access<symbol, F...>{}; }(typename buffer_layout<E, Split>::order{});
  } else if constexpr (is_reduce_v<E>) {
    return materialized_reduction<Names, Split, Row, Loops, Guarded>(e);
  } else if constexpr (is_node_v<E>) {
    if constexpr (node_op<E>::type::lazy) {  // where(c, a, b): c runs everywhere it does, a and b where c says
      return apply_args(e, [](auto const& c, auto const& a, auto const& b) {
        auto cc = materialized<Names, Split, Row, Loops, Guarded>(c);
        auto aa = materialized<Names, Split, Row, Loops, true>(a);
        auto bb = materialized<Names, Split, Row, Loops, true>(b);
        return node<typename node_op<E>::type, decltype(cc), decltype(aa), decltype(bb)>{make_tuple(cc, aa, bb)};
      });
    } else {
      return map_args(e, [](auto const& a) { return materialized<Names, Split, Row, Loops, Guarded>(a); });
    }
  } else if constexpr (is_access_v<E>) {
    return map_slots(e, [](auto const& s) { return materialized<Names, Split, Row, Loops, Guarded>(s); });
  } else {
    return e;
  }
}

// An output in its own context: rows along its first output index (none for a number finished on the host).
template <class E>
struct first_or_none {
  using type = void;
};
template <class I, class... Is>
struct first_or_none<type_list<I, Is...>> {
  using type = I;
};
template <class Names, class Split, class E>
constexpr auto materialized_output(E const& e) {
  using F = output_indices_t<E>;
  return materialized<Names, Split, typename first_or_none<F>::type, F, false>(e);
}

// The subexpressions to materialize: those the outputs read redundantly, then those their computations do.
template <class Split, class Found, class Pending>
struct redundant_closure {
  using type = Found;
};
template <class Split, class Found, int Z, class R, class... Pending>
struct redundant_closure<Split, Found, type_list<intermediate<Z, R>, Pending...>> {
  using type = typename std::conditional_t<
      contains_v<Found, R>, redundant_closure<Split, Found, type_list<Pending...>>,
      redundant_closure<
          Split, decltype(Found{} + type_list<R>{}),
          decltype(type_list<Pending...>{} +
                   intermediates_in_t<decltype(computation_of<type_list<>, Split, 0>(
                       std::declval<computed_as_t<R>>()))>{})>>::type;
};

struct outputs_root {};

// The value of what intermediate R of Names computes, taken from the expression that reads it: in the outputs, or,
// for one read through stand-ins inside another's computation (a separable window's rows inside a windowed
// statistic), in the computations of the names before it.
template <class R, class Names, class Root>
constexpr auto computed_value(Root const& root);
template <class... T>
std::tuple<T...> as_tuple(type_list<T...>);
template <class Read, class Names, class Root>
constexpr auto value_of_read(Root const& root) {
  if constexpr (occurs_in_v<Read, Root>) {
    return find_subexpression<Read>(root);
  } else {
    return [&]<class... N>(type_list<N...>) {
      // Only the computation that holds Read is evaluated: each evaluates those it reads through in turn.
      constexpr std::size_t k =
          first_true<occurs_in_v<Read, decltype(computed_value<N, Names>(std::declval<Root const&>()))>...>();
      static_assert(k < sizeof...(N), "lossforge: internal: a buffer's computation found in no expression");
      return find_subexpression<Read>(computed_value<std::tuple_element_t<k, std::tuple<N...>>, Names>(root));
    }(Names{});
  }
}
template <class Names, std::size_t... K>
auto first_names(std::index_sequence<K...>) -> type_list<std::tuple_element_t<K, decltype(as_tuple(Names{}))>...>;
template <class R, class Names, class Root>
constexpr auto computed_value(Root const& root) {
  if constexpr (std::is_same_v<R, computed_as_t<R>>)
    return find_subexpression<R>(root);
  else
    return [&]<class S, class Read, class F, class T>(std::type_identity<read_through_stand_ins<S, Read, F, T>>) {
      using before = decltype(first_names<Names>(std::make_index_sequence<std::size_t(index_in_v<Names, R>)>{}));
      return substitute_all(F{}, T{}, value_of_read<Read, before>(root));
    }(std::type_identity<R>{});
}

// e times 1 at every position of I... (ones<I>): the same values, with I... first in appearance order.
template <class E>
constexpr auto times_ones(type_list<>, E const& e) {
  return e;
}
template <class I, class... Is, class E>
constexpr auto times_ones(type_list<I, Is...>, E const& e) {
  auto rest = times_ones(type_list<Is...>{}, e);
  return node<ops::mul, ones<I>, decltype(rest)>{make_tuple(ones<I>{}, rest)};
}
// Output e rewritten, its indices in e's order: reading a buffer laid out row first (t1[j,i]) may put an index
// first that e's first appearance order puts second, which would transpose a per-element loss.
template <class Names, class Split, class E>
constexpr auto requested_output(E const& e) {
  auto rewritten = materialized_output<Names, Split>(e);
  if constexpr (std::is_same_v<output_indices_t<decltype(rewritten)>, output_indices_t<E>>)
    return rewritten;
  else
    return times_ones(output_indices_t<E>{}, rewritten);
}

// Outputs E... with their redundant parts materialized, over data whose tensors Split are split among processes:
// the rewritten outputs, then intermediate K's computation at position sizeof...(E) + K - 1.
template <class Split, class... E>
constexpr auto with_intermediates(E const&... outputs) {
  using found = set_union_t<intermediates_in_t<decltype(materialized_output<type_list<>, Split>(outputs))>...>;
  using names = typename redundant_closure<Split, type_list<>, found>::type;
  node<outputs_root, E...> const root{make_tuple(outputs...)};
  return [&]<class... R>(type_list<R...>) {
    return std::make_tuple(requested_output<names, Split>(outputs)...,
                           computation_of<names, Split, index_in_v<names, R> + 1>(computed_value<R, names>(root))...);
  }(names{});
}

}  // namespace lossforge::detail
