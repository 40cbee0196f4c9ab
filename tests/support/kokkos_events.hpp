#pragma once
// What a piece of code asks of Kokkos, counted through Kokkos' profiling callbacks: the kernels it launches and the
// allocations it makes. The callbacks are unset again when the code returns or throws.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>

namespace lossforge::test {

namespace detail {
inline int launches = 0;
inline int allocations = 0;
inline void count_launch(char const*, std::uint32_t, std::uint64_t*) { ++launches; }
// Only lossforge's own allocations (labels "lossforge::..."), not the test's Views.
inline void count_allocation(Kokkos_Profiling_SpaceHandle, char const* label, void const*, std::uint64_t) {
  if (std::string(label).rfind("lossforge::", 0) == 0 && std::string(label).rfind("lossforge::test", 0) != 0)
    ++allocations;
}
struct unset_callbacks {
  ~unset_callbacks() {
    Kokkos::Tools::Experimental::set_begin_parallel_for_callback(nullptr);
    Kokkos::Tools::Experimental::set_begin_parallel_reduce_callback(nullptr);
    Kokkos::Tools::Experimental::set_allocate_data_callback(nullptr);
  }
};
}  // namespace detail

// The number of kernels f launches (parallel_for and parallel_reduce).
template <class F>
int kernels_launched(F const& f) {
  Kokkos::Tools::Experimental::set_begin_parallel_for_callback(detail::count_launch);
  Kokkos::Tools::Experimental::set_begin_parallel_reduce_callback(detail::count_launch);
  detail::unset_callbacks const unset;
  detail::launches = 0;
  f();
  return detail::launches;
}

// What the last kernels_launched counted, also when its code threw.
inline int launches_counted() { return detail::launches; }

// The number of allocations labelled "lossforge::" (other than the tests' "lossforge::test...") f makes.
template <class F>
int allocations_made(F const& f) {
  Kokkos::Tools::Experimental::set_allocate_data_callback(detail::count_allocation);
  detail::unset_callbacks const unset;
  detail::allocations = 0;
  f();
  return detail::allocations;
}

}  // namespace lossforge::test
