#pragma once
// lf::kokkos::ssim_loss: 1 - the mean structural similarity (Wang et al. 2004) of two batches of images, with the
// gradient with respect to the first.
//
//   double loss = lf::kokkos::ssim_loss(exec, x, y, grad_x);
//   double loss = lf::kokkos::ssim_loss(exec, x, y, grad_x, {.window_size = 7, .data_range = 255.0});
//   double loss = lf::kokkos::ssim_loss(exec, x, y);  // the value only
//
// x, y and grad_x [N, C, H, W]. Each channel of each image is compared with the same channel of the other by local
// statistics under a Gaussian window w = g g^T, g_k = exp(-(k - r)^2 / (2 sigma^2)) normalized to sum 1, k = 0 .. K -
// 1, r = (K - 1) / 2: mu_x = w * x, mu_y = w * y, s_xx = w * x^2 - mu_x^2, s_yy = w * y^2 - mu_y^2, s_xy = w * xy -
// mu_x mu_y (* a 2-D correlation), and
//   SSIM = (2 mu_x mu_y + C1) (2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1) (s_xx + s_yy + C2)),
// C1 = (K1 L)^2, C2 = (K2 L)^2, L = data_range; the loss is 1 - the mean of SSIM over N, C and every window position.
// Padding valid (the default): a window lies inside the image, (H - K + 1) x (W - K + 1) positions, an image smaller
// than the window is an error; zero: the image is padded with K / 2 zeros on each side, H x W positions centred on the
// pixels (as F.conv2d(..., padding=K // 2)). SSIM is symmetric in x and y: ssim_loss(exec, y, x, grad_y) gives the
// gradient with respect to y.
//
// The window is separable, so each correlation is a pass along rows and one along columns (2 K reads per position,
// not K^2). The gradient is in pull form: each pixel gathers from the window positions that contain it, with bounds
// checks and without atomics. Three kernels: rows of the five products; columns with the SSIM map and its three
// partial derivatives per position; those partials back along columns and rows into grad_x, one row at a time.
// Statistics, partials and sums are in double whatever the Views' precision (their cancellation, w * x^2 - mu_x^2, is
// where float would lose the digits); scratch is five double planes of row sums (H x out_width) and, with the gradient,
// three of partials (out_height x out_width) per image plane.
//
// The same kernels are the forward (the map, two kernels) and the vector-Jacobian product (three kernels per
// differentiated argument, the partials weighted by the upstream gradient) of the catalogue's primitive
// lf::losses::ssim_map, defined at the end of this file.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <lossforge/backends/shape.hpp>
#include <lossforge/config.hpp>
#include <lossforge/config/kokkos_compat.hpp>
#include <lossforge/losses/ssim.hpp>

namespace lossforge::kokkos {

using losses::ssim_options;
using losses::ssim_padding;

namespace detail {

// Where the windows of one image plane lie: output position i reads input rows i + k - pad, k in [0, K).
struct ssim_geometry {
  std::int64_t planes, channels, height, width, out_height, out_width;
  int window, pad;
};

// Checks the images and the options, and places the windows.
template <class X, class Y>
ssim_geometry ssim_geometry_of(X const& x, Y const& y, ssim_options const& o) {
  static_assert(int(X::rank) == 4 && int(Y::rank) == 4,
                "lossforge::ssim_loss: images are Views of rank 4, [N, C, H, W]");
  auto fail = [](std::string const& what) { throw std::invalid_argument("lossforge::ssim_loss: " + what); };
  for (std::size_t d = 0; d < 4; ++d)
    if (y.extent(d) != x.extent(d))
      fail("y has shape " + shape_string(shape_of(y)) + " but x has " + shape_string(shape_of(x)));
  int const K = o.window_size;
  if (K < 1 || K % 2 == 0) fail("window_size " + std::to_string(K) + " must be odd and positive");
  if (!(o.sigma > 0) || !std::isfinite(o.sigma)) fail("sigma " + std::to_string(o.sigma) + " must be positive");
  if (!(o.data_range > 0) || !std::isfinite(o.data_range))
    fail("data_range " + std::to_string(o.data_range) + " must be positive");
  if (!(o.k1 >= 0) || !(o.k2 >= 0) || !std::isfinite(o.k1) || !std::isfinite(o.k2))
    fail("K1 " + std::to_string(o.k1) + " and K2 " + std::to_string(o.k2) + " must be non-negative");
  auto const N = std::int64_t(x.extent(0)), C = std::int64_t(x.extent(1)), H = std::int64_t(x.extent(2)),
             W = std::int64_t(x.extent(3));
  bool const valid = o.padding == ssim_padding::valid;
  if (valid && (H < K || W < K))
    fail("the images " + shape_string(shape_of(x)) + " are smaller than the " + std::to_string(K) + " x " +
         std::to_string(K) + " window: valid windows need H and W of at least " + std::to_string(K) +
         " (ssim_padding::zero pads them)");
  return {N * C, C, H, W, valid ? H - K + 1 : H, valid ? W - K + 1 : W, K, valid ? 0 : K / 2};
}

// The weight of each position's SSIM in what is differentiated: the same everywhere (the loss's -1 / positions), or
// the upstream gradient of the map at that position (the primitive's vector-Jacobian product).
struct ssim_uniform_weight {
  double value;
  KOKKOS_INLINE_FUNCTION double operator()(std::int64_t, std::int64_t, std::int64_t, std::int64_t) const {
    return value;
  }
};
template <class Upstream>
struct ssim_upstream_weight {
  Upstream upstream;
  KOKKOS_INLINE_FUNCTION double operator()(std::int64_t n, std::int64_t c, std::int64_t i, std::int64_t j) const {
    return double(upstream(n, c, i, j));
  }
};

// What a run writes besides the sum of the map: the map itself (where map is not empty), and the gradient of the sum
// of weight * SSIM with respect to x, written over or added into grad.
enum class ssim_gradient { none, write, add };

template <class Exec>
using ssim_planes = Kokkos::View<double****, Kokkos::LayoutRight, typename Exec::memory_space>;

template <class X, class Y, class Map, class Weight, class Grad, class Exec>
double run_ssim(Exec const& exec, X const& x, Y const& y, ssim_options const& o, Map const& map, Weight const& weight,
                Grad const& grad, ssim_gradient gradient) {
  static_assert(int(Map::rank) == 4 && int(Grad::rank) == 4,
                "lossforge::ssim_loss: the map and the gradient are Views of rank 4, [N, C, H, W]");
  ssim_geometry const g = ssim_geometry_of(x, y, o);
  bool const with_gradient = gradient != ssim_gradient::none, add = gradient == ssim_gradient::add;
  for (std::size_t d = 0; d < 4 && with_gradient; ++d)
    if (grad.extent(d) != x.extent(d))
      throw std::invalid_argument("lossforge::ssim_loss: grad_x has shape " + shape_string(shape_of(grad)) +
                                  " but x has " + shape_string(shape_of(x)));
  int const K = g.window;
  std::int64_t const H = g.height;

  std::vector<double> gauss(std::size_t(K), 0.0);
  double total = 0;
  for (int k = 0; k < K; ++k) {
    double const d = double(k - (K - 1) / 2);
    total += gauss[std::size_t(k)] = std::exp(-d * d / (2 * o.sigma * o.sigma));
  }
  Kokkos::View<double*, typename Exec::memory_space> const weights(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::ssim::window"), std::size_t(K));
  auto const host_weights = Kokkos::create_mirror_view(weights);
  for (int k = 0; k < K; ++k) host_weights(k) = gauss[std::size_t(k)] / total;
  Kokkos::deep_copy(exec, weights, host_weights);

  // Five planes of row sums [planes, H, out_width]: x, y, x^2, y^2, xy; their first three later hold the partials
  // summed back along columns. Three planes [planes, out_height, out_width] hold the weighted partials of SSIM with
  // respect to mu_x, w * xy and w * x^2 at each position.
  ssim_planes<Exec> const rows(Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::ssim::rows"), 5,
                               std::size_t(g.planes), std::size_t(H), std::size_t(g.out_width));
  ssim_planes<Exec> const partials(Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::ssim::partials"),
                                   with_gradient ? 3 : 0, std::size_t(g.planes), std::size_t(g.out_height),
                                   std::size_t(g.out_width));
  using policy = Kokkos::RangePolicy<Exec, Kokkos::IndexType<std::int64_t>>;

  // One work item per row of an image plane, its columns in an inner loop (contiguous, and vectorized where the window
  // offset is the outer loop).
  std::int64_t const plane_rows = g.planes * H, plane_out_rows = g.planes * g.out_height;
  Kokkos::parallel_for(
      "lossforge::ssim_loss::rows", policy(exec, 0, plane_rows), KOKKOS_LAMBDA(std::int64_t e) {
        std::int64_t const h = e % g.height, p = e / g.height, n = p / g.channels, c = p % g.channels;
        for (int q = 0; q < 5; ++q)
          for (std::int64_t j = 0; j < g.out_width; ++j) rows(q, p, h, j) = 0;
        for (int k = 0; k < g.window; ++k) {
          double const wk = weights(k);
          // Output column j reads input column j + k - pad: those inside the image.
          std::int64_t const first = g.pad - k > 0 ? g.pad - k : 0;
          std::int64_t const last = g.width + g.pad - k < g.out_width ? g.width + g.pad - k : g.out_width;
          for (std::int64_t j = first; j < last; ++j) {
            double const a = double(x(n, c, h, j + k - g.pad)), b = double(y(n, c, h, j + k - g.pad));
            rows(0, p, h, j) += wk * a, rows(1, p, h, j) += wk * b, rows(2, p, h, j) += wk * a * a;
            rows(3, p, h, j) += wk * b * b, rows(4, p, h, j) += wk * a * b;
          }
        }
      });

  double const c1 = (o.k1 * o.data_range) * (o.k1 * o.data_range), c2 = (o.k2 * o.data_range) * (o.k2 * o.data_range);
  bool const write_map = map.data() != nullptr;
  double ssim_sum = 0;
  Kokkos::parallel_reduce(
      "lossforge::ssim_loss::columns", policy(exec, 0, plane_out_rows),
      KOKKOS_LAMBDA(std::int64_t e, double& sum) {
        std::int64_t const i = e % g.out_height, p = e / g.out_height, n = p / g.channels, c = p % g.channels;
        for (std::int64_t j = 0; j < g.out_width; ++j) {
          double m[5] = {0, 0, 0, 0, 0};
          for (int k = 0; k < g.window; ++k) {
            std::int64_t const row = i + k - g.pad;
            if (row < 0 || row >= g.height) continue;
            for (int q = 0; q < 5; ++q) m[q] += weights(k) * rows(q, p, row, j);
          }
          double const mx = m[0], my = m[1], sxx = m[2] - mx * mx, syy = m[3] - my * my, sxy = m[4] - mx * my;
          double const a1 = 2 * mx * my + c1, a2 = 2 * sxy + c2, b1 = mx * mx + my * my + c1, b2 = sxx + syy + c2;
          double const ssim = a1 * a2 / (b1 * b2);
          sum += ssim;
          if (write_map) map(n, c, i, j) = typename Map::value_type(ssim);
          if (partials.extent(0) == 0) continue;
          // s_xx = w * x^2 - mu_x^2 and s_xy = w * xy - mu_x mu_y: mu_x reaches SSIM through all four factors. Written
          // without dividing by a1 or a2, which are 0 where K1 or K2 is (a black window, a constant one).
          double const denominator = b1 * b2, d_ssim = weight(n, c, i, j);
          partials(0, p, i, j) = d_ssim * (2 * my * (a2 - a1) / denominator - 2 * mx * ssim * (1 / b1 - 1 / b2));
          partials(1, p, i, j) = d_ssim * 2 * a1 / denominator;
          partials(2, p, i, j) = d_ssim * -ssim / b2;
        }
      },
      ssim_sum);

  if (with_gradient) {
    // One input row r per work item: first back along columns into that row's first three planes of row sums (output
    // row i = r - k + pad read row r through weight k), then back along the row, and through the products: d/dx of
    // (w * x, w * xy, w * x^2) is (1, y, 2 x) under the window.
    Kokkos::parallel_for(
        "lossforge::ssim_loss::gradient", policy(exec, 0, plane_rows), KOKKOS_LAMBDA(std::int64_t e) {
          std::int64_t const r = e % g.height, p = e / g.height, n = p / g.channels, c = p % g.channels;
          for (int q = 0; q < 3; ++q)
            for (std::int64_t j = 0; j < g.out_width; ++j) rows(q, p, r, j) = 0;
          for (int k = 0; k < g.window; ++k) {
            std::int64_t const i = r - k + g.pad;
            if (i < 0 || i >= g.out_height) continue;
            double const wk = weights(k);
            for (int q = 0; q < 3; ++q)
              for (std::int64_t j = 0; j < g.out_width; ++j) rows(q, p, r, j) += wk * partials(q, p, i, j);
          }
          for (std::int64_t col = 0; col < g.width; ++col) {
            double d[3] = {0, 0, 0};
            for (int k = 0; k < g.window; ++k) {
              std::int64_t const j = col - k + g.pad;
              if (j < 0 || j >= g.out_width) continue;
              for (int q = 0; q < 3; ++q) d[q] += weights(k) * rows(q, p, r, j);
            }
            double const before = add ? double(grad(n, c, r, col)) : 0.0;
            grad(n, c, r, col) = typename Grad::value_type(before + d[0] + d[1] * double(y(n, c, r, col)) +
                                                           2 * d[2] * double(x(n, c, r, col)));
          }
        });
  }
  exec.fence();  // the scratch Views are freed on return
  return ssim_sum;
}

template <class Exec>
using no_ssim_view = Kokkos::View<double****, typename Exec::memory_space>;

// 1 - mean SSIM, and its gradient with respect to x into grad where asked.
template <class X, class Y, class Grad, class Exec>
double ssim_loss(Exec const& exec, X const& x, Y const& y, Grad const& grad, ssim_gradient gradient,
                 ssim_options const& o) {
  ssim_geometry const g = ssim_geometry_of(x, y, o);
  double const positions = double(g.planes * g.out_height * g.out_width);
  double const sum =
      run_ssim(exec, x, y, o, no_ssim_view<Exec>{}, ssim_uniform_weight{-1.0 / positions}, grad, gradient);
  return 1.0 - sum / positions;
}
}  // namespace detail

// The loss (returned) and its gradient with respect to x into grad_x.
template <class Exec, class X, class Y, class Grad>
requires Kokkos::is_execution_space<Exec>::value double ssim_loss(Exec const& exec, X const& x, Y const& y,
                                                                  Grad const& grad_x,
                                                                  ssim_options const& options = {}) {
  return detail::ssim_loss(exec, x, y, grad_x, detail::ssim_gradient::write, options);
}

// The loss only.
template <class Exec, class X, class Y>
requires Kokkos::is_execution_space<Exec>::value double ssim_loss(Exec const& exec, X const& x, Y const& y,
                                                                  ssim_options const& options = {}) {
  return detail::ssim_loss(exec, x, y, detail::no_ssim_view<Exec>{}, detail::ssim_gradient::none, options);
}

}  // namespace lossforge::kokkos

// The SSIM map as a primitive of the catalogue (losses/ssim.hpp).
namespace lossforge::losses {

template <ssim_options Options>
template <class X, class Y>
std::array<std::size_t, 4> ssim_map_impl<Options>::extents(X const& x, Y const& y) const {
  auto const g = kokkos::detail::ssim_geometry_of(x, y, Options);
  return {x.extent(0), x.extent(1), std::size_t(g.out_height), std::size_t(g.out_width)};
}

template <ssim_options Options>
template <class Exec, class X, class Y, class Result>
void ssim_map_impl<Options>::forward(Exec const& exec, X const& x, Y const& y, Result const& result) const {
  kokkos::detail::run_ssim(exec, x, y, Options, result, kokkos::detail::ssim_uniform_weight{0},
                           kokkos::detail::no_ssim_view<Exec>{}, kokkos::detail::ssim_gradient::none);
}

// SSIM is symmetric in x and y, so y's part is x's with the two swapped.
template <ssim_options Options>
template <class Exec, class Upstream, class X, class Y, class DX, class DY>
void ssim_map_impl<Options>::vjp(Exec const& exec, Upstream const& upstream, X const& x, Y const& y, DX const& dx,
                                 DY const& dy) const {
  kokkos::detail::ssim_upstream_weight<Upstream> const weight{upstream};
  if (dx.data() != nullptr)
    kokkos::detail::run_ssim(exec, x, y, Options, kokkos::detail::no_ssim_view<Exec>{}, weight, dx,
                             kokkos::detail::ssim_gradient::add);
  if (dy.data() != nullptr)
    kokkos::detail::run_ssim(exec, y, x, Options, kokkos::detail::no_ssim_view<Exec>{}, weight, dy,
                             kokkos::detail::ssim_gradient::add);
}

}  // namespace lossforge::losses
