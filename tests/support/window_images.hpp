#pragma once
// Batches of images for the windows tests: the tensors a and b [N, C, H, W] with their indices n, ch, h, c and the
// window offsets u, v; two smooth image sets with values in (0.1, 0.9), a normalized Gaussian-like K x L window k, and
// a copy into a Kokkos View. The loop oracle of a loss over them lives with the test that checks it.
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstddef>
#include <lossforge/lossforge.hpp>
#include <vector>

namespace lossforge::test {

namespace image_symbols {
inline constexpr tensor<"a", 4> a;
inline constexpr tensor<"b", 4> b;
inline constexpr index<"n"> n;
inline constexpr index<"ch"> ch;
inline constexpr index<"h"> h;
inline constexpr index<"c"> c;
inline constexpr window_index<"u"> u;
inline constexpr window_index<"v"> v;
}  // namespace image_symbols

struct image_set {
  int N, C, H, W, K, L;
  std::vector<double> a, b, k;
  double at(std::vector<double> const& t, int i, int j, int r, int s) const { return t[((i * C + j) * H + r) * W + s]; }
};

template <class T>
using images = Kokkos::View<T****, Kokkos::LayoutRight, Kokkos::HostSpace>;

inline image_set make_images(int N, int C, int H, int W, int K, int L) {
  image_set s{N, C, H, W, K, L, {}, {}, {}};
  for (int e = 0; e < N * C * H * W; ++e) {
    s.a.push_back(0.5 + 0.4 * std::sin(0.37 * e));
    s.b.push_back(0.5 + 0.4 * std::cos(0.23 * e + 1));
  }
  auto const bump = [&](int p, int q) {
    return std::exp(-0.3 * ((p - K / 2) * (p - K / 2) + (q - L / 2) * (q - L / 2)));
  };
  double total = 0;
  for (int p = 0; p < K; ++p)
    for (int q = 0; q < L; ++q) total += bump(p, q);
  for (int p = 0; p < K; ++p)
    for (int q = 0; q < L; ++q) s.k.push_back(bump(p, q) / total);
  return s;
}

template <class T>
images<T> image_view(std::vector<double> const& values, image_set const& s) {
  images<T> out("lossforge::test::images", std::size_t(s.N), std::size_t(s.C), std::size_t(s.H), std::size_t(s.W));
  for (std::size_t e = 0; e < values.size(); ++e) out.data()[e] = T(values[e]);
  return out;
}

}  // namespace lossforge::test
