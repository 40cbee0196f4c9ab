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
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <lossforge/backends/shape.hpp>
#include <lossforge/config.hpp>
#include <lossforge/config/kokkos_compat.hpp>

namespace lossforge::kokkos {

enum class ssim_padding { valid, zero };

struct ssim_options {
  int window_size = 11;  // K, odd
  double sigma = 1.5;
  double k1 = 0.01, k2 = 0.03;
  double data_range = 1.0;  // L: the difference between the largest and smallest value a pixel can take
  ssim_padding padding = ssim_padding::valid;
};

namespace detail {

// Where the windows of one image plane lie: output position i reads input rows i + k - pad, k in [0, K).
struct ssim_geometry {
  std::int64_t planes, channels, height, width, out_height, out_width;
  int window, pad;
};

template <class Exec>
using ssim_planes = Kokkos::View<double****, Kokkos::LayoutRight, typename Exec::memory_space>;

template <class X, class Y, class Grad, class Exec>
double run_ssim(Exec const& exec, X const& x, Y const& y, Grad const& grad, bool with_gradient, ssim_options const& o) {
  static_assert(int(X::rank) == 4 && int(Y::rank) == 4 && int(Grad::rank) == 4,
                "lossforge::ssim_loss: images and their gradient are Views of rank 4, [N, C, H, W]");
  auto shape = [](auto const& v) { return shape_string(shape_of(v)); };
  auto fail = [](std::string const& what) { throw std::invalid_argument("lossforge::ssim_loss: " + what); };
  for (std::size_t d = 0; d < 4; ++d) {
    if (y.extent(d) != x.extent(d)) fail("y has shape " + shape(y) + " but x has " + shape(x));
    if (with_gradient && grad.extent(d) != x.extent(d))
      fail("grad_x has shape " + shape(grad) + " but x has " + shape(x));
  }
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
    fail("the images " + shape(x) + " are smaller than the " + std::to_string(K) + " x " + std::to_string(K) +
         " window: valid windows need H and W of at least " + std::to_string(K) + " (ssim_padding::zero pads them)");
  ssim_geometry const g{N * C, C, H, W, valid ? H - K + 1 : H, valid ? W - K + 1 : W, K, valid ? 0 : K / 2};

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
  // summed back along columns. Three planes [planes, out_height, out_width] hold the loss's partials with respect to
  // mu_x, w * xy and w * x^2 at each position.
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
  double const positions = double(g.planes * g.out_height * g.out_width);
  double const d_loss = -1.0 / positions;  // d loss / d SSIM at each position
  double ssim_sum = 0;
  Kokkos::parallel_reduce(
      "lossforge::ssim_loss::columns", policy(exec, 0, plane_out_rows),
      KOKKOS_LAMBDA(std::int64_t e, double& sum) {
        std::int64_t const i = e % g.out_height, p = e / g.out_height;
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
          if (partials.extent(0) == 0) continue;
          // s_xx = w * x^2 - mu_x^2 and s_xy = w * xy - mu_x mu_y: mu_x reaches SSIM through all four factors. Written
          // without dividing by a1 or a2, which are 0 where K1 or K2 is (a black window, a constant one).
          double const denominator = b1 * b2;
          partials(0, p, i, j) = d_loss * (2 * my * (a2 - a1) / denominator - 2 * mx * ssim * (1 / b1 - 1 / b2));
          partials(1, p, i, j) = d_loss * 2 * a1 / denominator;
          partials(2, p, i, j) = d_loss * -ssim / b2;
        }
      },
      ssim_sum);
  if (!with_gradient) return 1.0 - ssim_sum / positions;

  // The gradient, one input row r per work item: first back along columns into that row's first three planes of row
  // sums (output row i = r - k + pad read row r through weight k), then back along the row, and through the products:
  // d/dx of (w * x, w * xy, w * x^2) is (1, y, 2 x) under the window.
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
          grad(n, c, r, col) =
              typename Grad::value_type(d[0] + d[1] * double(y(n, c, r, col)) + 2 * d[2] * double(x(n, c, r, col)));
        }
      });
  exec.fence();  // the scratch Views are freed on return
  return 1.0 - ssim_sum / positions;
}
}  // namespace detail

// The loss (returned) and its gradient with respect to x into grad_x.
template <class Exec, class X, class Y, class Grad>
requires Kokkos::is_execution_space<Exec>::value double ssim_loss(Exec const& exec, X const& x, Y const& y,
                                                                  Grad const& grad_x,
                                                                  ssim_options const& options = {}) {
  return detail::run_ssim(exec, x, y, grad_x, true, options);
}

// The loss only.
template <class Exec, class X, class Y>
requires Kokkos::is_execution_space<Exec>::value double ssim_loss(Exec const& exec, X const& x, Y const& y,
                                                                  ssim_options const& options = {}) {
  return detail::run_ssim(exec, x, y, Kokkos::View<double****, typename Exec::memory_space>{}, false, options);
}

}  // namespace lossforge::kokkos
