#pragma once
// The vectorized path of host kernels: an expression's value at W consecutive positions of one index (a block) is
// W lanes (lanes.hpp). A subexpression that does not vary along the block is computed once per run of blocks and
// broadcast; a read along the block is one vector load; an op with a lane form runs on all lanes at once. Anything
// else (a gather, pow, a where whose branch could record an error and so must stay lazy) runs lane by lane
// through the scalar evaluator (dsl/scalar_evaluator.hpp), so the two paths differ only in the lane forms. Lanes
// compute in the tensors' precision, as a hand-written loop would; accumulations stay in double as in the scalar
// path.
// block_kernels.hpp runs kernels with it.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include <lossforge/backends/executor/kernel.hpp>
#include <lossforge/backends/executor/lanes.hpp>
#include <lossforge/dsl/free_indices.hpp>
#include <lossforge/plan/intermediates.hpp>
#include <lossforge/simplify/canonical.hpp>

namespace lossforge::executor::detail {

// How a block computes: W lanes of P. Contiguous when every tensor and output is row-major, so that a read or
// write along the block is one vector load or store without a test; ByReciprocal when every division by a
// constant of the run may be a multiplication by its reciprocal (see uniform_value), so that none is tested.
template <class P, int W, bool Contiguous, bool ByReciprocal = false>
struct lane_policy {
  using value = P;
  static constexpr int width = W;
  static constexpr bool contiguous = Contiguous, by_reciprocal = ByReciprocal;
  using type = lanes<P, W>;
};
template <class Accessor>
bool is_row_major(Accessor const& a) {
  if constexpr (requires { a.row_major; })
    return a.row_major;
  else
    return true;  // no_output
}
template <class... A>
bool all_row_major(lossforge::detail::tuple<A...> const& accessors) {
  return [&]<std::size_t... K>(std::index_sequence<K...>) { return (is_row_major(get<K>(accessors)) && ...); }
  (std::index_sequence_for<A...>{});
}
// Runs run.template operator()<L>() with the lane policy of P and W that the kernel's Views allow.
template <class P, int W, class Data, class Outputs, class Run>
LOSSFORGE_LANES_INLINE void with_lane_policy(Data const& data, Outputs const& outputs, Run const& run) {
  if (all_row_major(data.tensor) && all_row_major(outputs))
    run.template operator()<lane_policy<P, W, true>>();
  else
    run.template operator()<lane_policy<P, W, false>>();
}

// Whether evaluating an expression can record an error: a gather (as plan::has_gather_v finds them), or a max over
// an empty index.
struct error_visitor : lossforge::detail::gather_visitor {
  template <class E, class I, class Body>
  using on_reduce = std::bool_constant<reduce_op<E>::type::folds == reductions::folding::max || Body::value>;
};
template <class E>
inline constexpr bool may_record_error = lossforge::detail::fold_t<error_visitor, E>::value;

// Leaves with one value at every position of their index: a count, ones, a shape witness.
template <class E>
inline constexpr bool is_uniform_leaf = false;
template <class I>
inline constexpr bool is_uniform_leaf<extent<I>> = true;
template <class I>
inline constexpr bool is_uniform_leaf<ones<I>> = true;
template <class A>
inline constexpr bool is_uniform_leaf<witness<A>> = true;

// Whether E takes different values along a block over I.
template <class I, class E>
inline constexpr bool varies_along_block = contains_v<lossforge::detail::free_indices_t<E>, I> && !is_uniform_leaf<E>;

// float when every tensor holds float (or integers), double otherwise.
template <class Accessors>
struct tensor_precision;
template <class... A>
struct tensor_precision<lossforge::detail::tuple<A...>> {
  using common = std::common_type_t<float, std::remove_const_t<std::remove_pointer_t<decltype(A::data)>>...>;
  using type = std::conditional_t<std::is_same_v<common, float>, float, double>;
};

// Whether a node runs lane by lane: no lane form, or a where that must stay lazy because a branch could record
// an error.
template <class Op, class... A>
inline constexpr bool lane_by_lane = !has_lane_form_v<Op> || (Op::lazy && (may_record_error<A> || ...));

// The terms of a sum (canonical.hpp's terms(): any other expression is one term) as a type_list.
template <class... T>
lossforge::detail::type_list<T...> as_type_list(lossforge::detail::tuple<T...> const&);
template <class E>
using sum_terms_t = decltype(as_type_list(lossforge::detail::terms(std::declval<E const&>())));
// Calls f.template operator()<K>(term) for the K-th term of a sum, in order, on the terms in place (a tuple of
// copies, as terms() makes, costs the hot loop its registers).
template <int K = 0, class E, class F>
LOSSFORGE_LANES_INLINE void for_each_term(E const& e, F const& f) {
  if constexpr (lossforge::detail::is_add_v<E>) {
    for_each_term<K>(arg<0>(e), f);
    for_each_term<K + int(sum_terms_t<std::remove_cvref_t<decltype(arg<0>(e))>>::size)>(arg<1>(e), f);
  } else {
    f.template operator()<K>(e);
  }
}

template <class L, class E, class Data>
double row_value(E const& e, work_item<Data>& item);
template <class L, class R, class Data>
lead_tail row_parts(R const& r, work_item<Data>& item);

// Lanes already in memory: row[j] * scale along J (a row's stored exponentials, stored_exponentials.hpp). A leaf
// only the block evaluator sees.
template <class J, class V>
struct stored_lanes {
  V const* row;
  double scale;
};
template <class E>
inline constexpr bool is_stored_lanes = false;
template <class J, class V>
inline constexpr bool is_stored_lanes<stored_lanes<J, V>> = true;

}  // namespace lossforge::executor::detail

namespace lossforge::detail {
// To every pass, stored lanes are a leaf that varies along J alone.
template <class Visitor, class J, class V>
struct fold<Visitor, executor::detail::stored_lanes<J, V>> {
  using type = typename Visitor::template on_along<executor::detail::stored_lanes<J, V>, J>;
};
}  // namespace lossforge::detail

namespace lossforge::executor::detail {

// ---- values constant along a run of blocks -----------------------------------------------------------------------
// Before a run of blocks along I, each maximal subexpression constant along I is computed once into a slot,
// numbered in evaluation order (uniform_count gives a subtree's number of slots). A slot holds the value in
// double and rounded to P, and 1 / value, so that a division by it is one multiplication per lane: within an ulp
// of x / value when 1 / value is a normal number, the same special values when value is 0, infinite or NaN
// (otherwise the lanes divide).
//
// In a sum whose terms vary along I, the constant terms share one slot: their sum in double, and in P as the pair
// value + low (low = what rounding to P lost). A log-sum-exp among them adds its max to value and its log(sum) to
// low (dsl/scalar_evaluator.hpp). The lanes add the varying terms, then value, then low; so x[c] - logsumexp is
// (x[c] - max) - log(sum) as in PyTorch, exact for equal logits of 1e30 and, in float, free of the ulp(lse) / 2
// that a float lse would lose (a relative error of 1e-3 in a softmax of logits near 1e4).
// A slot holds scalars, broadcast where a block uses them: lanes of each (three per slot, W values each) would cost a
// row of a cross entropy more stores than its own entries, and a sixth of its time.
template <class P>
struct uniform_value {
  double exact;
  P value, low, reciprocal;
  bool by_reciprocal;
};
// by_reciprocal says whether x * (1 / value) may stand for x / value; a value no block divides by allows it. A value
// given as lead + tail (a sum holding a log-sum-exp, dsl/scalar_evaluator.hpp) enters the lanes as lead, then the rest.
template <class L, bool Divisor>
uniform_value<typename L::value> make_uniform(double lead, double tail = 0) {
  using P = typename L::value;
  double const exact = lead_tail{lead, tail}.value();
  P const v = P(lead), r = P(1) / P(exact);
  P const low = std::isfinite(v) ? P((lead - double(v)) + tail) : P(0);
  return {exact, v, low, r, !Divisor || std::isnormal(r) || !std::isfinite(v) || v == 0};
}
template <class L, int N>
using uniform_values = std::array<uniform_value<typename L::value>, std::size_t(N)>;

// N sums of blocks of lanes: each lane adds a group of 8 blocks in P (error at most 7 ulps of the group's sum), the
// groups in double lanes, and the lanes once at the end. A group's sums are a local of its loop, so that they stay in
// registers: sums kept in memory across the groups, with the data pointers reloaded after every store to them, cost
// MSE a fifth of its time.
template <class P, int W, std::size_t N = 1>
struct lane_sums {
  static constexpr int blocks_per_group = 8;
  std::array<lanes<double, W>, N> totals = [] {
    std::array<lanes<double, W>, N> zero;
    for (auto& t : zero) t.setZero();
    return zero;
  }();

  // A group's sums: lanes in P when N is 1 (an array of one would stay in memory), else an array of N of them.
  using group_type = std::conditional_t<N == 1, lanes<P, W>, std::array<lanes<P, W>, N>>;
  LOSSFORGE_LANES_INLINE static lanes<P, W>& sum_in(group_type& group, std::size_t k) {
    if constexpr (N == 1)
      return group;
    else
      return group[k];
  }

  // block(first, group) for first = begin, begin + W, ... below end; it adds its lanes to the group's sums.
  template <class Index, class Block>
  LOSSFORGE_LANES_INLINE void add_blocks(Index begin, Index end, Block const& block) {
    for (Index first = begin; first < end;) {
      group_type group;
      for (std::size_t k = 0; k < N; ++k) sum_in(group, k).setZero();
      for (int b = 0; b < blocks_per_group && first < end; ++b, first += W) block(first, group);
      for (std::size_t k = 0; k < N; ++k)  // lane by lane: Eigen's += of a cast was a call, once per group
        for (int l = 0; l < W; ++l) totals[k][l] += double(sum_in(group, k)[l]);
    }
  }
  double sum(std::size_t k = 0) const { return totals[k].sum(); }
};

// Runs run.template operator()<policy>() for a run of blocks with uniforms u: with divisions by reciprocals where
// the Views are contiguous and every reciprocal allows it, with L otherwise.
template <class L, class U, class Run>
LOSSFORGE_LANES_INLINE void run_blocks(U const& u, Run const& run) {
  bool const by_reciprocal = std::all_of(u.begin(), u.end(), [](auto const& v) { return v.by_reciprocal; });
  if constexpr (L::contiguous)
    if (by_reciprocal) return run.template operator()<lane_policy<typename L::value, L::width, true, true>>();
  run.template operator()<L>();
}

template <class I, class E>
constexpr int uniform_count();
// For a sum varying along I: whether it has constant terms (sharing slot 0), each term's first slot, and the total.
template <class I, class... T>
constexpr bool has_uniform_terms(lossforge::detail::type_list<T...>) {
  return (!varies_along_block<I, T> || ...);
}
template <class I, class... T>
constexpr std::array<int, sizeof...(T) + 1> term_slots(lossforge::detail::type_list<T...> terms) {
  constexpr bool constant[] = {!varies_along_block<I, T>..., false};
  constexpr int count[] = {uniform_count<I, T>()..., 0};
  std::array<int, sizeof...(T) + 1> first{};
  int next = has_uniform_terms<I>(terms) ? 1 : 0;
  for (std::size_t k = 0; k < sizeof...(T); ++k) {
    first[k] = constant[k] ? 0 : next;
    next += constant[k] ? 0 : count[k];
  }
  first[sizeof...(T)] = next;
  return first;
}
// The first slot of each argument of a node (other than a sum) whose first slot is 0; the total last.
template <class I, class... A>
constexpr std::array<int, sizeof...(A) + 1> argument_slots() {
  constexpr int count[] = {uniform_count<I, A>()..., 0};
  std::array<int, sizeof...(A) + 1> first{};
  for (std::size_t k = 0; k < sizeof...(A); ++k) first[k + 1] = first[k] + count[k];
  return first;
}
template <class I, class E>
constexpr int uniform_count() {
  if constexpr (!varies_along_block<I, E>) {
    return 1;
  } else if constexpr (lossforge::detail::is_add_v<E>) {
    using terms = sum_terms_t<E>;
    return term_slots<I>(terms{})[terms::size];
  } else if constexpr (is_node_v<E>) {
    return []<class Op, class... A>(std::type_identity<node<Op, A...>>) {
      if constexpr (lane_by_lane<Op, A...>)
        return 0;
      else
        return argument_slots<I, A...>()[sizeof...(A)];
    }(std::type_identity<E>{});
  } else {
    return 0;
  }
}

// Whether a node divides by a subexpression constant along I (its lanes multiply by the reciprocal).
template <class I, class Op, class... A>
inline constexpr bool divides_by_uniform = false;
template <class I, class X, class D>
inline constexpr bool divides_by_uniform<I, ops::div, X, D> = !varies_along_block<I, D>;

template <class L, class I, int Slot, bool Divisor = false, class E, class Data, class U>
void collect_uniforms(E const& e, work_item<Data>& item, U& u) {
  if constexpr (!varies_along_block<I, E>) {
    u[Slot] = make_uniform<L, Divisor>(row_value<L>(e, item));
  } else if constexpr (lossforge::detail::is_add_v<E>) {
    using terms = sum_terms_t<E>;
    constexpr auto slot = term_slots<I>(terms{});
    log_sum_exp_sum constant;
    for_each_term(e, [&]<int K>(auto const& term) {
      if constexpr (!varies_along_block<I, std::remove_cvref_t<decltype(term)>>)
        add_terms(
            term, 1.0, [&](auto const& t) { return row_value<L>(t, item); },
            [&](auto const& r) { return row_parts<L>(r, item); }, constant);
      else
        collect_uniforms<L, I, Slot + slot[K]>(term, item, u);
    });
    if constexpr (has_uniform_terms<I>(terms{})) u[Slot] = make_uniform<L, false>(constant.lead(), constant.tails);
  } else if constexpr (is_node_v<E>) {
    [&]<class Op, class... A>(node<Op, A...> const& n) {
      if constexpr (!lane_by_lane<Op, A...>) {
        constexpr auto slot = argument_slots<I, A...>();
        [&]<std::size_t... K>(std::index_sequence<K...>) {
          (collect_uniforms<L, I, Slot + slot[K], (divides_by_uniform<I, Op, A...> && K == 1)>(get<K>(n.args), item, u),
           ...);
        }
        (std::index_sequence_for<A...>{});
      }
    }(e);
  }
}
// The uniforms of e along I, computed once for a run of blocks (none when the run is empty). Not zero-filled first:
// collect_uniforms sets every slot, and every row of a cross entropy would pay a memset for them.
template <class L, class I, class E, class Data>
auto uniforms_of(E const& e, work_item<Data>& item, bool run_is_empty) {
  uniform_values<L, uniform_count<I, E>()> u;
  if (run_is_empty)
    for (auto& slot : u) slot.by_reciprocal = false;  // the one field run_blocks reads before any block
  else
    collect_uniforms<L, I, 0>(e, item, u);
  return u;
}

// ---- costly subexpressions shared within a block ---------------------------------------------------------------
// A node as costly as a transcendental function (exp, log, sigmoid, softplus, ...) that the expressions of a run
// compute more than once (a focal loss's value and gradient hold sigmoid(x) seven times) is computed once per
// block: its first occurrence keeps its lanes in the block's context, the others read them. A node's type is its
// value (literal_identity.hpp).
using ops::transcendental_cost;
template <class I, class E>
struct costly_occurrences {
  using type = lossforge::detail::type_list<>;
};
// The e^-|x| of sigmoid(x), softplus(x), log_sigmoid(x), bce_with_logits(x, ...) and of the same ops of -x: a node
// of its own for sharing.
template <class X>
struct exp_of_minus_abs_of {};
template <class A>
struct magnitude {
  using type = A;
};
template <class X>
struct magnitude<node<ops::mul, constant<-1>, X>> {
  using type = X;
};
template <class... A>
struct exp_of_first;  // of the first argument
template <class X, class... Rest>
struct exp_of_first<X, Rest...> {
  using type = exp_of_minus_abs_of<typename magnitude<X>::type>;
};
template <class... A>
using exp_of_first_t = typename exp_of_first<A...>::type;
template <class I, class Op, class... A>
struct costly_occurrences<I, node<Op, A...>> {
  using self = node<Op, A...>;
  using below = decltype((lossforge::detail::type_list<>{} + ... + typename costly_occurrences<I, A>::type{}));
  static constexpr bool in_lanes = varies_along_block<I, self> && !lane_by_lane<Op, A...>;
  static constexpr bool costly = in_lanes && Op::cost >= transcendental_cost;  // a lane-by-lane node is not shared
  using own = decltype([] {
    if constexpr (!costly)
      return lossforge::detail::type_list<>{};
    else if constexpr (is_logistic_v<Op>)
      return lossforge::detail::type_list<exp_of_first_t<A...>, self>{};
    else
      return lossforge::detail::type_list<self>{};
  }());
  using type = std::conditional_t<in_lanes, decltype(below{} + own{}), lossforge::detail::type_list<>>;
};
// The distinct nodes of a list that occur in it more than once.
template <class List>
struct repeated;
template <class... T>
struct repeated<lossforge::detail::type_list<T...>> {
  template <class X>
  struct twice : std::bool_constant<(((std::is_same_v<X, T> ? 1 : 0) + ... + 0) > 1)> {};
  using type = lossforge::detail::filter_t<lossforge::detail::set_union_t<lossforge::detail::type_list<T...>>, twice>;
};
// The costly nodes that expressions E... along I share.
template <class I, class... E>
using shared_nodes_t = typename repeated<decltype((lossforge::detail::type_list<>{} + ... +
                                                   typename costly_occurrences<I, E>::type{}))>::type;

// Whether the lanes of a block of expressions E... along I compute a transcendental function (block_width).
template <class I, class... E>
inline constexpr bool transcendental_in_lanes = ((costly_occurrences<I, E>::type::size > 0) || ...);

// What one block of a run holds: the run's uniforms, and the lanes of its shared nodes once computed.
template <class L, class U, class Shared>
struct block_context;
template <class L, class U, class... N>
struct block_context<L, U, lossforge::detail::type_list<N...>> {
  using shared = lossforge::detail::type_list<N...>;
  U const& u;
  std::array<typename L::type, at_least_one(sizeof...(N))> value;  // filled as the block computes them
  std::array<bool, at_least_one(sizeof...(N))> done{};

  LOSSFORGE_LANES_INLINE explicit block_context(U const& uniforms) : u(uniforms) {}
};
// The context of a block of expressions E... along I.
template <class L, class I, class... E, class U>
LOSSFORGE_LANES_INLINE auto context_for(U const& u) {
  return block_context<L, U, shared_nodes_t<I, E...>>(u);
}

// ---- one block -------------------------------------------------------------------------------------------------
template <class L, class I, int Slot, class E, class Data, class C>
typename L::type block_at(E const& e, work_item<Data>& item, std::ptrdiff_t first, C& c);

template <class L, class I, class E, class Data>
typename L::type each_lane(E const& e, work_item<Data>& item, std::ptrdiff_t first) {
  typename L::type result;
  std::ptrdiff_t& k = item.template at<I>();
  std::ptrdiff_t const saved = k;
  for (int l = 0; l < L::width; ++l) {
    k = first + l;
    result[l] = typename L::value(value_at<typename Data::value_type>(e, item));
  }
  k = saved;
  return result;
}

// A slot whose position is computed from loops' positions alone: an index's own, or a window h + u of two (inside the
// tensor wherever a valid window's position runs; past its edges a zero-padded window reads zeros).
template <class Slot>
inline constexpr bool read_from_loops_v = reads_directly_v<Slot>;
template <class Slot>
requires is_window_slot_v<Slot>
inline constexpr bool read_from_loops_v<Slot> =
    reads_directly_v<typename window_slot<Slot>::position> && reads_directly_v<typename window_slot<Slot>::offset>;
// Whether a slot's position moves with I: I, or a window with I as its position or its offset.
template <class I, class Slot>
inline constexpr bool moves_with_v = std::is_same_v<Slot, I>;
template <class I, class Slot>
requires is_window_slot_v<Slot>
inline constexpr bool moves_with_v<I, Slot> =
    std::is_same_v<typename window_slot<Slot>::position, I> || std::is_same_v<typename window_slot<Slot>::offset, I>;
// A slot's position at the block's first position of I.
template <class Slot, class I, class Data>
LOSSFORGE_LANES_INLINE std::ptrdiff_t position_at_first(work_item<Data>& item, std::ptrdiff_t first) {
  if constexpr (is_padded_window_v<Slot>)
    return position_at_first<typename Slot::position, I>(item, first) +
           position_at_first<typename Slot::offset, I>(item, first) - zeros_before<typename Slot::offset>(item);
  else if constexpr (is_window_slot_v<Slot>)
    return position_at_first<typename window_slot<Slot>::position, I>(item, first) +
           position_at_first<typename window_slot<Slot>::offset, I>(item, first);
  else if constexpr (std::is_same_v<Slot, I>)
    return first;
  else
    return item.template at<Slot>();
}
// Whether a block reads no zero of a zero-padded window: the W positions a window moving with I reads from its first
// position (one position for a window that does not move) lie inside the dimension. Other slots are inside.
template <class I, int W, class... Slots, std::size_t... K>
LOSSFORGE_LANES_INLINE bool block_inside(std::ptrdiff_t const* position, std::ptrdiff_t const* extent,
                                         std::index_sequence<K...>) {
  return ((!is_padded_window_v<Slots> ||
           (position[K] >= 0 && position[K] + (moves_with_v<I, Slots> ? W : 1) <= extent[K])) &&
          ...);
}

// A read along the block: one load when the block runs along the tensor's innermost dimension, directly or as a
// window's position or offset (x[h + u] along h or along u: W consecutive elements; a zero-padded window's where
// the block reads no zero), a strided load when that dimension is not contiguous; lane by lane otherwise.
template <class L, class I, class S, class... Slots, class Data>
LOSSFORGE_LANES_INLINE typename L::type load_at(access<S, Slots...> const& a, work_item<Data>& item,
                                                std::ptrdiff_t first) {
  auto const& t = get<std::size_t(position_v<typename Data::tensors, S>)>(item.data.tensor);
  using V = std::remove_cvref_t<decltype(*t.data)>;
  using P = typename L::value;
  constexpr int W = L::width;
  if constexpr (sizeof...(Slots) == 1 && (is_flat_slot_v<Slots> && ...)) {
    if (L::contiguous || t.row_major) {
      LOSSFORGE_COUNT_TENSOR_READS(W);
      return Eigen::Map<lanes<V, W> const>(t.data + first).template cast<P>();
    }
  } else if constexpr ((read_from_loops_v<Slots> && ...) && ((moves_with_v<I, Slots> ? 1 : 0) + ...) == 1 &&
                       moves_with_v<I, std::tuple_element_t<sizeof...(Slots) - 1, std::tuple<Slots...>>>) {
    std::ptrdiff_t const position[] = {position_at_first<Slots, I>(item, first)...};
    if (block_inside<I, W, Slots...>(position, t.extent, std::index_sequence_for<Slots...>{})) {
      V const* start = t.data + t.offset_of(position);
      std::ptrdiff_t const stride = t.stride[sizeof...(Slots) - 1];
      LOSSFORGE_COUNT_TENSOR_READS(W);
      if (L::contiguous || stride == 1) return Eigen::Map<lanes<V, W> const>(start).template cast<P>();
      return Eigen::Map<lanes<V, W> const, Eigen::Unaligned, Eigen::InnerStride<>>(start,
                                                                                   Eigen::InnerStride<>(stride))
          .template cast<P>();
    }
  }
  return each_lane<L, I>(a, item, first);
}

// 0, 1, ..., W - 1: an index's lanes are first plus these.
template <class P, int W>
inline constexpr std::array<P, W> lane_offsets = [] {
  std::array<P, W> offsets{};
  for (int l = 0; l < W; ++l) offsets[std::size_t(l)] = P(l);
  return offsets;
}();
// Float lanes hold an index exactly below 2^24; beyond, a comparison that uses the index as a value runs lane by
// lane in double, so that (i == k) or (t[j] == c + 1) compare exact integers.
inline constexpr std::ptrdiff_t exact_float_integers = std::ptrdiff_t(1) << 24;
template <class I, class E>
inline constexpr bool reads_index_v = std::is_same_v<E, I>;
template <class I, class Op, class... A>
inline constexpr bool reads_index_v<I, node<Op, A...>> = (reads_index_v<I, A> || ...);

// A number known at compile time whose value P holds exactly (1 in 1 - p): lanes use it as an immediate, so that
// GCC sees its uses as equal and computes a repeated 1 - p once (each use's uniform slot is a value of its own to
// GCC; the slots are still filled once per run, their values unread), and a sum's constant terms need no low part.
template <class P, class E>
inline constexpr bool exact_number_v = false;
template <class P, Constant E>
inline constexpr bool exact_number_v<P, E> = double(P(lossforge::detail::value_of(E{}))) ==
                                              lossforge::detail::value_of(E{});
// Whether the terms of a sum constant along I are one such number.
template <class I, class P, class... T>
constexpr bool number_is_constant_part(lossforge::detail::type_list<T...>) {
  return ((!varies_along_block<I, T> ? 1 : 0) + ...) == 1 &&
         ((!varies_along_block<I, T> && exact_number_v<P, T>) || ...);
}
// That number's value.
template <class I, class... T>
constexpr double constant_part(lossforge::detail::type_list<T...>) {
  return (0.0 + ... + [] {
    if constexpr (!varies_along_block<I, T> && Constant<T>)
      return lossforge::detail::value_of(T{});
    else
      return 0.0;
  }());
}

template <class T>
inline constexpr bool negated_term = false;
template <class Y>
inline constexpr bool negated_term<node<ops::mul, constant<-1>, Y>> = true;

// The varying terms of a sum varying along I, added in order.
template <class L, class I, int Slot, class E, class Data, class C>
LOSSFORGE_LANES_INLINE typename L::type varying_terms_at(E const& e, work_item<Data>& item, std::ptrdiff_t first,
                                                         C& c) {
  constexpr auto slot = term_slots<I>(sum_terms_t<E>{});
  typename L::type total;
  bool started = false;
  for_each_term(e, [&]<int K>(auto const& term) LOSSFORGE_LANES_LAMBDA {
    using T = std::remove_cvref_t<decltype(term)>;
    if constexpr (negated_term<T> && varies_along_block<I, T>) {  // -1 * y: subtracted
      using Y = std::remove_cvref_t<decltype(arg<1>(term))>;
      auto const y =
          block_at<L, I, Slot + slot[K] + argument_slots<I, constant<-1>, Y>()[1]>(arg<1>(term), item, first, c);
      total = started ? typename L::type(total - y) : typename L::type(-y);
      started = true;
    } else if constexpr (varies_along_block<I, T>) {
      auto const x = block_at<L, I, Slot + slot[K]>(term, item, first, c);
      total = started ? typename L::type(total + x) : x;
      started = true;
    }
  });
  return total;
}

template <class L, class I, int Slot, class Op, class... A, class Data, class C>
LOSSFORGE_LANES_INLINE typename L::type node_block_at(node<Op, A...> const& n, work_item<Data>& item,
                                                      std::ptrdiff_t first, C& c) {
  using P = typename L::value;
  constexpr auto slot = argument_slots<I, A...>();
  if constexpr (lane_by_lane<Op, A...>) {
    return each_lane<L, I>(n, item, first);
  } else {
    if constexpr (std::is_same_v<P, float> && Op::compares && reads_index_v<I, node<Op, A...>>)
      if (first + L::width > exact_float_integers) return each_lane<L, I>(n, item, first);
    if constexpr (std::is_same_v<Op, ops::add>) {
      using node_type = node<Op, A...>;
      if constexpr (!has_uniform_terms<I>(sum_terms_t<node_type>{}))
        return varying_terms_at<L, I, Slot>(n, item, first, c);
      else if constexpr (number_is_constant_part<I, P>(sum_terms_t<node_type>{}))
        return typename L::type(varying_terms_at<L, I, Slot>(n, item, first, c) +
                                P(constant_part<I>(sum_terms_t<node_type>{})));
      else if constexpr (std::is_same_v<P, float> || holds_log_sum_exp<node_type>)
        return typename L::type((varying_terms_at<L, I, Slot>(n, item, first, c) + c.u[Slot].value) + c.u[Slot].low);
      else
        return typename L::type(varying_terms_at<L, I, Slot>(n, item, first, c) + c.u[Slot].value);
    } else if constexpr (std::is_same_v<Op, ops::select> &&
                         !varies_along_block<I, std::tuple_element_t<0, std::tuple<A...>>>) {
      // A choice constant along the run (where(eps == 0, 0, eps * smooth)) takes its branch once, not per lane.
      if (c.u[Slot + slot[0]].exact != 0)
        return block_at<L, I, Slot + slot[1]>(get<1>(n.args), item, first, c);
      else
        return block_at<L, I, Slot + slot[2]>(get<2>(n.args), item, first, c);
    } else if constexpr (divides_by_uniform<I, Op, A...>) {
      auto const x = block_at<L, I, Slot + slot[0]>(get<0>(n.args), item, first, c);
      auto const& d = c.u[Slot + slot[1]];
      if constexpr (L::by_reciprocal)
        return typename L::type(x * d.reciprocal);
      else
        return d.by_reciprocal ? typename L::type(x * d.reciprocal) : typename L::type(x / d.value);
    } else if constexpr (is_logistic_v<Op>) {
      auto const x = block_at<L, I, Slot + slot[0]>(get<0>(n.args), item, first, c);
      auto const with = [&](typename L::type const& e) LOSSFORGE_LANES_LAMBDA {  // the other arguments after e
        return [&]<std::size_t... K>(std::index_sequence<K...>) LOSSFORGE_LANES_LAMBDA {
          return typename L::type(
              lane_form<Op>::apply(x, e, block_at<L, I, Slot + slot[K + 1]>(get<K + 1>(n.args), item, first, c)...));
        }
        (std::make_index_sequence<sizeof...(A) - 1>{});
      };
      constexpr int k = position_v<typename C::shared, exp_of_first_t<A...>>;
      if constexpr (k < 0) {
        return with(exp_of_minus_abs(x));
      } else {
        if (!c.done[k]) c.value[k] = exp_of_minus_abs(x), c.done[k] = true;
        return with(c.value[k]);
      }
    } else {
      return [&]<std::size_t... K>(std::index_sequence<K...>) LOSSFORGE_LANES_LAMBDA {
        return
            typename L::type(lane_form<Op>::apply(block_at<L, I, Slot + slot[K]>(get<K>(n.args), item, first, c)...));
      }
      (std::index_sequence_for<A...>{});
    }
  }
}

// E's value at the W positions first, first + 1, ... of I, with u the uniforms of the run (E's from Slot on).
template <class L, class I, int Slot, class E, class Data, class C>
LOSSFORGE_LANES_INLINE typename L::type block_at(E const& e, work_item<Data>& item, std::ptrdiff_t first, C& c) {
  using P = typename L::value;
  if constexpr (exact_number_v<P, E>)
    return broadcast<typename L::type>(P(lossforge::detail::value_of(E{})));
  else if constexpr (!varies_along_block<I, E>)
    return broadcast<typename L::type>(c.u[Slot].value);
  else if constexpr (std::is_same_v<E, I>)
    return typename L::type(L::type::Constant(P(first)) +
                            Eigen::Map<typename L::type const>(lane_offsets<P, L::width>.data()));
  else if constexpr (is_access_v<E>)
    return load_at<L, I>(e, item, first);
  else if constexpr (is_node_v<E> && position_v<typename C::shared, E> >= 0) {
    constexpr int k = position_v<typename C::shared, E>;
    if (!c.done[k]) c.value[k] = node_block_at<L, I, Slot>(e, item, first, c), c.done[k] = true;
    return c.value[k];
  } else if constexpr (is_node_v<E>)
    return node_block_at<L, I, Slot>(e, item, first, c);
  else if constexpr (is_stored_lanes<E>)
    return typename L::type(
        Eigen::Map<lanes<std::remove_const_t<std::remove_pointer_t<decltype(e.row)>>, L::width> const>(e.row + first)
            .template cast<P>() *
        P(e.scale));
  else
    return each_lane<L, I>(e, item, first);
}

// ---- reductions along a row ------------------------------------------------------------------------------------
// A reduction over J with fold_at's semantics (dsl/scalar_evaluator.hpp), its body in blocks along J and the last n mod
// W positions through the scalar evaluator. A block's lanes are summed in P (a pairwise tree: error about log2(W) ulps,
// the order of each lane's own rounding), the blocks in double. A max or log-sum-exp whose body is a sum with terms
// constant along J reduces only its varying terms, and the constant K joins the result in double: max + K, (max + K) +
// log(sum). A sum or mean adds K in the lanes, to each term: sum_c (x[c] - K) is a sum of small terms where sum_c x[c]
// - n K would cancel two large ones.
// What a log-sum-exp does with the exponentials it computes: nothing, or keep them (stored_exponentials.hpp).
struct no_sink {
  template <class A>
  void block(std::ptrdiff_t, A const&) const {}
  void value(std::ptrdiff_t, double) const {}
  void total(double) const {}
};

// The sum of the terms of a sum that vary along J (Varying) or of the others, in double, through the scalar
// evaluator.
template <class J, bool Varying, class E, class Data>
double terms_value(E const& e, work_item<Data>& item) {
  double total = 0;
  for_each_term(e, [&]<int K>(auto const& term) {
    if constexpr (varies_along_block<J, std::remove_cvref_t<decltype(term)>> == Varying)
      total += double(value_at<typename Data::value_type>(term, item));
  });
  return total;
}

// The reduction's value; parts, when given, receives it as lead + tail (a log-sum-exp's max + K and log(sum)).
template <class L, class Op, class J, class B, class Data, class Sink = no_sink>
double block_reduce(reduce<Op, J, B> const& r, work_item<Data>& item, lead_tail* parts = nullptr,
                    Sink const& sink = {}) {
  using A = typename L::type;
  using P = typename L::value;
  constexpr int W = L::width;
  constexpr bool sums = reductions::adds<Op>;
  constexpr bool split = !sums && lossforge::detail::is_add_v<B> && has_uniform_terms<J>(sum_terms_t<B>{});
  std::ptrdiff_t const n = item.template extent<J>();
  std::ptrdiff_t& k = item.template at<J>();
  std::ptrdiff_t const saved = k, full = n - n % W;
  auto const u = uniforms_of<L, J>(r.body, item, full == 0);
  // The constant terms (in the lanes' uniforms when there are blocks, else through the scalar evaluator).
  double const constant = [&] {
    if constexpr (split)
      return full > 0 ? u[0].exact : n > 0 ? terms_value<J, false>(r.body, item) : 0.0;
    else
      return 0.0;
  }();
  // over_blocks(full, block) where block(first) is the lanes of the block at first; where the blocks leave a
  // remainder, on_last(block(n - W), kept): the last W positions again, of which the last `kept` are new (cheaper
  // than the scalar evaluator, with its double exp, for the few positions after the last block); in a row shorter
  // than W, on_value(value, k) for each position k.
  auto const each = [&](auto const& over_blocks, auto const& on_last, auto const& on_value) LOSSFORGE_LANES_LAMBDA {
    run_blocks<L>(u, [&]<class R>() LOSSFORGE_LANES_LAMBDA {
      auto const block = [&](std::ptrdiff_t first) LOSSFORGE_LANES_LAMBDA {
        auto c = context_for<R, J, B>(u);
        if constexpr (split)
          return A(varying_terms_at<R, J, 0>(r.body, item, first, c));
        else
          return A(block_at<R, J, 0>(r.body, item, first, c));
      };
      over_blocks(full, block);
      if (full > 0 && full < n) on_last(block(n - W), int(n - full));
    });
    if (full == 0)
      for (k = 0; k < n; ++k) {
        if constexpr (split)
          on_value(terms_value<J, true>(r.body, item), k);
        else
          on_value(double(value_at<typename Data::value_type>(r.body, item)), k);
      }
  };
  // The sum of the last `kept` lanes of x, in double.
  auto const sum_of_last = [](A const& x, int kept) {
    double total = 0;
    for (int l = W - kept; l < W; ++l) total += double(x[l]);
    return total;
  };
  constexpr double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  lead_tail result{0, 0};
  if constexpr (sums) {
    lane_sums<P, W> blocks;
    double rest = 0;
    each(
        [&](std::ptrdiff_t end, auto const& block) LOSSFORGE_LANES_LAMBDA {
          blocks.add_blocks(std::ptrdiff_t(0), end,
                            [&](std::ptrdiff_t first, auto& group) LOSSFORGE_LANES_LAMBDA { group += block(first); });
        },
        [&](A const& x, int kept) { rest += sum_of_last(x, kept); }, [&](double x, std::ptrdiff_t) { rest += x; });
    double const total = blocks.sum() + rest;
    result.lead = Op::finish(total, 0, n);
  } else {
    // The largest lanes and whether a NaN was among them, then the largest of the lanes.
    running_max<A> largest;
    double m = -inf;
    bool seen_nan = false;
    each(
        [&](std::ptrdiff_t end, auto const& block) LOSSFORGE_LANES_LAMBDA {
          running_max<A> blocks = largest;  // a local, so that it stays in registers
          for (std::ptrdiff_t first = 0; first < end; first += W) blocks.add(block(first));
          largest = blocks;
        },
        [&](A const& x, int) { largest.add(x); },  // positions seen twice leave a max as it is
        [&](double x, std::ptrdiff_t) {
          seen_nan = seen_nan || x != x;
          m = x > m ? x : m;
        });
    seen_nan = seen_nan || largest.seen_nan();
    m = std::max(m, double(largest.top.maxCoeff()));
    if constexpr (Op::folds == reductions::folding::max) {
      if (n == 0 && item.error.code == no_error) item.error = {max_of_nothing, 0, 0, 0};
      result.lead = (seen_nan || n == 0 ? nan : m) + constant;
    } else if (seen_nan || !(m > -inf && m < inf)) {
      result.lead = (seen_nan ? nan : m) + constant;
    } else {
      lane_sums<P, W> blocks;
      double rest = 0;
      double const pivot = double(P(m));  // the lanes subtract it in P
      A const shift = broadcast<A>(P(m));
      each(
          [&](std::ptrdiff_t end, auto const& block) LOSSFORGE_LANES_LAMBDA {
            blocks.add_blocks(std::ptrdiff_t(0), end, [&](std::ptrdiff_t first, auto& group) LOSSFORGE_LANES_LAMBDA {
              A const e = lane_form<ops::exp>::apply(A(block(first) - shift));
              sink.block(first, e);
              group += e;
            });
          },
          [&](A const& x, int kept) {
            A const e = lane_form<ops::exp>::apply(A(x - shift));
            sink.block(n - W, e);  // the positions seen twice get the same values again
            rest += sum_of_last(e, kept);
          },
          [&](double x, std::ptrdiff_t at) {
            double const e = std::exp(x - pivot);
            sink.value(at, e);
            rest += e;
          });
      double const total = blocks.sum() + rest;
      sink.total(total);
      result = {pivot + constant, std::log(total)};
    }
  }
  k = saved;
  if (parts) *parts = result;
  return result.value();
}

// The environment of values that do not vary along the block, computed once: the work item's, except that its
// reductions run in blocks (and fill the work item's per-row cache as the scalar evaluator would).
template <class L, class Data>
struct row_environment {
  work_item<Data>& item;
  template <class I>
  std::ptrdiff_t position() {
    return item.template position<I>();
  }
  template <class I>
  std::ptrdiff_t extent() const {
    return item.template extent<I>();
  }
  template <class I>
  std::ptrdiff_t count() const {
    return item.template count<I>();
  }
  template <class S>
  auto scalar() const {
    return item.template scalar<S>();
  }
  template <class S, class I>
  auto flat_element() {
    return item.template flat_element<S, I>();
  }
  template <class S, std::size_t Rank>
  auto element(std::ptrdiff_t const (&position)[Rank]) {
    return item.template element<S>(position);
  }
  template <class S, int K>
  std::ptrdiff_t dimension() const {
    return item.template dimension<S, K>();
  }
  template <class S, int K>
  void out_of_range(double value) {
    item.template out_of_range<S, K>(value);
  }
  void max_of_nothing() { item.max_of_nothing(); }
  template <class T, class R>
  lead_tail reduction(R const& r) {
    return item.reduction_by(r, [&](auto const& reduction) {
      lead_tail parts;
      block_reduce<L>(reduction, item, &parts);
      return parts;
    });
  }
};
// Such a value in double (a reduction's, or a sum's holding a log-sum-exp, not rounded to the kernel's precision).
template <class L, class E, class Data>
double row_value(E const& e, work_item<Data>& item) {
  row_environment<L, Data> env{item};
  return unrounded_value_at<typename Data::value_type>(e, env);
}
// A log-sum-exp's lead and tail, its reductions in blocks.
template <class L, class R, class Data>
lead_tail row_parts(R const& r, work_item<Data>& item) {
  return row_environment<L, Data>{item}.template reduction<typename Data::value_type>(r);
}

}  // namespace lossforge::executor::detail
