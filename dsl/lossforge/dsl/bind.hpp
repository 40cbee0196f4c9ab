#pragma once
// lf::bind(p = data, w = 0.5): the runtime values of an expression's symbols. Each backend decides what a value may
// be (host views for the reference evaluator, Kokkos Views for the kernels); this header only pairs them.
#include <tuple>

#include <lossforge/diagnostics.hpp>
#include <lossforge/dsl/symbols.hpp>

namespace lossforge {

namespace detail {
template <class Symbol, class B>
inline constexpr bool binds_v = false;
template <class Symbol, class V>
inline constexpr bool binds_v<Symbol, binding<Symbol, V>> = true;
}  // namespace detail

template <class... Bindings>
struct bindings {
  std::tuple<Bindings...> items;

  template <class Symbol>
  static constexpr bool has = (detail::binds_v<Symbol, Bindings> || ...);

  // The value bound to Symbol.
  template <class Symbol>
  constexpr auto const& get() const {
    static_assert(has<Symbol>, LOSSFORGE_MSG_MISSING_BINDING);
    return std::get<detail::first_true<detail::binds_v<Symbol, Bindings>...>()>(items).value;
  }
};

template <class... S, class... V>
constexpr bindings<binding<S, V>...> bind(binding<S, V> const&... b) {
  return {std::make_tuple(b...)};
}

}  // namespace lossforge
