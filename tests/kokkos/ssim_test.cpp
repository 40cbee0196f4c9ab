// SSIM against its definition, written here: the K x K window as the product of two normalized Gaussians, each local
// statistic a direct double sum over the window (no separation into rows and columns), padding by reading zeros
// outside the image; its gradient by central differences of that definition. Then the closed forms (equal images,
// constant images), float against double, the symmetry in x and y, NaN and empty batches, the kernels launched, and bad
// input.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <lossforge/backends/kokkos.hpp>
#include <stdexcept>
#include <tests/support/kokkos_events.hpp>
#include <vector>

namespace lf = lossforge;

namespace {
using images = Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace>;
using images_f = Kokkos::View<float****, Kokkos::LayoutRight, Kokkos::HostSpace>;
using ssim_options = lf::kokkos::ssim_options;

images random_images(int n, int c, int h, int w, unsigned seed) {
  images v("x", n, c, h, w);
  for (std::size_t e = 0; e < v.size(); ++e) v.data()[e] = 0.5 + 0.45 * std::sin(0.731 * double(e) + double(seed));
  return v;
}

// 1 - mean SSIM by the formula, one window position at a time.
double by_definition(images const& x, images const& y, ssim_options const& o) {
  int const K = o.window_size, r = (K - 1) / 2, pad = o.padding == lf::kokkos::ssim_padding::zero ? K / 2 : 0;
  std::vector<double> g(static_cast<std::size_t>(K));
  double total = 0;
  for (int k = 0; k < K; ++k) total += g[std::size_t(k)] = std::exp(-(k - r) * (k - r) / (2 * o.sigma * o.sigma));
  for (double& v : g) v /= total;
  auto at = [&](images const& v, int n, int c, int h, int w) {
    return h < 0 || w < 0 || h >= int(v.extent(2)) || w >= int(v.extent(3)) ? 0.0 : v(n, c, h, w);
  };
  int const H = int(x.extent(2)), W = int(x.extent(3));
  int const out_h = H + 2 * pad - K + 1, out_w = W + 2 * pad - K + 1;
  double const c1 = std::pow(o.k1 * o.data_range, 2), c2 = std::pow(o.k2 * o.data_range, 2);
  double sum = 0;
  long positions = 0;
  for (int n = 0; n < int(x.extent(0)); ++n)
    for (int c = 0; c < int(x.extent(1)); ++c)
      for (int i = 0; i < out_h; ++i)
        for (int j = 0; j < out_w; ++j) {
          double mx = 0, my = 0, exx = 0, eyy = 0, exy = 0;
          for (int u = 0; u < K; ++u)
            for (int v = 0; v < K; ++v) {
              double const wt = g[std::size_t(u)] * g[std::size_t(v)];
              double const a = at(x, n, c, i + u - pad, j + v - pad), b = at(y, n, c, i + u - pad, j + v - pad);
              mx += wt * a, my += wt * b, exx += wt * a * a, eyy += wt * b * b, exy += wt * a * b;
            }
          double const sxx = exx - mx * mx, syy = eyy - my * my, sxy = exy - mx * my;
          sum += (2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
          ++positions;
        }
  return 1 - sum / double(positions);
}

void check_against_definition(images const& x, images const& y, ssim_options const& o) {
  Kokkos::DefaultHostExecutionSpace const exec;
  images grad("grad", x.extent(0), x.extent(1), x.extent(2), x.extent(3));
  double const loss = lf::kokkos::ssim_loss(exec, x, y, grad, o);
  double const want = by_definition(x, y, o);
  CHECK(std::abs(loss - want) <= 1e-13 * std::abs(want) + 1e-15);
  CHECK(lf::kokkos::ssim_loss(exec, x, y, o) == loss);
  double const h = 1e-5;
  for (std::size_t e = 0; e < x.size(); ++e) {
    double const keep = x.data()[e];
    x.data()[e] = keep + h;
    double const up = by_definition(x, y, o);
    x.data()[e] = keep - h;
    double const down = by_definition(x, y, o);
    x.data()[e] = keep;
    // Central differences of a smooth function: error O(h^2) ~ 1e-10 on these scales, rounding 1e-16 / h ~ 1e-11.
    CHECK(std::abs(grad.data()[e] - (up - down) / (2 * h)) <= 1e-8);
  }
}
}  // namespace

TEST_CASE("ssim_loss: valid windows, the loss and its gradient against the definition", "[ssim]") {
  images const x = random_images(2, 2, 13, 12, 1), y = random_images(2, 2, 13, 12, 7);
  check_against_definition(x, y, {});
  check_against_definition(x, y, {.window_size = 5, .sigma = 0.8, .k1 = 0.02, .k2 = 0.05, .data_range = 2.0});
  images const one_position = random_images(1, 1, 11, 11, 3), other = random_images(1, 1, 11, 11, 4);
  check_against_definition(one_position, other, {});  // an image exactly the window's size: one position
}

TEST_CASE("ssim_loss: K1 or K2 of 0, a window of 1", "[ssim]") {
  // Half of x black: there mu_x = 0 and s_xy = 0, so 2 mu_x mu_y + C1 is 0 with K1 = 0 and 2 s_xy + C2 with K2 = 0;
  // SSIM is 0 and its gradient finite.
  images const x = random_images(1, 2, 12, 14, 20), y = random_images(1, 2, 12, 14, 21);
  for (int c = 0; c < 2; ++c)
    for (int h = 0; h < 12; ++h)
      for (int w = 0; w < 7; ++w) x(0, c, h, w) = 0;
  check_against_definition(x, y, {.window_size = 5, .k1 = 0});
  check_against_definition(x, y, {.window_size = 5, .k2 = 0});
  check_against_definition(random_images(2, 1, 5, 6, 22), random_images(2, 1, 5, 6, 23), {.window_size = 1});
}

TEST_CASE("ssim_loss: zero padding, one position per pixel, images smaller than the window", "[ssim]") {
  images const x = random_images(1, 3, 9, 8, 2), y = random_images(1, 3, 9, 8, 5);
  check_against_definition(x, y, {.window_size = 7, .padding = lf::kokkos::ssim_padding::zero});
  images const small = random_images(2, 1, 4, 3, 6), small_y = random_images(2, 1, 4, 3, 8);
  check_against_definition(small, small_y, {.padding = lf::kokkos::ssim_padding::zero});
}

TEST_CASE("ssim_loss: closed forms on equal and on constant images", "[ssim]") {
  Kokkos::DefaultHostExecutionSpace const exec;
  images const x = random_images(2, 1, 16, 15, 9);
  images grad("grad", 2, 1, 16, 15);
  // SSIM(x, x) = 1 at every position, its maximum: loss 0, gradient 0.
  CHECK(std::abs(lf::kokkos::ssim_loss(exec, x, x, grad)) < 1e-15);
  for (std::size_t e = 0; e < grad.size(); ++e) CHECK(std::abs(grad.data()[e]) < 1e-13);
  // Constant images a and b: every variance is 0, SSIM = (2 a b + C1) / (a^2 + b^2 + C1) everywhere.
  images a("a", 1, 2, 12, 12), b("b", 1, 2, 12, 12);
  Kokkos::deep_copy(a, 0.25);
  Kokkos::deep_copy(b, 0.75);
  // The variances come out as w * x^2 - mu_x^2, a rounding of ~1e-17 instead of 0, which C2 = 9e-4 scales up.
  double const c1 = 1e-4, want = 1 - (2 * 0.25 * 0.75 + c1) / (0.25 * 0.25 + 0.75 * 0.75 + c1);
  CHECK(std::abs(lf::kokkos::ssim_loss(exec, a, b) - want) < 1e-12);
  CHECK(std::abs(lf::kokkos::ssim_loss(exec, b, a) - want) < 1e-12);
}

TEST_CASE("ssim_loss: float Views give the double result to float's rounding", "[ssim]") {
  Kokkos::DefaultHostExecutionSpace const exec;
  images const x = random_images(2, 3, 20, 18, 11), y = random_images(2, 3, 20, 18, 12);
  images_f xf("xf", 2, 3, 20, 18), yf("yf", 2, 3, 20, 18), grad_f("gf", 2, 3, 20, 18);
  for (std::size_t e = 0; e < x.size(); ++e) xf.data()[e] = float(x.data()[e]), yf.data()[e] = float(y.data()[e]);
  // Compared on the float-rounded inputs, so that only the storage of the result differs: the statistics are
  // computed in double for both.
  images xr("xr", 2, 3, 20, 18), yr("yr", 2, 3, 20, 18), grad("g", 2, 3, 20, 18);
  for (std::size_t e = 0; e < x.size(); ++e) xr.data()[e] = xf.data()[e], yr.data()[e] = yf.data()[e];
  double const loss_f = lf::kokkos::ssim_loss(exec, xf, yf, grad_f), loss = lf::kokkos::ssim_loss(exec, xr, yr, grad);
  CHECK(std::abs(loss_f - loss) < 1e-15);
  for (std::size_t e = 0; e < x.size(); ++e) CHECK(grad_f.data()[e] == float(grad.data()[e]));
}

TEST_CASE("ssim_loss: NaN propagates, an empty batch or image is NaN", "[ssim]") {
  Kokkos::DefaultHostExecutionSpace const exec;
  images const x = random_images(1, 1, 12, 12, 13), y = random_images(1, 1, 12, 12, 14);
  x(0, 0, 0, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK(std::isnan(lf::kokkos::ssim_loss(exec, x, y)));
  images const empty("empty", 0, 1, 12, 12);
  CHECK(std::isnan(lf::kokkos::ssim_loss(exec, empty, empty, empty)));
  images const no_rows("no_rows", 1, 1, 0, 5);
  CHECK(
      std::isnan(lf::kokkos::ssim_loss(exec, no_rows, no_rows, no_rows, {.padding = lf::kokkos::ssim_padding::zero})));
}

TEST_CASE("ssim_loss: the value in two kernels, the value and the gradient in three", "[ssim]") {
  Kokkos::DefaultHostExecutionSpace const exec;
  images const x = random_images(2, 3, 20, 18, 18), y = random_images(2, 3, 20, 18, 19);
  images grad("grad", 2, 3, 20, 18);
  // Rows of the products, then columns with the SSIM map; with the gradient, one more: back along columns and rows.
  CHECK(lf::test::kernels_launched([&] { lf::kokkos::ssim_loss(exec, x, y); }) == 2);
  CHECK(lf::test::kernels_launched([&] { lf::kokkos::ssim_loss(exec, x, y, grad); }) == 3);
}

TEST_CASE("ssim_loss: shapes, windows and constants that do not fit are errors naming them", "[ssim]") {
  using Catch::Matchers::ContainsSubstring;
  Kokkos::DefaultHostExecutionSpace const exec;
  images const x = random_images(1, 2, 10, 12, 15), y = random_images(1, 2, 10, 12, 16);
  CHECK_THROWS_WITH(lf::kokkos::ssim_loss(exec, x, y),
                    ContainsSubstring("the images [1,2,10,12] are smaller than the 11 x 11 window"));
  CHECK(std::isfinite(lf::kokkos::ssim_loss(exec, x, y, {.window_size = 9})));
  images const other = random_images(1, 2, 10, 11, 17);
  CHECK_THROWS_WITH(lf::kokkos::ssim_loss(exec, x, other, {.window_size = 3}),
                    ContainsSubstring("y has shape [1,2,10,11] but x has [1,2,10,12]"));
  images grad("grad", 1, 1, 10, 12);
  CHECK_THROWS_WITH(lf::kokkos::ssim_loss(exec, x, y, grad, {.window_size = 3}),
                    ContainsSubstring("grad_x has shape [1,1,10,12]"));
  CHECK_THROWS_WITH(lf::kokkos::ssim_loss(exec, x, y, {.window_size = 4}), ContainsSubstring("window_size 4"));
  CHECK_THROWS_WITH(lf::kokkos::ssim_loss(exec, x, y, {.window_size = 3, .sigma = 0}), ContainsSubstring("sigma"));
  CHECK_THROWS_WITH(lf::kokkos::ssim_loss(exec, x, y, {.window_size = 3, .data_range = -1}),
                    ContainsSubstring("data_range"));
  CHECK_THROWS_WITH(lf::kokkos::ssim_loss(exec, x, y, {.window_size = 3, .k2 = -0.1}), ContainsSubstring("K2"));
}
