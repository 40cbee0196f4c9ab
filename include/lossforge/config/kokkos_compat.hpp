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

// Labeled fences arrived in 3.5.
template <class ExecutionSpace>
void fence(ExecutionSpace const& space, [[maybe_unused]] char const* label) {
#if KOKKOS_VERSION >= 30500
  space.fence(label);
#else
  space.fence();
#endif
}

// Profiling::ScopedRegion arrived in 4.1; push/pop exists in every supported version.
struct region {
  explicit region(char const* label) { Kokkos::Profiling::pushRegion(label); }
  ~region() { Kokkos::Profiling::popRegion(); }
  region(region const&) = delete;
  region& operator=(region const&) = delete;
};

inline bool kokkos_alive() {
#if KOKKOS_VERSION >= 30700
  return Kokkos::is_initialized() && !Kokkos::is_finalized();
#else
  return Kokkos::is_initialized();
#endif
}

}  // namespace lossforge::kokkos_compat
