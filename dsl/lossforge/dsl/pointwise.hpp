#pragma once
// Evaluation of a closed elementwise expression at one point, as a device function: the inner loop body of every
// kernel. Leaves are numbers and scalar symbols; the caller supplies each scalar symbol's value through `values`,
// an object with `template <class Symbol> T get() const`. Everything here is LOSSFORGE_FUNCTION and trivially
// copyable, so a CUDA/HIP build compiles it for the device.
#include <lossforge/dsl/expr.hpp>
#include <lossforge/dsl/ops.hpp>

#include <tuple>

namespace lossforge {
namespace detail {
template <class T, class Values, class E>
struct pointwise;

template <class T, class Values, std::intmax_t N, std::intmax_t D>
struct pointwise<T, Values, constant<N, D>> {
  LOSSFORGE_FUNCTION static T at(constant<N, D> const&, Values const&) { return T(N) / T(D); }
};
template <class T, class Values, class Id>
struct pointwise<T, Values, literal<Id>> {
  LOSSFORGE_FUNCTION static T at(literal<Id> const& l, Values const&) { return T(l.value); }
};
template <class T, class Values, fixed_string Name>
struct pointwise<T, Values, scalar<Name>> {
  LOSSFORGE_FUNCTION static T at(scalar<Name> const&, Values const& v) { return v.template get<scalar<Name>>(); }
};
template <class T, class Values, class Op, class... A>
struct pointwise<T, Values, node<Op, A...>> {
  template <std::size_t... K>
  LOSSFORGE_FUNCTION static T apply(node<Op, A...> const& n, Values const& v, std::index_sequence<K...>) {
    if constexpr (Op::lazy)  // only the chosen branch runs
      return pointwise<T, Values, std::tuple_element_t<0, std::tuple<A...>>>::at(get<0>(n.args), v) != T(0)
                 ? pointwise<T, Values, std::tuple_element_t<1, std::tuple<A...>>>::at(get<1>(n.args), v)
                 : pointwise<T, Values, std::tuple_element_t<2, std::tuple<A...>>>::at(get<2>(n.args), v);
    else
      return Op::apply(pointwise<T, Values, A>::at(get<K>(n.args), v)...);
  }
  LOSSFORGE_FUNCTION static T at(node<Op, A...> const& n, Values const& v) {
    return apply(n, v, std::index_sequence_for<A...>{});
  }
};
}  // namespace detail

// The value of a closed elementwise expression (numbers, scalar symbols, ops) in precision T.
template <class T, class E, class Values>
LOSSFORGE_FUNCTION T evaluate_pointwise(E const& e, Values const& values) {
  return detail::pointwise<T, Values, E>::at(e, values);
}

}  // namespace lossforge
