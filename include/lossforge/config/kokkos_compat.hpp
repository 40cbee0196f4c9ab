#pragma once
// The one place that knows which Kokkos it is built against (3.4 through 5.x). No other file tests KOKKOS_VERSION.
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
