#pragma once
// The extent of every index of an expression, from the shapes its tensors are bound to. Shared by the backends:
// each supplies `Shapes`, an object whose `shapes.template of<Symbol>()` returns the bound tensor's shape_t.
//
// A named index has one extent throughout an expression (Root), as a letter in einsum does; the flat index of bare
// tensors is resolved in the body it runs over (E), so sum(p * g) and sum(w * w) may run over tensors of different
// sizes. Every tensor that supplies an extent must agree, or the error names both shapes.
#include <stdexcept>
#include <string>

#include <lossforge/backends/shape.hpp>
#include <lossforge/diagnostics.hpp>
#include <lossforge/dsl/extent_sources.hpp>

namespace lossforge::backend {

template <class Symbol>
std::string symbol_name() {
  return std::string(Symbol::name.str());
}

// The shape an extent source stands for: a tensor's whole shape (flat_position) or one of its dimensions.
template <class Symbol, int Position, class Shapes>
shape_t source_shape(Shapes const& shapes) {
  shape_t const shape = shapes.template of<Symbol>();
  if constexpr (Position == flat_position) {
    return shape;
  } else {
    if (int(shape.size()) <= Position)
      throw std::invalid_argument("lossforge: '" + symbol_name<Symbol>() + "' is indexed at position " +
                                  std::to_string(Position) + " but is bound to shape " + shape_string(shape));
    return shape_t(1, shape[std::size_t(Position)]);
  }
}

// The one shape every source in Sources agrees on.
template <class... Src, class Shapes>
shape_t agreed_shape(detail::type_list<Src...>, Shapes const& shapes) {
  shape_t shape;
  std::string first_name;
  (
      [&]<class S, int P>(std::type_identity<detail::extent_source<S, P>>) {
        shape_t here = source_shape<S, P>(shapes);
        std::string name = symbol_name<S>() + (P == flat_position ? "" : "[dim " + std::to_string(P) + "]");
        if (first_name.empty()) {
          shape = here;
          first_name = name;
        } else if (here != shape) {
          throw std::invalid_argument("lossforge: shape mismatch: '" + first_name + "' has shape " +
                                      shape_string(shape) + " but '" + name + "' has shape " + shape_string(here));
        }
      }(std::type_identity<Src>{}),
      ...);
  return shape;
}

template <class I, class E, class Root, class Shapes>
shape_t resolve_extent(Shapes const& shapes) {
  if constexpr (detail::is_gradient_index<I>::value) {
    return [&]<class X, int P, int D, fixed_string N>(std::type_identity<gradient_index<X, P, D, N>>) {
      return source_shape<X, P>(shapes);
    }(std::type_identity<I>{});
  } else {
    using sources = std::conditional_t<std::is_same_v<I, flat_index>, detail::extent_sources_t<I, E>,
                                       detail::any_extent_sources_t<I, Root>>;
    static_assert(sources::size != 0, LOSSFORGE_MSG_INDEX_WITHOUT_EXTENT);
    return agreed_shape(sources{}, shapes);
  }
}

}  // namespace lossforge::backend
