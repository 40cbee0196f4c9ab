#pragma once
// Data split across processes (lossforge/backends/mpi.hpp): dimension 0 of some tensors is divided among the
// processes, each holding a contiguous block of it. A plan over such data must know which index extents that
// divides, so that it keeps every reduction over them a global (combined across processes between passes) rather
// than recomputing it from one process's rows.
#include <lossforge/dsl/extent_sources.hpp>

namespace lossforge::detail {

// The extent sources a split of dimension 0 of the tensors Split divides: that dimension, and all their elements.
template <class... S>
auto split_sources(type_list<S...>) -> type_list<extent_source<S, 0>..., extent_source<S, flat_position>...>;
template <class Split>
using split_sources_t = decltype(split_sources(Split{}));

// The dimension a source reads: its own, or the one a window slides along.
template <class Source>
struct source_dimension {
  using type = Source;
};
template <class S, int P, class Offset, bool Padded>
struct source_dimension<window_source<S, P, Offset, Padded>> {
  using type = extent_source<S, P>;
};

// Whether an index whose extent comes from Sources runs over split data.
template <class Sources, class Split>
inline constexpr bool runs_over_split_v = []<class... T>(type_list<T...>) {
  return (contains_v<split_sources_t<Split>, typename source_dimension<T>::type> || ...);
}(Sources{});

}  // namespace lossforge::detail
