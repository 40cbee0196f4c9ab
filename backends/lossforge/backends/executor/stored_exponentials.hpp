#pragma once
// A row's exponentials computed once. A log-sum-exp over c computes exp(b[c] - pivot) for every c of the row; a
// gradient written along the same row as a softmax, exp(b[c'] - logsumexp_c(b)), would compute each of them
// again. When a row kernel writes such a gradient along a contiguous row (cross entropy's softmax - onehot), the
// log-sum-exp keeps its exponentials in that output row, and the write reads each back (before it overwrites it)
// times 1 / their sum: one exp per entry, as in a hand-written softmax loop. A row whose log-sum-exp has no sum
// (a NaN or infinite logit) is written from the formula.
#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <limits>
#include <tuple>
#include <type_traits>

#include <lossforge/backends/executor/block.hpp>
#include <lossforge/simplify/rules.hpp>

namespace lossforge::executor::detail {

using rewrite::is_softmax_exponent;

// How many softmaxes of R along J E computes in lane forms, and whether a node that may run lane by lane reads one
// (a lane-by-lane node, or a comparison, which does beyond 2^24 positions in float: it would need the formula's
// value there, so the write keeps the formula).
template <class J, class R, class E>
struct softmax_uses {
  static constexpr int in_lanes = 0;
  static constexpr bool under_lane_by_lane = false;
};
template <class J, class R, class Op, class... A>
struct softmax_uses<J, R, node<Op, A...>> {
  static constexpr bool here = std::is_same_v<Op, ops::exp> && (is_softmax_exponent<J, R, A> && ...);
  static constexpr int below = (softmax_uses<J, R, A>::in_lanes + ... + 0);
  static constexpr bool serial = lane_by_lane<Op, A...> || Op::compares;
  static constexpr int in_lanes = serial ? 0 : (here ? 1 : below);
  static constexpr bool under_lane_by_lane =
      serial ? (here || below > 0) : (softmax_uses<J, R, A>::under_lane_by_lane || ...);
};

// E with each softmax of R along J replaced by the stored lanes s.
template <class J, class R, class E, class S>
auto with_stored_exponentials(E const& e, S const& s) {
  if constexpr (!is_node_v<E>) {
    return e;
  } else {
    return [&]<class Op, class... A>(node<Op, A...> const& n) {
      if constexpr (std::is_same_v<Op, ops::exp> && (is_softmax_exponent<J, R, A> && ...))
        return s;
      else
        return lossforge::detail::map_args(n, [&](auto const& a) { return with_stored_exponentials<J, R>(a, s); });
    }(e);
  }
}

// The log-sum-exp's sink: its exponentials into the row, their sum into *sum.
template <int W, class V>
struct exponential_store {
  V* row;
  double* sum;
  template <class A>
  void block(std::ptrdiff_t first, A const& e) const {
    Eigen::Map<lanes<V, W>>(row + first) = e.template cast<V>();
  }
  void value(std::ptrdiff_t k, double e) const { row[k] = V(e); }
  void total(double s) const { *sum = s; }
};

// In a row kernel over Row: the one write step along one inner index that computes a softmax of a cached
// log-sum-exp (step -1 when there is none, or more than one), that index, and that reduction. The exponentials are
// stored before the row's steps run, so a log-sum-exp that reads a buffer a step of the kernel writes at the row
// (plan.hpp) has none.
template <class Data, class Row, class... Steps>
struct softmax_write {
  template <class D>
  static constexpr bool written_here() {
    using computation = typename D::computation;
    using first = typename first_type<output_indices_t<computation>>::type;
    using as_step = decltype(substitute<first, Row>(std::declval<computation const&>()));
    return (std::is_same_v<as_step, typename plan::step_traits<Steps>::expression> || ...);
  }
  template <class R>
  static constexpr bool reads_kernel_buffers =
      []<class... D>(type_list<D...>) { return (written_here<D>() || ...); }(intermediates_in_t<R>{});
  template <class S>
  struct inner_index {
    using type = void;
  };
  template <int Out, class E, class J>
  struct inner_index<plan::write_step<Out, E, J>> {
    using type = J;
  };
  template <class S, class R>
  static constexpr bool uses() {
    using J = typename inner_index<S>::type;
    if constexpr (std::is_void_v<J>) {
      return false;
    } else {
      using found = softmax_uses<J, R, typename plan::step_traits<S>::expression>;
      return found::in_lanes > 0 && !found::under_lane_by_lane;
    }
  }
  // The step of the one write that uses R's softmax (-1 when none or several do).
  template <class R>
  static constexpr int step_for() {
    if constexpr (reads_kernel_buffers<R>) return -1;
    constexpr bool used[] = {uses<Steps, R>()..., false};
    int found = -1, count = 0;
    for (int k = 0; k < int(sizeof...(Steps)); ++k)
      if (used[k]) found = k, ++count;
    return count == 1 ? found : -1;
  }
  // The first cached reduction with such a step: (step, its position).
  static constexpr auto find() {
    return []<class... R>(lossforge::detail::type_list<R...>) {
      constexpr int step[] = {step_for<R>()..., -1};
      std::size_t k = 0;
      while (k < sizeof...(R) && step[k] < 0) ++k;
      return std::make_pair(step[k], k);
    }(typename Data::cached{});
  }
  static constexpr int step = find().first;
  using reduction = typename decltype([]<class... R>(lossforge::detail::type_list<R...>) {
    if constexpr (step < 0)
      return std::type_identity<void>{};
    else
      return std::type_identity<std::tuple_element_t<find().second, std::tuple<R...>>>{};
  }(typename Data::cached{}))::type;
  using index = typename inner_index<std::tuple_element_t<(step < 0 ? 0 : step), std::tuple<Steps..., void>>>::type;
};

}  // namespace lossforge::executor::detail
