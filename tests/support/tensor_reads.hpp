#pragma once
// Counts every tensor element a kernel reads: include this before the first lossforge header of a test file, in an
// executable whose every file does the same. The cost-law tests compare the count with what one evaluation of the
// loss costs.
#include <atomic>
#include <cstdint>

namespace lossforge::test {
inline std::atomic<std::int64_t> tensor_reads{0};

// The reads f makes.
template <class F>
double reads_of(F const& f) {
  tensor_reads = 0;
  f();
  return double(tensor_reads.load());
}
}  // namespace lossforge::test

#define LOSSFORGE_COUNT_TENSOR_READS(n) (::lossforge::test::tensor_reads.fetch_add((n), std::memory_order_relaxed))
