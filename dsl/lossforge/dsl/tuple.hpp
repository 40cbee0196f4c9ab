#pragma once
// A minimal aggregate tuple whose accessors are device functions. std::tuple is not callable from CUDA kernels
// without relaxed-constexpr flags, and nodes must be trivially copyable captures of a Kokkos functor. The symbolic
// passes build their operand lists with it too: std::tuple's constrained constructors, tuple_cat and apply were
// close to half of the compile time of a gradient.
#include <array>
#include <cstddef>
#include <type_traits>
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

template <class T>
struct tuple_size;
template <class... Ts>
struct tuple_size<tuple<Ts...>> : std::integral_constant<std::size_t, sizeof...(Ts)> {};
template <class T>
inline constexpr std::size_t tuple_size_v = tuple_size<std::remove_cvref_t<T>>::value;
template <std::size_t I, class T>
using tuple_element_t = std::remove_cvref_t<decltype(get<I>(std::declval<T const&>()))>;

// f(elements...). apply and tuple_cat are called qualified (detail::apply): unqualified, argument-dependent lookup
// would also find std's for arguments that name std types.
template <class F, class... Ts>
constexpr decltype(auto) apply(F&& f, tuple<Ts...> const& t) {
  return [&]<std::size_t... K>(std::index_sequence<K...>)->decltype(auto) { return f(get<K>(t)...); }
  (std::index_sequence_for<Ts...>{});
}

// The elements of all the tuples, in order, in one tuple: each element is read once from its source, whatever the
// number of tuples (no chain of pairwise concatenations).
template <class... Tuples>
constexpr auto tuple_cat(Tuples const&... tuples) {
  constexpr std::size_t count = (std::size_t{0} + ... + tuple_size_v<Tuples>);
  if constexpr (count == 0) {
    return tuple<>{};
  } else {
    // Result element k is element source.second[k] of tuple source.first[k].
    constexpr auto source = [] {
      std::array<std::size_t, sizeof...(Tuples)> const sizes{tuple_size_v<Tuples>...};
      std::pair<std::array<std::size_t, count>, std::array<std::size_t, count>> where{};
      std::size_t k = 0;
      for (std::size_t t = 0; t < sizes.size(); ++t)
        for (std::size_t e = 0; e < sizes[t]; ++e, ++k) {
          where.first[k] = t;
          where.second[k] = e;
        }
      return where;
    }();
    tuple<Tuples const*...> const all{{{&tuples}...}};
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return make_tuple(get<source.second[K]>(*get<source.first[K]>(all))...);
    }
    (std::make_index_sequence<count>{});
  }
}

}  // namespace lossforge::detail
