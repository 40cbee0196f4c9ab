#pragma once
// SSIM (Wang et al. 2004) as a primitive, so that it goes inside a loss with other terms in one call:
//
//   ssim_map<Options>(x, y)    [N, C, H', W']  the structural similarity of each channel's window positions
//   ssim_loss<Options>(x, y)   1 - mean(ssim_map(x, y))
//
// x and y [N, C, H, W]; H' x W' is (H - K + 1) x (W - K + 1) with valid windows, H x W with zero padding. The options
// (window size K, sigma, K1, K2, data range, padding) are a template argument: `ssim_loss<{.window_size = 7}>(x, y)`.
// The map's forward and vector-Jacobian product are the Kokkos backend's SSIM passes (kokkos/ssim.hpp), which also
// compute the loss alone (lf::kokkos::ssim_loss); both arguments are differentiable (SSIM is symmetric).
#include <any>
#include <array>
#include <cstddef>

#include <lossforge/dsl/primitive.hpp>
#include <lossforge/dsl/reductions.hpp>

namespace lossforge::losses {

enum class ssim_padding { valid, zero };

struct ssim_options {
  int window_size = 11;  // K, odd
  double sigma = 1.5;
  double k1 = 0.01, k2 = 0.03;
  double data_range = 1.0;  // L: the difference between the largest and smallest value a pixel can take
  ssim_padding padding = ssim_padding::valid;
  friend constexpr bool operator==(ssim_options const&, ssim_options const&) = default;
};

template <ssim_options Options>
struct ssim_map_impl {
  static_assert(Options.window_size >= 1 && Options.window_size % 2 == 1,
                "lossforge: the SSIM window size is odd and positive");
  static_assert(Options.sigma > 0 && Options.data_range > 0, "lossforge: SSIM's sigma and data_range are positive");
  static_assert(Options.k1 >= 0 && Options.k2 >= 0, "lossforge: SSIM's K1 and K2 are non-negative");
  static constexpr fixed_string name = "ssim_map";
  static constexpr int rank = 4;
  template <class X, class Y>
  std::array<std::size_t, 4> extents(X const& x, Y const& y) const;
  template <class Exec, class X, class Y, class Result>
  void forward(Exec const& exec, X const& x, Y const& y, Result const& result);
  template <class Exec, class Upstream, class X, class Y, class DX, class DY>
  void vjp(Exec const& exec, Upstream const& upstream, X const& x, Y const& y, DX const& dx, DY const& dy);
  // The forward's five window moments at each position (a View of the backend's), from which the vjp's partials are.
  std::any kept_moments;
};
template <ssim_options Options = ssim_options{}>
inline constexpr primitive<ssim_map_impl<Options>> ssim_map{};

template <ssim_options Options = ssim_options{}, TensorSymbol X, TensorSymbol Y>
constexpr auto ssim_loss(X const& x, Y const& y) {
  static_assert(X::rank == 4 && Y::rank == 4, "lossforge: ssim_loss takes images [N, C, H, W]");
  return c<1> - lossforge::mean(ssim_map<Options>(x, y));
}

}  // namespace lossforge::losses
