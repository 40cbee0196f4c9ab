#pragma once
// The extent of every index of an expression, from the shapes its tensors are bound to. Shared by the backends:
// each supplies `Shapes`, an object whose `shapes.template of<Symbol>()` returns the bound tensor's shape_t.
//
// A named index has one extent throughout an expression (Root), as a letter in einsum does; the flat index of bare
// tensors is resolved in the body it runs over (E), so sum(p * g) and sum(w * w) may run over tensors of different
// sizes. The tensors that supply a named index's extent must agree; bare tensors read together broadcast as PyTorch
// broadcasts them (a weight [C] or [1, C] meets an input [N, C]). Otherwise the error names both shapes.
#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <lossforge/backends/shape.hpp>
#include <lossforge/diagnostics.hpp>
#include <lossforge/dsl/extent_sources.hpp>
#include <lossforge/dsl/symbol_uses.hpp>

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

// The shape a and b broadcast to, as PyTorch broadcasts: aligned at their last dimension, a dimension of 1 or a
// missing leading one stretches to the other's. Empty when they do not broadcast.
inline std::optional<shape_t> broadcast(shape_t const& a, shape_t const& b) {
  shape_t const& shorter = a.size() < b.size() ? a : b;
  shape_t out = a.size() < b.size() ? b : a;
  std::size_t const lead = out.size() - shorter.size();
  for (std::size_t d = 0; d < shorter.size(); ++d) {
    std::ptrdiff_t& here = out[lead + d];
    if (here == 1)
      here = shorter[d];
    else if (shorter[d] != 1 && shorter[d] != here)
      return std::nullopt;
  }
  return out;
}

// How an error names a source: 'p', 'x[dim 1]', or the positions of a window along 'x[dim 1]'.
template <class S, int P>
std::string source_name(detail::type_list<detail::extent_source<S, P>>) {
  std::string name(1, '\'');  // appended piece by piece: g++ 12 warns wrongly on "'" + std::string
  name += symbol_name<S>();
  if constexpr (P != flat_position) name += "[dim " + std::to_string(P) + "]";
  return name += '\'';
}
template <class S, int P, class Offset, bool Padded>
std::string source_name(detail::type_list<detail::window_source<S, P, Offset, Padded>>) {
  return "the window positions along " + source_name(detail::type_list<detail::extent_source<S, P>>{});
}
template <class Src>
inline constexpr bool is_flat_source = false;
template <class S>
inline constexpr bool is_flat_source<detail::extent_source<S, flat_position>> = true;

template <class I, class E, class Root, class Shapes>
shape_t resolve_extent(Shapes const& shapes);

// The positions of a window along dimension P of S: the dimension less the window's extent plus one, where the
// whole window lies inside the tensor (valid convolution), or the dimension (zero-padded). Shapes::root is the
// expression whose indices give the window's extent.
template <class S, int P, class Offset, bool Padded, class Shapes>
shape_t window_positions(Shapes const& shapes) {
  using root = typename Shapes::root;
  static_assert(detail::is_gradient_index<Offset>::value || detail::any_extent_sources_t<Offset, root>::size != 0,
                LOSSFORGE_MSG_WINDOW_WITHOUT_EXTENT);
  std::ptrdiff_t const dimension = element_count(source_shape<S, P>(shapes));
  std::ptrdiff_t const window = element_count(resolve_extent<Offset, root, root>(shapes));
  if ((window > dimension && !Padded) || window == 0)
    throw std::invalid_argument("lossforge: a window of " + std::to_string(window) + " positions slides along " +
                                source_name(detail::type_list<detail::extent_source<S, P>>{}) + ", of " +
                                std::to_string(dimension) +
                                (window == 0 ? ": an empty window has no value" : ": the window does not fit"));
  return shape_t(1, Padded ? dimension : dimension - window + 1);
}
template <class Source, class Shapes>
shape_t shape_of_source(Source, Shapes const& shapes) {
  return [&]<class S, int P>(detail::extent_source<S, P>) { return source_shape<S, P>(shapes); }(Source{});
}
template <class S, int P, class Offset, bool Padded, class Shapes>
shape_t shape_of_source(detail::window_source<S, P, Offset, Padded>, Shapes const& shapes) {
  return window_positions<S, P, Offset, Padded>(shapes);
}

// The one shape the sources in Sources stand for: all bare tensors (flat_position), the shape they broadcast to;
// otherwise the one they agree on. Names are spelled only for the error, never on the way to a shape.
template <class... Src, class Shapes>
shape_t agreed_shape(detail::type_list<Src...>, Shapes const& shapes) {
  constexpr bool all_flat = (is_flat_source<Src> && ...);
  std::array<shape_t, sizeof...(Src)> const each{shape_of_source(Src{}, shapes)...};
  shape_t shape = each[0];
  for (std::size_t k = 1; k < each.size(); ++k) {
    if (each[k] == shape) continue;
    std::optional<shape_t> both = all_flat ? broadcast(shape, each[k]) : std::nullopt;
    if (!both) {
      std::array<std::string, sizeof...(Src)> const names{source_name(detail::type_list<Src>{})...};
      bool const stretched = shape != each[0];
      std::string seen = names[0];  // what shape stands for: "'p' has shape [4,1]", or "'p', 'w' broadcast to [4,3]"
      for (std::size_t m = 1; stretched && m < k; ++m) seen += ", " + names[m];
      seen += (stretched ? " broadcast to " : " has shape ") + shape_string(shape);
      throw std::invalid_argument("lossforge: shape mismatch: " + seen + " but " + names[k] + " has shape " +
                                  shape_string(each[k]) + (all_flat ? ", and they do not broadcast" : ""));
    }
    shape = std::move(*both);
  }
  return shape;
}

// The shape bare tensor S is read at in Root: the one of every scope that reads it (detail::flat_scopes_t), larger
// than its own where it is stretched. Refused, with what to write instead: S differentiated where it is stretched
// (its gradient would sum over the stretched dimensions, which a flat gradient does not); S stretched and also
// indexed (an indexed read does not stretch); S read at two shapes.
template <class S, class Root, class Shapes>
shape_t read_shape(Shapes const& shapes) {
  shape_t const own = shapes.template of<S>();
  std::vector<shape_t> reads;
  [&]<class... Scope>(detail::type_list<Scope...>) {
    (
        [&] {
          if constexpr (detail::contains_v<Scope, detail::extent_source<S, flat_position>>)
            reads.push_back(agreed_shape(Scope{}, shapes));
        }(),
        ...);
  }(detail::flat_scopes_t<Root>{});
  auto const stretched = std::find_if(reads.begin(), reads.end(), [&](shape_t const& r) { return r != own; });
  if (stretched == reads.end()) return own;
  std::string const name = source_name(detail::type_list<detail::extent_source<S, flat_position>>{});
  std::string const from = " from shape " + shape_string(own) + " to ";
  constexpr bool differentiated = []<class... I>(detail::type_list<I...>) {
    return (detail::is_flat_gradient_of_v<S, I> || ...);
  }(detail::free_indices_t<Root>{});
  if (differentiated)
    throw std::invalid_argument("lossforge: no gradient with respect to " + name + ": the loss broadcasts it" + from +
                                shape_string(*stretched) +
                                " (its gradient would sum over the stretched dimensions); bind it at the full shape, "
                                "or index it");
  if (detail::symbol_uses<S, Root>::mixed)
    throw std::invalid_argument("lossforge: " + name + " is broadcast" + from + shape_string(*stretched) +
                                " where it is used bare, and is also indexed; an indexed read does not stretch: bind it "
                                "at the full shape, or index it everywhere");
  for (shape_t const& r : reads)
    if (r != *stretched)
      throw std::invalid_argument("lossforge: " + name + " has shape " + shape_string(own) + " and is read at shape " +
                                  shape_string(*stretched) + " in one part of the expression but at " +
                                  shape_string(r) +
                                  " in another; a bare tensor broadcasts to one shape per expression: index it to use "
                                  "it at several");
  return *stretched;
}

// Checks that every bare tensor of Root is read at one shape (read_shape).
template <class Root, class Shapes>
void check_broadcasts(Shapes const& shapes) {
  [&]<class... S>(detail::type_list<S...>) {
    ((void)read_shape<S, Root>(shapes), ...);
  }(detail::bare_tensors_t<Root>{});
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
    if constexpr (sources::size == 0 && detail::stands_for_another_v<I>) {
      return resolve_extent<typename detail::stands_for<I>::type, E, Root>(shapes);
    } else {
      static_assert(sources::size != 0, LOSSFORGE_MSG_INDEX_WITHOUT_EXTENT);
      return agreed_shape(sources{}, shapes);
    }
  }
}

}  // namespace lossforge::backend
