#pragma once
// The plan's cost model: the work of one row of a kernel in flops-equivalents, each op costing what ops.hpp states
// (an exp 10, an add 1) and each term of a reduction 1 more for its combine, given the extents of the indices the
// row loops over. It follows how a work item evaluates: a reduction cached per row (Cached: its free index is the
// row, or the plan made a closed one row-local) is computed once per row; a global is read, not computed; anything
// else runs once per position of the loops around it (a write step's inner indices, the reductions that contain it).
// Tensor reads are not counted here: the listing counts them as bytes.
#include <type_traits>

#include <lossforge/plan/plan.hpp>

namespace lossforge::plan {
namespace detail {
// The cost of one evaluation of E; reductions in Skipped cost nothing (cached or global: computed elsewhere).
// extent(std::type_identity<I>{}) is the extent of index I.
template <class E, class Skipped, class Extent>
double evaluation_cost(Extent const& extent) {
  using namespace lossforge::detail;
  constexpr node_kind kind = kind_v<E>;
  if constexpr (contains_v<Skipped, E>) {
    return 0;
  } else if constexpr (kind == node_kind::node) {
    return []<class Op, class... A>(std::type_identity<node<Op, A...>>, Extent const& x) {
      return double(Op::cost) + (evaluation_cost<A, Skipped>(x) + ... + 0.0);
    }(std::type_identity<E>{}, extent);
  } else if constexpr (kind == node_kind::reduce) {
    return []<class Op, class I, class B>(std::type_identity<reduce<Op, I, B>>, Extent const& x) {
      return double(x(std::type_identity<I>{})) * (evaluation_cost<B, Skipped>(x) + 1);
    }(std::type_identity<E>{}, extent);
  } else if constexpr (kind == node_kind::access) {
    return []<class S, class... Sl>(std::type_identity<access<S, Sl...>>, Extent const& x) {
      return (evaluation_cost<Sl, Skipped>(x) + ... + 0.0);
    }(std::type_identity<E>{}, extent);
  } else {
    static_assert(kind == node_kind::index || kind == node_kind::number || kind == node_kind::scalar ||
                  kind == node_kind::along || kind == node_kind::witness);
    return 0;  // read or counted, not computed
  }
}
}  // namespace detail

// The model's work for one row of kernel<Row, Steps...>, whose cached reductions are Cached and whose plan's globals
// are Globals: each cached reduction once, a reduce step's body once, a write step's expression once per position of
// its inner indices.
template <class Globals, class Cached, class Row, class... Steps, class Extent>
double row_cost(std::type_identity<kernel<Row, Steps...>>, Extent const& extent) {
  using namespace lossforge::detail;
  using skipped = set_union_t<Globals, Cached>;
  double const cached = []<class... R>(type_list<R...>, Extent const& x) {
    return (detail::evaluation_cost<R, remove_type_t<skipped, R>>(x) + ... + 0.0);
  }(Cached{}, extent);
  auto const step = [&]<class S>(std::type_identity<S>) {
    double const once = detail::evaluation_cost<typename step_traits<S>::expression, skipped>(extent);
    if constexpr (is_reduce_step_v<S>) {
      return once + 1;
    } else {
      return [&]<class... Inner>(type_list<Inner...>) {
        return (double(extent(std::type_identity<Inner>{})) * ... * once);
      }(typename step_traits<S>::inner{});
    }
  };
  return cached + (step(std::type_identity<Steps>{}) + ... + 0.0);
}

}  // namespace lossforge::plan
