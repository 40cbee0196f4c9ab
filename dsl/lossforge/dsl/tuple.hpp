#pragma once
// A minimal aggregate tuple whose accessors are device functions. std::tuple is not callable from CUDA kernels
// without relaxed-constexpr flags, and nodes must be trivially copyable captures of a Kokkos functor.
#include <cstddef>
#include <utility>

#include <lossforge/config.hpp>

namespace lossforge::detail {

template <std::size_t I, class T>
struct tuple_leaf {
  T value;
};

template <class Positions, class... Ts>
struct tuple_base;

template <std::size_t... Is, class... Ts>
struct tuple_base<std::index_sequence<Is...>, Ts...> : tuple_leaf<Is, Ts>... {};

template <class... Ts>
struct tuple : tuple_base<std::index_sequence_for<Ts...>, Ts...> {};

template <class... Ts>
tuple(Ts...) -> tuple<Ts...>;

template <std::size_t I, class T>
LOSSFORGE_FUNCTION constexpr T const& get(tuple_leaf<I, T> const& leaf) {
  return leaf.value;
}

// Braced as nested: the tuple, its base, each leaf.
template <class... Ts>
constexpr tuple<Ts...> make_tuple(Ts const&... values) {
  return tuple<Ts...>{{{values}...}};
}

}  // namespace lossforge::detail
