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
