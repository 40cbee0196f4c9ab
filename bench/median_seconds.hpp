#pragma once
// The benchmarks' clock: the median of several timed runs after one untimed warm-up run.
#include <algorithm>
#include <chrono>
#include <vector>

namespace lossforge::bench {

template <class F>
double median_seconds(F const& f, int repetitions) {
  f();  // warm-up: page faults, caches, a workspace's first allocation
  std::vector<double> times;
  for (int r = 0; r < repetitions; ++r) {
    auto const start = std::chrono::steady_clock::now();
    f();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace lossforge::bench
