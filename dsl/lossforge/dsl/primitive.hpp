#pragma once
// Primitives: operations the DSL cannot express (a scan, a convolution, a feature extractor), written by the user
// with their own forward computation and vector-Jacobian product. lf::primitive<Impl> is called on tensors:
// features(x) is a tensor of the expression, read like any other (bare, or with indices), whose values the compiled
// kernel computes with Impl's forward before the fused passes, and whose gradient it sends back to the arguments
// with Impl's vector-Jacobian product after them. The symbolic core sees the result as a tensor symbol that prints
// as "features(x)"; the Kokkos backend (kokkos/primitives.hpp) says what Impl provides.
#include <string>
#include <type_traits>

#include <lossforge/dsl/symbols.hpp>
#include <lossforge/dsl/type_list.hpp>

namespace lossforge {

namespace detail {
// How a primitive's result prints: its name, then its arguments' names in parentheses.
template <class Impl, class... Args>
struct primitive_result_name {
  std::string str() const {
    std::string s = Impl::name.str() + "(";
    ((s += Args::name.str() + ", "), ...);
    s.resize(s.size() - (sizeof...(Args) > 0 ? 2 : 0));
    return s + ")";
  }
};
template <class S>
inline constexpr bool is_primitive_result_v = false;
}  // namespace detail

// The result of primitive Impl applied to tensors Args...: a floating-point tensor of rank Impl::rank.
template <class Impl, class... Args>
struct primitive_result : detail::tensor_base<primitive_result<Impl, Args...>, Impl::rank> {
  using impl = Impl;
  using arguments = detail::type_list<Args...>;
  static constexpr detail::primitive_result_name<Impl, Args...> name{};
};

// lf::primitive<Impl> features; features(x, w): Impl applied to tensors bound at run time.
template <class Impl>
struct primitive {
  template <class... Args>
  constexpr primitive_result<Impl, Args...> operator()(Args const&...) const {
    static_assert(sizeof...(Args) > 0 && (TensorSymbol<Args> && ...),
                  "lossforge: a primitive is called on tensor symbols bound at run time (lf::tensor, lf::int_tensor)");
    static_assert(!(detail::is_primitive_result_v<Args> || ...),
                  "lossforge: a primitive's arguments are tensors bound at run time, not the results of other "
                  "primitives; write the composition as one primitive");
    return {};
  }
};

namespace detail {
template <class Impl, class... Args>
struct is_tensor_symbol<primitive_result<Impl, Args...>> : std::true_type {};
template <class Impl, class... Args>
inline constexpr bool is_primitive_result_v<primitive_result<Impl, Args...>> = true;

// The results of primitives that E reads.
template <class S>
struct is_primitive_result_t : std::bool_constant<is_primitive_result_v<S>> {};
template <class E>
using primitive_results_t = filter_t<symbols_of_t<E>, is_primitive_result_t>;

// Whether X is an argument of a primitive E reads.
template <class E, class X>
inline constexpr bool reaches_through_primitive_v =
    []<class... P>(type_list<P...>) { return (contains_v<typename P::arguments, X> || ...); }(primitive_results_t<E>{});
}  // namespace detail

}  // namespace lossforge
