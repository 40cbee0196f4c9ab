#pragma once
// The one place that knows which Kokkos it is built against (3.4 through 5.x). No other file tests KOKKOS_VERSION.
#include <string_view>

#include <Kokkos_Core.hpp>

namespace lossforge::kokkos_compat {

// Math functions moved from Kokkos::Experimental to Kokkos in 3.7; the Experimental spellings were deleted in 4.3.
#if KOKKOS_VERSION >= 30700
namespace kmath = ::Kokkos;
#else
namespace kmath = ::Kokkos::Experimental;
#endif

}  // namespace lossforge::kokkos_compat

// The qualifier of a reduction functor's join() arguments: Kokkos 3.x calls join on volatile references, 4.x on
// plain ones (and deprecates the volatile form).
#if KOKKOS_VERSION >= 40000
#define LOSSFORGE_KOKKOS_JOIN_QUALIFIER
#else
#define LOSSFORGE_KOKKOS_JOIN_QUALIFIER volatile
#endif

// Kokkos 4.x names an unlabelled kernel after its functor's type, spelled into a constant at compile time
// (Kokkos::Impl::TypeInfo) for every kernel, labelled or not. A lossforge functor's type holds its whole expression,
// some 100 KB of spelling, and that constant was up to a third of the compile time of a loss. lossforge labels every
// launch, so the spelling is never read: it is replaced by a fixed one.
#ifdef KOKKOS_ENABLE_IMPL_TYPEINFO
namespace lossforge::kokkos::detail {
template <class Functor>
struct reducer;
}  // namespace lossforge::kokkos::detail

namespace Kokkos::Impl {
template <class Functor>
class TypeInfo<lossforge::kokkos::detail::reducer<Functor>> {
 public:
  static constexpr std::string_view name() noexcept { return "lossforge::kernel"; }
};
// The functor combined with its reducer, as parallel_reduce names it.
template <template <class...> class Combined, class Functor, class... Reducer>
class TypeInfo<Combined<lossforge::kokkos::detail::reducer<Functor>, Reducer...>> {
 public:
  static constexpr std::string_view name() noexcept { return "lossforge::kernel"; }
};
}  // namespace Kokkos::Impl
#endif
