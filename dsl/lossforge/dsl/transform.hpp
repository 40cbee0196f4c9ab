#pragma once
// Rebuilding helpers shared by the passes: apply a function to every child of a node (or every slot of an access)
// and assemble a node of the resulting types.
#include <utility>

#include <lossforge/dsl/expr.hpp>

namespace lossforge::detail {

template <class Op, class... A, class F>
constexpr auto map_args(node<Op, A...> const& n, F&& f) {
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    return node<Op, decltype(f(get<K>(n.args)))...>{make_tuple(f(get<K>(n.args))...)};
  }
  (std::index_sequence_for<A...>{});
}

template <class S, class... Slots, class F>
constexpr auto map_slots(access<S, Slots...> const& a, F&& f) {
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    return access<S, decltype(f(get<K>(a.slots)))...>{make_tuple(f(get<K>(a.slots))...)};
  }
  (std::index_sequence_for<Slots...>{});
}

// Calls f(arg<0>, arg<1>, ...) with the children of a node.
template <class Op, class... A, class F>
constexpr decltype(auto) apply_args(node<Op, A...> const& n, F&& f) {
  return [&]<std::size_t... K>(std::index_sequence<K...>)->decltype(auto) { return f(get<K>(n.args)...); }
  (std::index_sequence_for<A...>{});
}

}  // namespace lossforge::detail
