#pragma once
// What the handlers of losses over embeddings [N, D] and per-pair scores share: every input bound from the case by
// its symbol's name, and the loss run with the gradients of the differentiated ones.
#include <tuple>

#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {

// The case's input of the symbol's name, bound in a View of the symbol's rank (a bare symbol's flattened).
template <class T, class Symbol>
auto bound(case_data const& c, Symbol const& symbol) {
  constexpr int rank = Symbol::rank == any_rank ? 1 : Symbol::rank;
  std::string const name = Symbol::name.str();
  if constexpr (lossforge::detail::is_int_tensor<Symbol>::value)
    return symbol = make_view<std::int64_t, rank>(c.inputs.at(name), name);
  else
    return symbol = make_view<T, rank>(c.inputs.at(name), name);
}

// Loss over the case's inputs, differentiated with respect to Grads, the others bound as they are; one loss per row
// (the first input's first dimension) with reduction none.
template <auto const& Loss, class... Grads, class... Others, class... Scalars>
computed rows_case(case_data const& c, precision p, std::tuple<Grads...>, std::tuple<Others...>,
                   std::tuple<Scalars...> const& scalars) {
  return in_precision(p, false, [&]<class T>() {
    static constexpr auto kernel = under_test::compile(Loss, wrt(Grads{}...));
    using first = std::tuple_element_t<0, std::tuple<Grads...>>;
    std::size_t const rows = std::size_t(c.inputs.at(first::name.str()).shape.at(0));
    return std::apply(
        [&](Scalars const&... s) {
          return run(kernel, bind(bound<T>(c, Grads{})..., bound<T>(c, Others{})..., s...), view_t<T, 1>("loss", rows),
                     gradient_for<T, (Grads::rank == any_rank ? 1 : Grads::rank)>(c, Grads::name.str())...);
        },
        scalars);
  });
}

}  // namespace lossforge::conformance
