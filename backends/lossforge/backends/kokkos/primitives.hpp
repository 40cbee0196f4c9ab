#pragma once
// Losses that call primitives (dsl/primitive.hpp), compiled by lf::kokkos::compile. A primitive's Impl provides
//
//   static constexpr lf::fixed_string name;                          // its result prints as name(arguments)
//   static constexpr int rank;                                       // its result's rank
//   std::array<std::size_t, rank> extents(Args const&... args) const;                  // its result's extents
//   void forward(Exec const& exec, Args const&... args, Result const& result);   // writes every element
//   void vjp(Exec const& exec, Upstream const& upstream, Args const&... args, Grads const&... grads);
//   static constexpr std::array<bool, sizeof...(Args)> differentiable;   // optional: which arguments vjp serves
//
// where args are the Views bound to the primitive's arguments (the first a floating-point tensor), result and upstream
// (dloss/dresult) are LayoutRight Views of the first argument's element type in the execution space's memory, and
// grads holds one View per argument
// into which vjp adds J^T upstream: the caller's gradient output for an argument in wrt(...), an empty View
// (data() == nullptr) for the others, which vjp skips. forward and vjp launch their work on exec, which orders it
// with the fused kernels.
//
// A call runs each primitive's forward into a result View, then the fused kernels of the loss with the results bound
// as tensors, which write the loss, the part of each requested gradient that does not pass through a primitive (zero
// for a symbol the loss reads only through primitives) and dloss/dresult for each primitive, then each primitive's
// vjp. The results and upstream gradients are allocated for the call, which fences exec before it returns (also when
// it throws). Impl is default-constructed once per primitive result per call, and its vjp runs on the object its
// forward ran on: forward may keep in members what vjp needs (its residuals: activations, per-sample gradients),
// which the call frees on return. What Impl needs at run time is bound as its arguments.
#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <lossforge/backends/executor/executor.hpp>
#include <lossforge/backends/kokkos/workspace.hpp>
#include <lossforge/diagnostics.hpp>
#include <lossforge/dsl/bind.hpp>
#include <lossforge/dsl/primitive.hpp>

namespace lossforge::kokkos {

namespace detail {

using lossforge::detail::type_list;

// The Views bound to primitive result P's arguments, in order.
template <class P, class Bindings>
auto argument_views(Bindings const& b) {
  return [&]<class... A>(type_list<A...>) { return std::tie(b.template get<A>()...); }(typename P::arguments{});
}

// A View for P's result, or for dloss/dresult: LayoutRight, the first argument's element type, extents from Impl.
// Results are left uninitialized (forward writes every element); upstream gradients start at zero.
template <class P, class MemorySpace, class Bindings, class... Initialization>
auto result_view(Bindings const& b, std::string const& label, Initialization const&... initialization) {
  auto const args = argument_views<P>(b);
  std::array<std::size_t, std::size_t(P::rank)> const extents =
      std::apply([](auto const&... a) { return typename P::impl{}.extents(a...); }, args);
  using T = std::remove_const_t<typename std::remove_cvref_t<std::tuple_element_t<0, decltype(args)>>::value_type>;
  return [&]<std::size_t... D>(std::index_sequence<D...>) {
    return Kokkos::View<typename pointer_of_rank<T, std::size_t(P::rank)>::type, Kokkos::LayoutRight, MemorySpace>(
        Kokkos::view_alloc(label, initialization...), extents[D]...);
  }
  (std::make_index_sequence<std::size_t(P::rank)>{});
}

// b with more bindings after its own.
template <class... B, class... More>
bindings<B..., More...> bound_with(bindings<B...> const& b, More const&... more) {
  return {std::tuple_cat(b.items, std::make_tuple(more...))};
}

// A loss compiled with the results of primitives P... as tensors (Inner), the symbols X... its caller
// differentiates, those of them the loss reads itself (Direct), whose gradients Inner writes, and the primitives
// with an argument among X... (B...), whose dloss/dresult Inner writes after those gradients.
template <class Inner, class Primitives, class Wrt, class Direct, class Back>
struct with_primitives;
template <class Inner, class... P, class... X, class Direct, class... B>
struct with_primitives<Inner, type_list<P...>, type_list<X...>, Direct, type_list<B...>> {
  Inner inner;
  static constexpr bool returns_loss = Inner::returns_loss;

  template <class Exec, class Bindings, class... Out>
  requires Kokkos::is_execution_space<Exec>::value auto operator()(Exec const& exec, Bindings const& b,
                                                                   workspace<typename Exec::memory_space>& ws,
                                                                   Out const&... out) const {
    static_assert(sizeof...(Out) >= sizeof...(X),
                  "lossforge: pass one output view per output: the per-element loss when the loss has free indices, "
                  "then one per symbol in wrt(...)");
    constexpr std::size_t lead = sizeof...(Out) - sizeof...(X);  // the per-element loss, when there is one
    using memory = typename Exec::memory_space;
    auto const outs = std::tie(out...);
    auto const results =
        std::make_tuple(result_view<P, memory>(b, "lossforge::" + P::name.str(), Kokkos::WithoutInitializing)...);
    auto const upstreams = std::make_tuple(result_view<B, memory>(b, "lossforge::dloss/d" + B::name.str())...);
    std::tuple<impl_of<P>...> impls;
    // Declared after the Views and the Impls' residuals, so destroyed first: exec is fenced before they are freed,
    // also when an error leaves launches running.
    struct fence_on_exit {
      Exec const& exec;
      ~fence_on_exit() { exec.fence(); }
    } const fence{exec};
    std::apply([&](auto const&... r) { (forward<P>(exec, b, r, impls), ...); }, results);
    auto const all = std::apply(
        [&](auto const&... r) { return bound_with(b, binding<P, std::remove_cvref_t<decltype(r)>>{r}...); }, results);
    (zero_unless_direct<X, lead>(exec, outs), ...);
    // The fused kernels' outputs: the per-element loss, the gradients they write, dloss/dresult of each primitive.
    auto const inner_outs = std::tuple_cat(leading<lead>(outs), std::tuple_cat(direct_output<X, lead>(outs)...),
                                           std::apply([](auto const&... u) { return std::tie(u...); }, upstreams));
    auto const send_back = [&] {
      std::apply([&](auto const&... u) { (vjp<B, lead>(exec, b, u, outs, impls), ...); }, upstreams);
    };
    if constexpr (returns_loss) {
      double const loss = std::apply([&](auto const&... o) { return inner(exec, all, ws, o...); }, inner_outs);
      send_back();
      return loss;
    } else {
      std::apply([&](auto const&... o) { inner(exec, all, ws, o...); }, inner_outs);
      send_back();
    }
  }
  template <class Exec, class Bindings, class... Out>
  requires Kokkos::is_execution_space<Exec>::value auto operator()(Exec const& exec, Bindings const& b,
                                                                   Out const&... out) const {
    workspace<typename Exec::memory_space> ws;
    return (*this)(exec, b, ws, out...);
  }
  template <class Bindings, class... Out>
  requires(!Kokkos::is_execution_space<Bindings>::value) auto operator()(Bindings const& b, Out&&... out) const {
    using space = typename std::remove_cvref_t<decltype(std::get<0>(b.items).value)>::execution_space;
    return (*this)(space{}, b, std::forward<Out>(out)...);
  }

  // The fused plan between the primitives' forward and their vector-Jacobian products.
  std::string describe() const {
    std::string s;
    ((s += "primitive       " + P::name.str() + " = " + P::impl::name.str() + "'s forward\n"), ...);
    s += inner.describe();
    (vjp_lines<B>(s), ...);
    return s;
  }

 private:
  // Helpers are functions, not lambdas inside pack expansions, which nvcc's front end does not expand.
  template <class S>
  static constexpr bool direct = lossforge::detail::contains_v<Direct, S>;
  template <class S>
  static constexpr std::size_t position = lossforge::detail::first_true<std::is_same_v<S, X>...>();

  // One Impl per primitive result (two results of one Impl are two objects).
  template <class Q>
  struct impl_of {
    typename Q::impl impl;
  };
  template <class Q, class Exec, class Bindings, class Result, class Impls>
  static void forward(Exec const& exec, Bindings const& b, Result const& result, Impls& impls) {
    auto& impl = std::get<impl_of<Q>>(impls).impl;
    std::apply([&](auto const&... a) { impl.forward(exec, a..., result); }, argument_views<Q>(b));
  }
  template <std::size_t Lead, class Outs>
  static auto leading(Outs const& outs) {
    return [&]<std::size_t... K>(std::index_sequence<K...>) { return std::tie(std::get<K>(outs)...); }
    (std::make_index_sequence<Lead>{});
  }
  template <class S, std::size_t Lead, class Exec, class Outs>
  static void zero_unless_direct(Exec const& exec, Outs const& outs) {
    if constexpr (!direct<S>) {
      auto const& view = std::get<Lead + position<S>>(outs);
      Kokkos::deep_copy(exec, view, typename std::remove_cvref_t<decltype(view)>::non_const_value_type(0));
    }
  }
  template <class S, std::size_t Lead, class Outs>
  static auto direct_output(Outs const& outs) {
    if constexpr (direct<S>)
      return std::tie(std::get<Lead + position<S>>(outs));
    else
      return std::tuple<>{};
  }
  // The View Q's vjp adds argument S's gradient into: the caller's output when S is in wrt(...), else an empty one.
  template <class S, std::size_t Lead, class Bindings, class Outs>
  static auto gradient_of(Bindings const& b, Outs const& outs) {
    if constexpr (lossforge::detail::contains_v<type_list<X...>, S>)
      return std::get<Lead + position<S>>(outs);
    else
      return typename std::remove_cvref_t<decltype(b.template get<S>())>::non_const_type{};
  }
  // Q's vjp, adding into the outputs of the arguments in wrt(...).
  template <class Q, std::size_t Lead, class Exec, class Bindings, class Upstream, class Outs, class Impls>
  static void vjp(Exec const& exec, Bindings const& b, Upstream const& upstream, Outs const& outs, Impls& impls) {
    auto& impl = std::get<impl_of<Q>>(impls).impl;
    [&]<class... A>(type_list<A...>) {
      impl.vjp(exec, upstream, b.template get<A>()..., gradient_of<A, Lead>(b, outs)...);
    }(typename Q::arguments{});
  }
  template <class Q>
  static void vjp_lines(std::string& s) {
    [&]<class... A>(type_list<A...>) { (vjp_line<Q, A>(s), ...); }(typename Q::arguments{});
  }
  template <class Q, class A>
  static void vjp_line(std::string& s) {
    if constexpr (lossforge::detail::contains_v<type_list<X...>, A>)
      s += "primitive       dloss/d" + A::name.str() + " += " + Q::impl::name.str() + "'s vjp of dloss/d" +
           Q::name.str() + "\n";
  }
};

template <class E>
struct read_directly {
  template <class X>
  using by = std::bool_constant<lossforge::detail::contains_symbol_v<E, X>>;
};
// Primitive results with an argument among X...
template <class... X>
struct with_argument_among {
  template <class P>
  using in = std::bool_constant<(lossforge::detail::contains_v<typename P::arguments, X> || ...)>;
};
template <class A, class... Rest>
constexpr bool floating_first_argument(type_list<A, Rest...>) {
  return !lossforge::detail::is_int_tensor<A>::value;
}
// Whether Impl's vjp serves its argument K (all do unless Impl says otherwise).
template <class Impl, std::size_t K>
constexpr bool differentiable_argument() {
  if constexpr (requires { Impl::differentiable[K]; })
    return Impl::differentiable[K];
  else
    return true;
}
// Whether X is an argument of P that P's vjp does not serve.
template <class P, class X>
constexpr bool refuses() {
  return []<class... A, std::size_t... K>(type_list<A...>, std::index_sequence<K...>) {
    return ((std::is_same_v<A, X> && !differentiable_argument<typename P::impl, K>()) || ...);
  }(typename P::arguments{}, std::make_index_sequence<P::arguments::size>{});
}

// Whether X reaches the loss E: read directly (in Direct) or through a primitive.
template <class E, class Direct, class X>
constexpr bool reaches() {
  return lossforge::detail::contains_v<Direct, X> || lossforge::detail::reaches_through_primitive_v<E, X>;
}
template <class X, class... P>
constexpr bool refused_by_any(type_list<P...>) {
  return (refuses<P, X>() || ...);
}

// compile(loss, wrt(x...)) for a loss with primitives, with the backend's Compiled: the loss planned with the results
// of its primitives as tensors, differentiated with respect to those of x... it reads itself and to the results of
// the primitives with an argument among x...
template <template <class, class, bool, class> class Compiled, class Loss, class... X, class... Only>
constexpr auto compile_with_primitives(Loss const& loss, wrt_t<X...>, Only... only) {
  using written = expression_t<Loss>;
  using results = lossforge::detail::primitive_results_t<written>;
  using direct = lossforge::detail::filter_t<type_list<X...>, read_directly<written>::template by>;
  using back = lossforge::detail::filter_t<results, with_argument_among<X...>::template in>;
  static_assert(
      []<class... P>(type_list<P...>) {
        return ((P::rank >= 0 && floating_first_argument(typename P::arguments{})) && ...);
      }(results{}),
      "lossforge: a primitive's Impl::rank is its result's rank, a fixed number (0 or more), and its first "
      "argument is a floating-point tensor, whose element type its result has");
  static_assert(!(lossforge::detail::is_int_tensor<X>::value || ...), LOSSFORGE_MSG_GRAD_OF_INT_TENSOR);
  static_assert(!(lossforge::detail::is_primitive_result_v<X> || ...),
                "lossforge: wrt(...) names the tensors bound at run time; a primitive's result is differentiated "
                "inside the kernel");
  static_assert((reaches<written, direct, X>() && ...), LOSSFORGE_MSG_GRAD_ABSENT_SYMBOL);
  static_assert(!(refused_by_any<X>(results{}) || ...),
                "lossforge: wrt(...) names an argument of a primitive whose vector-Jacobian product does not serve it "
                "(its Impl::differentiable says so: the perceptual loss's weights, for one)");
  auto const inner = [&]<class... D, class... B>(type_list<D...>, type_list<B...>) {
    return executor::compiler<Compiled, type_list<>, true>{}(loss, wrt(D{}..., B{}...), only...);
  }(direct{}, back{});
  return with_primitives<std::remove_const_t<decltype(inner)>, results, type_list<X...>, direct, back>{inner};
}

}  // namespace detail

}  // namespace lossforge::kokkos
