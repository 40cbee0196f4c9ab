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
// The same passes are the forward and the vector-Jacobian product of the catalogue's primitive lf::losses::ssim_map,
// defined at the end of this file: the forward runs rows and columns, writing the map and keeping each position's
// five window moments (five double planes, out_height x out_width); the vjp computes the partials weighted by the
// upstream gradient from them, pointwise, then runs the gradient kernel for each differentiated image.
#include <any>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <lossforge/backends/kokkos/plane_rows.hpp>
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
  std::int64_t images, planes, channels, height, width, out_height, out_width;
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
  return {N, N * C, C, H, W, valid ? H - K + 1 : H, valid ? W - K + 1 : W, K, valid ? 0 : K / 2};
}

// SSIM at a position from its five window moments m = (mu_x, mu_y, w * x^2, w * y^2, w * xy), and its partial
// derivatives there with respect to mu_x, w * xy and w * x^2, scaled by weight (d loss / d SSIM at the position).
struct ssim_formula {
  double c1, c2;
  KOKKOS_INLINE_FUNCTION double value(double const (&m)[5]) const {
    double const mx = m[0], my = m[1], sxx = m[2] - mx * mx, syy = m[3] - my * my, sxy = m[4] - mx * my;
    return (2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
  }
  // s_xx = w * x^2 - mu_x^2 and s_xy = w * xy - mu_x mu_y: mu_x reaches SSIM through all four factors. Written without
  // dividing by a1 or a2, which are 0 where K1 or K2 is (a black window, a constant one).
  KOKKOS_INLINE_FUNCTION void partials(double const (&m)[5], double weight, double (&d)[3]) const {
    double const mx = m[0], my = m[1], sxx = m[2] - mx * mx, syy = m[3] - my * my, sxy = m[4] - mx * my;
    double const a1 = 2 * mx * my + c1, a2 = 2 * sxy + c2, b1 = mx * mx + my * my + c1, b2 = sxx + syy + c2;
    double const denominator = b1 * b2, ssim = a1 * a2 / denominator;
    d[0] = weight * (2 * my * (a2 - a1) / denominator - 2 * mx * ssim * (1 / b1 - 1 / b2));
    d[1] = weight * 2 * a1 / denominator;
    d[2] = weight * -ssim / b2;
  }
};

template <class Exec>
using ssim_planes = Kokkos::View<double****, Kokkos::LayoutRight, typename Exec::memory_space>;
template <class Exec>
using no_ssim_view = Kokkos::View<double****, typename Exec::memory_space>;

// The passes over the windows of two batches of images x and y, each a kernel parallel over the rows of every image
// plane, one work item per row with its columns in an inner loop (contiguous, and vectorized where the window offset
// is the outer loop).
template <class Exec>
struct ssim_passes {
  using policy = Kokkos::RangePolicy<Exec, Kokkos::IndexType<std::int64_t>>;
  Exec exec;
  ssim_geometry g;
  ssim_formula formula;
  Kokkos::View<double*, typename Exec::memory_space> weights;  // the normalized Gaussian, K taps

  template <class X, class Y>
  ssim_passes(Exec const& e, X const& x, Y const& y, ssim_options const& o)
      : exec(e),
        g(ssim_geometry_of(x, y, o)),
        formula{(o.k1 * o.data_range) * (o.k1 * o.data_range), (o.k2 * o.data_range) * (o.k2 * o.data_range)},
        weights(Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::ssim::window"),
                std::size_t(o.window_size)) {
    int const K = g.window;
    std::vector<double> gauss(std::size_t(K), 0.0);
    double total = 0;
    for (int k = 0; k < K; ++k) {
      double const d = double(k - (K - 1) / 2);
      total += gauss[std::size_t(k)] = std::exp(-d * d / (2 * o.sigma * o.sigma));
    }
    auto const host_weights = Kokkos::create_mirror_view(weights);
    for (int k = 0; k < K; ++k) host_weights(k) = gauss[std::size_t(k)] / total;
    Kokkos::deep_copy(exec, weights, host_weights);
  }

  std::int64_t positions() const { return g.planes * g.out_height * g.out_width; }
  // Planes [count, image planes, rows, columns] of double scratch.
  ssim_planes<Exec> planes(char const* label, int count, std::int64_t rows, std::int64_t columns) const {
    return ssim_planes<Exec>(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), std::size_t(count),
                             std::size_t(g.planes), std::size_t(rows), std::size_t(columns));
  }

  // f(p, n, c, r) for each row r < rows of each image plane p = (n, c), one work item each.
  template <class F>
  void each_plane_row(char const* label, std::int64_t rows, F const& f) const {
    std::int64_t const channels = g.channels;
    for_each_plane_row(
        exec, label, g.images, channels, rows,
        KOKKOS_LAMBDA(std::int64_t n, std::int64_t c, std::int64_t r) { f(n * channels + c, n, c, r); });
  }

  // Along rows: the window sums of x, y, x^2, y^2 and xy in each row [5, planes, H, out_width].
  template <class X, class Y>
  ssim_planes<Exec> rows(X const& x, Y const& y) const {
    ssim_planes<Exec> const sums = planes("lossforge::ssim::rows", 5, g.height, g.out_width);
    auto const g = this->g;
    auto const weights = this->weights;
    each_plane_row(
        "lossforge::ssim_loss::rows", g.height,
        KOKKOS_LAMBDA(std::int64_t p, std::int64_t n, std::int64_t c, std::int64_t h) {
          for (int q = 0; q < 5; ++q)
            for (std::int64_t j = 0; j < g.out_width; ++j) sums(q, p, h, j) = 0;
          for (int k = 0; k < g.window; ++k) {
            double const wk = weights(k);
            // Output column j reads input column j + k - pad: those inside the image.
            std::int64_t const first = g.pad - k > 0 ? g.pad - k : 0;
            std::int64_t const last = g.width + g.pad - k < g.out_width ? g.width + g.pad - k : g.out_width;
            for (std::int64_t j = first; j < last; ++j) {
              double const a = double(x(n, c, h, j + k - g.pad)), b = double(y(n, c, h, j + k - g.pad));
              sums(0, p, h, j) += wk * a, sums(1, p, h, j) += wk * b, sums(2, p, h, j) += wk * a * a;
              sums(3, p, h, j) += wk * b * b, sums(4, p, h, j) += wk * a * b;
            }
          }
        });
    return sums;
  }

  // Along columns: each position's five moments, and from them the sum of the map (returned) and, where the Views are
  // not empty, the map, the moments themselves [5, planes, out_height, out_width] and the partials of weight * SSIM
  // [3, planes, out_height, out_width] (weight(n, c, i, j)).
  template <class Map, class Weight>
  double columns(ssim_planes<Exec> const& sums, Map const& map, ssim_planes<Exec> const& moments, Weight const& weight,
                 ssim_planes<Exec> const& partials) const {
    auto const g = this->g;
    auto const weights = this->weights;
    auto const formula = this->formula;
    bool const write_map = map.data() != nullptr, keep_moments = moments.data() != nullptr,
               differentiate = partials.data() != nullptr;
    double sum_of_map = 0;
    Kokkos::parallel_reduce(
        "lossforge::ssim_loss::columns", policy(exec, 0, g.planes * g.out_height),
        KOKKOS_LAMBDA(std::int64_t e, double& sum) {
          std::int64_t const i = e % g.out_height, p = e / g.out_height, n = p / g.channels, c = p % g.channels;
          for (std::int64_t j = 0; j < g.out_width; ++j) {
            double m[5] = {0, 0, 0, 0, 0};
            for (int k = 0; k < g.window; ++k) {
              std::int64_t const row = i + k - g.pad;
              if (row < 0 || row >= g.height) continue;
              for (int q = 0; q < 5; ++q) m[q] += weights(k) * sums(q, p, row, j);
            }
            double const ssim = formula.value(m);
            sum += ssim;
            if (write_map) map(n, c, i, j) = typename Map::value_type(ssim);
            if (keep_moments)
              for (int q = 0; q < 5; ++q) moments(q, p, i, j) = m[q];
            if (differentiate) {
              double d[3];
              formula.partials(m, weight(n, c, i, j), d);
              for (int q = 0; q < 3; ++q) partials(q, p, i, j) = d[q];
            }
          }
        },
        sum_of_map);
    return sum_of_map;
  }

  // The partials of weight * SSIM from kept moments into partials; with swapped, those with respect to y's statistics
  // (SSIM is symmetric: y's moments are x's with mu_x, mu_y and w * x^2, w * y^2 exchanged).
  template <class Weight>
  void partials_from(ssim_planes<Exec> const& moments, bool swapped, Weight const& weight,
                     ssim_planes<Exec> const& partials) const {
    auto const g = this->g;
    auto const formula = this->formula;
    each_plane_row(
        "lossforge::ssim_loss::partials", g.out_height,
        KOKKOS_LAMBDA(std::int64_t p, std::int64_t n, std::int64_t c, std::int64_t i) {
          int const o = swapped ? 1 : 0;  // moment q of the differentiated image's view is moments(q ^ o) for q < 4
          for (std::int64_t j = 0; j < g.out_width; ++j) {
            double const m[5] = {moments(o, p, i, j), moments(1 - o, p, i, j), moments(2 + o, p, i, j),
                                 moments(3 - o, p, i, j), moments(4, p, i, j)};
            double d[3];
            formula.partials(m, weight(n, c, i, j), d);
            for (int q = 0; q < 3; ++q) partials(q, p, i, j) = d[q];
          }
        });
  }

  // The gradient with respect to x of the sum of weight * SSIM, from its partials, one input row r per work item:
  // first back along columns into three planes of back [>= 3, planes, H, out_width] (output row i = r - k + pad read
  // row r through weight k), then back along the row, and through the products: d/dx of (w * x, w * xy, w * x^2) is
  // (1, y, 2 x) under the window. Written over grad, or added into it.
  template <class X, class Y, class Grad>
  void gradient(ssim_planes<Exec> const& partials, ssim_planes<Exec> const& back, X const& x, Y const& y,
                Grad const& grad, bool add) const {
    auto const g = this->g;
    auto const weights = this->weights;
    each_plane_row(
        "lossforge::ssim_loss::gradient", g.height,
        KOKKOS_LAMBDA(std::int64_t p, std::int64_t n, std::int64_t c, std::int64_t r) {
          for (int q = 0; q < 3; ++q)
            for (std::int64_t j = 0; j < g.out_width; ++j) back(q, p, r, j) = 0;
          for (int k = 0; k < g.window; ++k) {
            std::int64_t const i = r - k + g.pad;
            if (i < 0 || i >= g.out_height) continue;
            double const wk = weights(k);
            for (int q = 0; q < 3; ++q)
              for (std::int64_t j = 0; j < g.out_width; ++j) back(q, p, r, j) += wk * partials(q, p, i, j);
          }
          for (std::int64_t col = 0; col < g.width; ++col) {
            double d[3] = {0, 0, 0};
            for (int k = 0; k < g.window; ++k) {
              std::int64_t const j = col - k + g.pad;
              if (j < 0 || j >= g.out_width) continue;
              for (int q = 0; q < 3; ++q) d[q] += weights(k) * back(q, p, r, j);
            }
            double const before = add ? double(grad(n, c, r, col)) : 0.0;
            grad(n, c, r, col) = typename Grad::value_type(before + d[0] + d[1] * double(y(n, c, r, col)) +
                                                           2 * d[2] * double(x(n, c, r, col)));
          }
        });
  }
};

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

// 1 - mean SSIM, and, with_gradient, its gradient with respect to x written into grad: three kernels (two without
// the gradient).
template <class X, class Y, class Grad, class Exec>
double ssim_loss(Exec const& exec, X const& x, Y const& y, Grad const& grad, bool with_gradient,
                 ssim_options const& o) {
  static_assert(int(Grad::rank) == 4, "lossforge::ssim_loss: the gradient is a View of rank 4, [N, C, H, W]");
  ssim_passes<Exec> const passes(exec, x, y, o);
  for (std::size_t d = 0; d < 4 && with_gradient; ++d)
    if (grad.extent(d) != x.extent(d))
      throw std::invalid_argument("lossforge::ssim_loss: grad_x has shape " + shape_string(shape_of(grad)) +
                                  " but x has " + shape_string(shape_of(x)));
  double const positions = double(passes.positions());
  ssim_planes<Exec> const partials =
      with_gradient ? passes.planes("lossforge::ssim::partials", 3, passes.g.out_height, passes.g.out_width)
                    : ssim_planes<Exec>{};
  ssim_planes<Exec> const sums = passes.rows(x, y);
  double const sum =
      passes.columns(sums, no_ssim_view<Exec>{}, ssim_planes<Exec>{}, ssim_uniform_weight{-1.0 / positions}, partials);
  // The columns have read the row sums: the gradient reuses their planes as its scratch.
  if (with_gradient) passes.gradient(partials, sums, x, y, grad, false);
  exec.fence();  // the scratch Views are freed on return
  return 1.0 - sum / positions;
}
}  // namespace detail

// The loss (returned) and its gradient with respect to x into grad_x.
template <class Exec, class X, class Y, class Grad>
requires Kokkos::is_execution_space<Exec>::value double ssim_loss(Exec const& exec, X const& x, Y const& y,
                                                                  Grad const& grad_x,
                                                                  ssim_options const& options = {}) {
  return detail::ssim_loss(exec, x, y, grad_x, true, options);
}

// The loss only.
template <class Exec, class X, class Y>
requires Kokkos::is_execution_space<Exec>::value double ssim_loss(Exec const& exec, X const& x, Y const& y,
                                                                  ssim_options const& options = {}) {
  return detail::ssim_loss(exec, x, y, detail::no_ssim_view<Exec>{}, false, options);
}

}  // namespace lossforge::kokkos

// The SSIM map as a primitive of the catalogue (losses/ssim.hpp). The forward keeps each position's five moments, so
// the vjp needs no window sums of its own until the gradient's.
namespace lossforge::losses {

template <ssim_options Options>
template <class X, class Y>
std::array<std::size_t, 4> ssim_map_impl<Options>::extents(X const& x, Y const& y) const {
  auto const g = kokkos::detail::ssim_geometry_of(x, y, Options);
  return {x.extent(0), x.extent(1), std::size_t(g.out_height), std::size_t(g.out_width)};
}

template <ssim_options Options>
template <class Exec, class X, class Y, class Result>
void ssim_map_impl<Options>::forward(Exec const& exec, X const& x, Y const& y, Result const& result) {
  kokkos::detail::ssim_passes<Exec> const passes(exec, x, y, Options);
  auto const moments = passes.planes("lossforge::ssim::moments", 5, passes.g.out_height, passes.g.out_width);
  passes.columns(passes.rows(x, y), result, moments, kokkos::detail::ssim_uniform_weight{0},
                 kokkos::detail::ssim_planes<Exec>{});
  kept_moments = moments;
}

// SSIM is symmetric in x and y, so y's part is x's with the two exchanged.
template <ssim_options Options>
template <class Exec, class Upstream, class X, class Y, class DX, class DY>
void ssim_map_impl<Options>::vjp(Exec const& exec, Upstream const& upstream, X const& x, Y const& y, DX const& dx,
                                 DY const& dy) {
  kokkos::detail::ssim_passes<Exec> const passes(exec, x, y, Options);
  auto const moments = std::any_cast<kokkos::detail::ssim_planes<Exec>>(kept_moments);
  kokkos::detail::ssim_upstream_weight<Upstream> const weight{upstream};
  auto const partials = passes.planes("lossforge::ssim::partials", 3, passes.g.out_height, passes.g.out_width);
  auto const back = passes.planes("lossforge::ssim::back", 3, passes.g.height, passes.g.out_width);
  if (dx.data() != nullptr) {
    passes.partials_from(moments, false, weight, partials);
    passes.gradient(partials, back, x, y, dx, true);
  }
  if (dy.data() != nullptr) {
    passes.partials_from(moments, true, weight, partials);
    passes.gradient(partials, back, y, x, dy, true);
  }
  exec.fence();  // the scratch Views are freed on return
}

}  // namespace lossforge::losses
