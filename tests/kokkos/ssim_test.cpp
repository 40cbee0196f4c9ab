// SSIM against its definition, written here: the K x K window as the product of two normalized Gaussians, each local
// statistic a direct double sum over the window (no separation into rows and columns), padding by reading zeros outside
// the image; its gradient by central differences of that definition. Then the closed forms (equal images, constant
// images), SSIM's bounds (near-equal, anti-correlated and random pairs, flat patches), float against double, the
// symmetry in x and y, NaN and empty batches, the kernels launched, and bad input. Last, the catalogue's primitive
// (lf::losses::ssim_map, ssim_loss) inside compiled losses: the map and both images' gradients against the same
// definition, beside an L1 term, under a weighting of the map, and its kernels.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
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

// The SSIM map by the formula, one window position at a time, in the order n, c, i, j.
std::vector<double> map_by_definition(images const& x, images const& y, ssim_options const& o) {
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
  std::vector<double> map;
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
          map.push_back((2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sxx + syy + c2)));
        }
  return map;
}

// 1 - mean SSIM.
double by_definition(images const& x, images const& y, ssim_options const& o) {
  double sum = 0;
  std::vector<double> const map = map_by_definition(x, y, o);
  for (double v : map) sum += v;
  return 1 - sum / double(map.size());
}

// Central differences of f with respect to each element of v, against grad. For SSIM's smooth terms the error is
// O(h^2) ~ 1e-10 on these scales and the rounding 1e-16 / h ~ 1e-11, so 1e-8 holds with room.
template <class F>
void check_central_differences(images const& v, images const& grad, F const& f) {
  double const h = 1e-5;
  for (std::size_t e = 0; e < v.size(); ++e) {
    double const keep = v.data()[e];
    v.data()[e] = keep + h;
    double const up = f();
    v.data()[e] = keep - h;
    double const down = f();
    v.data()[e] = keep;
    CHECK(std::abs(grad.data()[e] - (up - down) / (2 * h)) <= 1e-8);
  }
}

void check_against_definition(images const& x, images const& y, ssim_options const& o) {
  Kokkos::DefaultHostExecutionSpace const exec;
  images grad("grad", x.extent(0), x.extent(1), x.extent(2), x.extent(3));
  double const loss = lf::kokkos::ssim_loss(exec, x, y, grad, o);
  double const want = by_definition(x, y, o);
  CHECK(std::abs(loss - want) <= 1e-13 * std::abs(want) + 1e-15);
  CHECK(lf::kokkos::ssim_loss(exec, x, y, o) == loss);
  check_central_differences(x, grad, [&] { return by_definition(x, y, o); });
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

TEST_CASE("ssim_loss: SSIM stays in [-1, 1], near-equal images give 1, flat patches finite gradients", "[ssim]") {
  Kokkos::DefaultHostExecutionSpace const exec;
  images const x = random_images(2, 2, 16, 15, 30);
  images grad("grad", 2, 2, 16, 15);
  auto const finite = [](auto const& g) {
    for (std::size_t e = 0; e < g.size(); ++e)
      if (!std::isfinite(double(g.data()[e]))) return false;
    return true;
  };
  // x against x + 1e-7, in double and in float (where 1e-7 is below the resolution of most entries): SSIM within
  // 1e-6 of 1, never above 1 + 1e-6, so the loss lies in [-1e-6, 1e-6].
  images shifted("shifted", 2, 2, 16, 15);
  images_f xf("xf", 2, 2, 16, 15), shifted_f("sf", 2, 2, 16, 15), grad_f("gf", 2, 2, 16, 15);
  for (std::size_t e = 0; e < x.size(); ++e) {
    shifted.data()[e] = x.data()[e] + 1e-7;
    xf.data()[e] = float(x.data()[e]), shifted_f.data()[e] = float(x.data()[e] + 1e-7);
  }
  for (auto const& padding : {lf::kokkos::ssim_padding::valid, lf::kokkos::ssim_padding::zero}) {
    double const near = lf::kokkos::ssim_loss(exec, x, shifted, grad, {.window_size = 7, .padding = padding});
    CHECK(std::abs(near) <= 1e-6);
    CHECK(finite(grad));
    double const near_f = lf::kokkos::ssim_loss(exec, xf, shifted_f, grad_f, {.window_size = 7, .padding = padding});
    CHECK(std::abs(near_f) <= 1e-6);
    CHECK(finite(grad_f));
  }
  // Anti-correlated images (y = 1 - x) have negative covariance at every position: SSIM below 0, above -1, so the
  // loss lies in (1, 2]. Random pairs anywhere in [0, 2].
  images flipped("flipped", 2, 2, 16, 15);
  for (std::size_t e = 0; e < x.size(); ++e) flipped.data()[e] = 1 - x.data()[e];
  double const opposed = lf::kokkos::ssim_loss(exec, x, flipped, grad);
  CHECK(opposed > 1);
  CHECK(opposed <= 2);
  for (unsigned seed = 31; seed < 36; ++seed) {
    double const random = lf::kokkos::ssim_loss(exec, x, random_images(2, 2, 16, 15, seed), grad);
    CHECK(random >= 0);
    CHECK(random <= 2);
  }
  // Flat patches: x constant over its first rows, and two constant images, where every variance is 0 (or its
  // rounding): the gradient is finite.
  images patchy = random_images(2, 2, 16, 15, 40);
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c)
      for (int h = 0; h < 9; ++h)
        for (int w = 0; w < 15; ++w) patchy(n, c, h, w) = 0.5;
  CHECK(std::isfinite(lf::kokkos::ssim_loss(exec, patchy, x, grad)));
  CHECK(finite(grad));
  images a("a", 2, 2, 16, 15), b("b", 2, 2, 16, 15);
  Kokkos::deep_copy(a, 0.25);
  Kokkos::deep_copy(b, 0.75);
  CHECK(std::isfinite(lf::kokkos::ssim_loss(exec, a, b, grad)));
  CHECK(finite(grad));
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

namespace {
namespace L = lf::losses;
constexpr lf::tensor<"x", 4> img;
constexpr lf::tensor<"y", 4> ref;
constexpr L::ssim_options small_window{.window_size = 5, .sigma = 0.8, .k1 = 0.02, .k2 = 0.05, .data_range = 2.0};
constexpr L::ssim_options zero_padded{.window_size = 7, .padding = L::ssim_padding::zero};

template <L::ssim_options Options>
void check_primitive_against_definition(images const& x, images const& y) {
  static constexpr auto kernel = lf::kokkos::compile(L::ssim_loss<Options>(img, ref), lf::wrt(img, ref));
  images dx("dx", x.extent(0), x.extent(1), x.extent(2), x.extent(3));
  images dy("dy", x.extent(0), x.extent(1), x.extent(2), x.extent(3));
  double const loss = kernel(lf::bind(img = x, ref = y), dx, dy);
  double const want = by_definition(x, y, Options);
  CHECK(std::abs(loss - want) <= 1e-13 * std::abs(want) + 1e-15);
  check_central_differences(x, dx, [&] { return by_definition(x, y, Options); });
  check_central_differences(y, dy, [&] { return by_definition(x, y, Options); });
}
}  // namespace

TEST_CASE("ssim_loss primitive: the loss and both images' gradients against the definition", "[ssim][primitive]") {
  images const x = random_images(2, 2, 13, 12, 31), y = random_images(2, 2, 13, 12, 32);
  check_primitive_against_definition<L::ssim_options{}>(x, y);
  check_primitive_against_definition<small_window>(x, y);
  images const small = random_images(1, 2, 5, 6, 33), other = random_images(1, 2, 5, 6, 34);
  check_primitive_against_definition<zero_padded>(small, other);  // images smaller than the window, padded
}

TEST_CASE("ssim_map primitive: the map, and a weighting of it, against the definition", "[ssim][primitive]") {
  images const x = random_images(1, 3, 9, 10, 41), y = random_images(1, 3, 9, 10, 42);
  static constexpr auto map = L::ssim_map<small_window>(img, ref);
  // Each channel's map: [1, 3, 5, 6] positions; its squared distance from 1 weighs each position differently, so the
  // vector-Jacobian product sees a non-uniform upstream gradient.
  static constexpr auto kernel = lf::kokkos::compile(lf::sum(lf::square(1.0 - map)), lf::wrt(img));
  static constexpr auto each = lf::kokkos::compile(map);
  images dx("dx", 1, 3, 9, 10), values("map", 1, 3, 5, 6);
  each(lf::bind(img = x, ref = y), values);
  std::vector<double> const want = map_by_definition(x, y, small_window);
  REQUIRE(want.size() == values.size());
  for (std::size_t e = 0; e < want.size(); ++e) CHECK(std::abs(values.data()[e] - want[e]) <= 1e-14);
  auto const definition = [&] {
    double sum = 0;
    for (double v : map_by_definition(x, y, small_window)) sum += (1 - v) * (1 - v);
    return sum;
  };
  double const loss = kernel(lf::bind(img = x, ref = y), dx);
  CHECK(std::abs(loss - definition()) <= 1e-13 * definition());
  check_central_differences(x, dx, definition);
}

TEST_CASE("ssim_loss primitive: beside an L1 term in one call, as the mixed loss of image restoration",
          "[ssim][primitive]") {
  images const x = random_images(2, 1, 12, 12, 51), y = random_images(2, 1, 12, 12, 52);
  static constexpr auto kernel =
      lf::kokkos::compile(0.84 * L::ssim_loss(img, ref) + 0.16 * L::l1(img, ref, L::mean), lf::wrt(img));
  auto const definition = [&] {
    double l1 = 0;
    for (std::size_t e = 0; e < x.size(); ++e) l1 += std::abs(x.data()[e] - y.data()[e]);
    return 0.84 * by_definition(x, y, {}) + 0.16 * l1 / double(x.size());
  };
  images dx("dx", 2, 1, 12, 12);
  double const loss = kernel(lf::bind(img = x, ref = y), dx);
  CHECK(std::abs(loss - definition()) <= 1e-13);
  // |x - y| is smooth away from x = y, and these images differ by more than h everywhere.
  check_central_differences(x, dx, definition);
}

TEST_CASE("ssim_loss primitive: float Views, the kernels launched, images smaller than a valid window",
          "[ssim][primitive]") {
  using Catch::Matchers::ContainsSubstring;
  images const x = random_images(2, 3, 20, 18, 61), y = random_images(2, 3, 20, 18, 62);
  images_f xf("xf", 2, 3, 20, 18), yf("yf", 2, 3, 20, 18), dxf("dxf", 2, 3, 20, 18), dyf("dyf", 2, 3, 20, 18);
  for (std::size_t e = 0; e < x.size(); ++e) xf.data()[e] = float(x.data()[e]), yf.data()[e] = float(y.data()[e]);
  static constexpr auto one = lf::kokkos::compile(L::ssim_loss(img, ref), lf::wrt(img));
  static constexpr auto both = lf::kokkos::compile(L::ssim_loss(img, ref), lf::wrt(img, ref));
  // The statistics are in double: the float result is the double loss of the rounded images, to the rounding of the
  // map into float (1e-7 relative per position) and of the fused mean over it.
  images const xr("xr", 2, 3, 20, 18), yr("yr", 2, 3, 20, 18);
  for (std::size_t e = 0; e < x.size(); ++e) xr.data()[e] = double(xf.data()[e]), yr.data()[e] = double(yf.data()[e]);
  CHECK(std::abs(one(lf::bind(img = xf, ref = yf), dxf) - by_definition(xr, yr, {})) <= 1e-6);
  // The map's forward (rows, columns, which keep each position's moments); the fill of dloss/dmap and of each
  // gradient (the loss reads the images only through the map); the fused pass; the vjp of each differentiated image
  // (the weighted partials from the kept moments, then the gradient): the window sums of the kernel alone, no more.
  CHECK(lf::test::kernels_launched([&] { one(lf::bind(img = xf, ref = yf), dxf); }) == 2 + 2 + 1 + 2);
  CHECK(lf::test::kernels_launched([&] { both(lf::bind(img = xf, ref = yf), dxf, dyf); }) == 2 + 3 + 1 + 2 + 2);
  images const small = random_images(1, 1, 8, 9, 63);
  images dx("dx", 1, 1, 8, 9);
  static constexpr auto double_kernel = lf::kokkos::compile(L::ssim_loss(img, ref), lf::wrt(img));
  CHECK_THROWS_WITH(double_kernel(lf::bind(img = small, ref = small), dx),
                    ContainsSubstring("the images [1,1,8,9] are smaller than the 11 x 11 window"));
}
