#pragma once
// The buffers a compiled kernel keeps between calls, and the data type of a View of a given rank, which a plan's
// buffers and a primitive's results are.
#include <cstddef>
#include <string>
#include <vector>

#include <lossforge/config/kokkos_compat.hpp>

namespace lossforge::kokkos {

// Buffers for a plan's intermediates (the per-class sums of a Dice gradient, a similarity matrix): pass one to a
// compiled kernel and every call reuses them, allocating only when a call needs more than an earlier one did.
// Without one, each call allocates its buffers and frees them (after a fence) before it returns. A workspace serves
// one call at a time: a call that returns before its kernels finish (per-element outputs, an asynchronous execution
// space) must be fenced before the workspace is used by another execution space instance.
template <class MemorySpace = Kokkos::HostSpace>
class workspace {
 public:
  using memory_space = MemorySpace;
  // At least size doubles for intermediate number k (from 1).
  double* buffer(int k, std::size_t size) {
    if (buffers_.size() < std::size_t(k)) buffers_.resize(std::size_t(k));
    auto& b = buffers_[std::size_t(k) - 1];
    if (b.extent(0) < size) {
      if (b.extent(0) != 0) Kokkos::fence();  // kernels of an earlier call may still read the buffer it replaces
      b = Kokkos::View<double*, MemorySpace>(
          Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::intermediate" + std::to_string(k)), size);
    }
    return b.data();
  }

 private:
  std::vector<Kokkos::View<double*, MemorySpace>> buffers_;
};

namespace detail {
// The data type of a View of rank Rank (T*, T**, ...): the intermediates' buffers, a primitive's results.
template <class T, std::size_t Rank>
struct pointer_of_rank {
  using type = typename pointer_of_rank<T, Rank - 1>::type*;
};
template <class T>
struct pointer_of_rank<T, 0> {
  using type = T;
};
}  // namespace detail

}  // namespace lossforge::kokkos
