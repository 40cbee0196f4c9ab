#pragma once
// Loss parameters bound at run time checked against their ranges (dsl/parameter_range.hpp), shared by the backends:
// each in_range node of an expression has its argument evaluated once by the backend's own evaluator (value_of)
// and compared with its range, before anything else is evaluated. An expression without such a node costs nothing.
#include <stdexcept>
#include <string>

#include <lossforge/backends/extents.hpp>
#include <lossforge/dsl/parameter_range.hpp>
#include <lossforge/dsl/symbol_uses.hpp>
#include <lossforge/dsl/transform.hpp>
#include <lossforge/print/print.hpp>

namespace lossforge::backend {

// What a parameter was bound to, for the error: "scalar 'd'", or the expression of scalars.
template <class E>
std::string bound_parameter(E const& e) {
  if constexpr (detail::is_scalar_v<E>)
    return "scalar '" + symbol_name<E>() + "'";
  else
    return "'" + to_text(e) + "'";
}

template <class E, class ValueOf>
void check_parameters(E const& e, ValueOf const& value_of) {
  using namespace lossforge::detail;
  if constexpr (is_node_v<E>) {
    using Op = typename node_op<E>::type;
    if constexpr (ops::is_in_range_v<Op>) {
      double const value = double(value_of(arg<0>(e)));
      if (!Op::requirement::admits(value))
        throw std::invalid_argument(Op::requirement::error(bound_parameter(arg<0>(e)), value));
    } else {
      apply_args(e, [&](auto const&... a) { (check_parameters(a, value_of), ...); });
    }
  } else if constexpr (is_reduce_v<E>) {
    check_parameters(e.body, value_of);
  } else if constexpr (is_access_v<E>) {  // a gather slot is an expression too
    [&]<class S, class... Slots>(access<S, Slots...> const& a) {
      [&]<std::size_t... K>(std::index_sequence<K...>) { (check_parameters(get<K>(a.slots), value_of), ...); }
      (std::index_sequence_for<Slots...>{});
    }(e);
  }
}

}  // namespace lossforge::backend
