#pragma once
// What the vectorized-path tests share: the symbols, the element count that puts special values inside the blocks
// and leaves positions after the last full block on the scalar path, and the inputs they sweep.
#include <Kokkos_Core.hpp>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <lossforge/lossforge.hpp>
#include <utility>
#include <vector>

namespace lossforge::test::vector_path {
inline constexpr tensor<"p"> p;
inline constexpr tensor<"g"> g;
inline constexpr tensor<"w", 1> w;
inline constexpr int_tensor<"t", 1> t;
inline constexpr index<"i"> i;
inline constexpr int n = 53;
inline constexpr double nan_ = std::numeric_limits<double>::quiet_NaN();
inline constexpr double inf_ = std::numeric_limits<double>::infinity();

inline std::vector<double> sweep(double lo, double hi, int seed) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) v[std::size_t(k)] = lo + (hi - lo) * (0.5 + 0.5 * std::sin(1.3 * k + seed));
  return v;
}
// The sweep with values placed at given positions.
inline std::vector<double> with(std::vector<double> v, std::initializer_list<std::pair<int, double>> placed) {
  for (auto [k, value] : placed) v[std::size_t(k)] = value;
  return v;
}

template <class T, class Layout = Kokkos::LayoutRight>
Kokkos::View<T*, Layout, Kokkos::HostSpace> device_copy(std::vector<double> const& v) {
  Kokkos::View<T*, Layout, Kokkos::HostSpace> out("lossforge::test::input", v.size());
  for (std::size_t k = 0; k < v.size(); ++k) out(k) = T(v[k]);
  return out;
}

}  // namespace lossforge::test::vector_path
