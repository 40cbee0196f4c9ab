#pragma once
// lf::kokkos::compile: a loss and the symbols to differentiate become a callable that runs the planned kernels as
// Kokkos parallel reductions.
//
//   constexpr auto kernel = lf::kokkos::compile(combo, lf::wrt(p));    // plan fixed at compile time
//   double loss = kernel(exec, lf::bind(p = p_view, g = g_view, w = 0.5), grad_p_view);
//
// Outputs are passed after the bindings, one per output in order: the per-element loss first when the loss has
// free indices (reduction "none"), then one View per differentiated symbol (a rank-0 View for a scalar symbol).
// A scalar loss is returned (the call has finished when it returns); otherwise the call returns nothing, and
// Kokkos' usual rules say when the written Views are ready (fence the execution space).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <lossforge/backends/executor/executor.hpp>
#include <lossforge/backends/kokkos/conv_layers.hpp>  // the catalogue's primitives: a loss that calls them links
#include <lossforge/backends/kokkos/ctc.hpp>          // with this header alone
#include <lossforge/backends/kokkos/primitives.hpp>
#include <lossforge/backends/kokkos/ssim.hpp>
#include <lossforge/backends/kokkos/workspace.hpp>
#include <lossforge/config/kokkos_compat.hpp>

namespace lossforge::kokkos {

using lossforge::gradient_only;
using lossforge::gradient_only_t;

namespace detail {

// A kernel functor as Kokkos calls it: join on the references the Kokkos version passes (volatile in 3.x).
template <class Functor>
struct reducer {
  using value_type = typename Functor::value_type;
  Functor functor;
  KOKKOS_INLINE_FUNCTION void init(value_type& v) const { functor.init(v); }
  KOKKOS_INLINE_FUNCTION void join(LOSSFORGE_KOKKOS_JOIN_QUALIFIER value_type& dst,
                                   LOSSFORGE_KOKKOS_JOIN_QUALIFIER value_type const& src) const {
    functor.join(dst, src);
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item, value_type& v) const { functor(item, v); }
};

// The executor's launch policy on execution space instance exec, with the intermediates' buffers in ws.
template <class Exec>
struct launch {
  using memory_space = typename Exec::memory_space;
  static constexpr bool on_host = std::is_same_v<memory_space, Kokkos::HostSpace>;
  Exec const& exec;
  workspace<memory_space>& ws;

  std::int64_t concurrency() const { return std::int64_t(exec.concurrency()); }
  template <class Functor>
  void reduce(std::string const& label, std::int64_t items, Functor const& f,
              typename Functor::value_type& result) const {
    Kokkos::parallel_reduce(label, Kokkos::RangePolicy<Exec, Kokkos::IndexType<std::int64_t>>(exec, 0, items),
                            reducer<Functor>{f}, result);
  }
  // Intermediate k's buffer seen as a View of its rank: row-major over its output indices.
  template <std::size_t Rank>
  auto buffer(int k, std::array<std::ptrdiff_t, Rank> const& extents) const {
    std::size_t size = 1;
    for (auto e : extents) size *= std::size_t(e);
    double* data = ws.buffer(k, size);
    return [&]<std::size_t... D>(std::index_sequence<D...>) {
      return Kokkos::View<typename pointer_of_rank<double, Rank>::type, Kokkos::LayoutRight, memory_space,
                          Kokkos::MemoryTraits<Kokkos::Unmanaged>>(data, std::size_t(extents[D])...);
    }
    (std::make_index_sequence<Rank>{});
  }
  template <class View>
  void store(View const& view, double value) const {
    Kokkos::deep_copy(view, typename View::value_type(value));
  }
};

// call(ws) with a workspace for this call only: its buffers are freed on return, so the launches that read them
// must have finished.
template <class Plan, class Exec, class Call>
auto with_call_workspace(Exec const& exec, Call const& call) {
  workspace<typename Exec::memory_space> ws;
  if constexpr (Plan::intermediate_count == 0) {
    return call(ws);
  } else {
    struct fence_on_exit {
      Exec const& exec;
      ~fence_on_exit() { exec.fence(); }
    } const fence{exec};
    return call(ws);
  }
}

}  // namespace detail

// A compiled loss, called with Kokkos Views.
template <class Plan, class Names, bool ReturnsLoss, class Written>
struct compiled : executor::compiled<Plan, Names, ReturnsLoss, Written> {
  // Runs on execution space instance exec, with the intermediates' buffers in ws.
  template <class Exec, class Bindings, class... Out>
  requires Kokkos::is_execution_space<Exec>::value auto operator()(Exec const& exec, Bindings const& b,
                                                                   workspace<typename Exec::memory_space>& ws,
                                                                   Out const&... out) const {
    return this->execute(detail::launch<Exec>{exec, ws}, b, out...);
  }
  // Runs on execution space instance exec; buffers for intermediates, if the plan has any, live for this call.
  template <class Exec, class Bindings, class... Out>
  requires Kokkos::is_execution_space<Exec>::value auto operator()(Exec const& exec, Bindings const& b,
                                                                   Out const&... out) const {
    return detail::with_call_workspace<Plan>(exec, [&](auto& ws) { return (*this)(exec, b, ws, out...); });
  }
  // Runs on the default instance of the bound Views' execution space.
  template <class Bindings, class... Out>
  requires(!Kokkos::is_execution_space<Bindings>::value) auto operator()(Bindings const& b, Out&&... out) const {
    using space = typename std::remove_cvref_t<decltype(std::get<0>(b.items).value)>::execution_space;
    return (*this)(space{}, b, std::forward<Out>(out)...);
  }
};

// lf::kokkos::compile(loss, lf::wrt(x...)) and compile(loss, lf::wrt(x...), lf::gradient_only), for a loss with or
// without primitives.
struct compiler {
  template <Operand Loss, class... X, class... Only>
  constexpr auto operator()(Loss const& loss, wrt_t<X...> w = {}, Only... only) const {
    using results = lossforge::detail::primitive_results_t<expression_t<Loss>>;
    if constexpr (results::size == 0) {
      return executor::compiler<compiled>{}(loss, w, only...);
    } else {
      return detail::compile_with_primitives<compiled>(loss, w, only...);
    }
  }
};
inline constexpr compiler compile{};

}  // namespace lossforge::kokkos
