// Windows: x(h + u), with u an lf::window_index, reads x at position h + u. u takes its extent from the tensor it
// indexes by itself (the weights w(u)); h runs over the positions where the whole window lies inside x, N - K + 1 of
// them (valid convolution), or with x(lf::zero_padded(h + u)) over all N, reading zeros past the edges. The gradient
// with respect to x gathers, for each element, from the positions whose windows hold it; what it reads of the loss at
// those positions (a local mean) is a buffer computed once per position. Every case is checked against loops written
// here, and the gradients also against central differences in double.
#include <Kokkos_Core.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/kokkos/ssim.hpp>
#include <lossforge/losses.hpp>
#include <stdexcept>
#include <string>
#include <tests/support/kokkos_events.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;

namespace {
constexpr lf::tensor<"x", 1> x;
constexpr lf::tensor<"y", 1> y;
constexpr lf::tensor<"w", 1> w;
constexpr lf::tensor<"a", 4> a;
constexpr lf::tensor<"b", 4> b;
constexpr lf::tensor<"k", 2> k;
constexpr lf::index<"n"> n;
constexpr lf::index<"ch"> ch;
constexpr lf::index<"h"> h;
constexpr lf::index<"c"> c;
constexpr lf::window_index<"u"> u;
constexpr lf::window_index<"v"> v;

template <class T>
using vector = Kokkos::View<T*, Kokkos::HostSpace>;
template <class T>
using images = Kokkos::View<T****, Kokkos::LayoutRight, Kokkos::HostSpace>;
template <class T>
using window2 = Kokkos::View<T**, Kokkos::LayoutRight, Kokkos::HostSpace>;

template <class T>
vector<T> wave(int size, double scale, double phase) {
  vector<T> out("lossforge::test::wave", std::size_t(size));
  for (int i = 0; i < size; ++i) out(i) = T(scale * std::sin(0.9 * i + phase));
  return out;
}
template <class T>
double tol() {
  return lf::test::tolerance<T>::finite_difference;
}

// A 1-D filter fitted to a target: the windowed sum S(h) = sum_u w(u) x(h + u) against y(h).
constexpr auto filtered = lf::sum(u, w(u) * x(h + u));
constexpr auto fit = lf::sum(h, lf::square(filtered - y(h)));

// Local statistics of two batches of images under a 2-D window k(u, v), as SSIM computes them: means, and the
// variance of a through its second moment, compared at every valid position of every image and channel.
constexpr auto local = [](auto const& t) { return lf::sum(u, lf::sum(v, k(u, v) * t(n, ch, h + u, c + v))); };
constexpr auto mean_a = local(a);
constexpr auto mean_b = local(b);
constexpr auto variance_a = lf::sum(u, lf::sum(v, k(u, v) * lf::square(a(n, ch, h + u, c + v)))) - mean_a * mean_a;
constexpr auto statistics_loss =
    lf::mean(n, lf::mean(ch, lf::mean(h, lf::mean(c, lf::square(mean_a - mean_b) / (0.1 + variance_a)))));

// The same loss, by loops.
struct image_set {
  int N, C, H, W, K, L;
  std::vector<double> a, b, k;
  double at(std::vector<double> const& t, int i, int j, int r, int s) const { return t[((i * C + j) * H + r) * W + s]; }
  double loss() const {
    double total = 0;
    for (int i = 0; i < N; ++i)
      for (int j = 0; j < C; ++j)
        for (int r = 0; r + K <= H; ++r)
          for (int s = 0; s + L <= W; ++s) {
            double ma = 0, mb = 0, second = 0;
            for (int p = 0; p < K; ++p)
              for (int q = 0; q < L; ++q) {
                double const weight = k[std::size_t(p * L + q)], va = at(a, i, j, r + p, s + q);
                ma += weight * va, mb += weight * at(b, i, j, r + p, s + q), second += weight * va * va;
              }
            total += (ma - mb) * (ma - mb) / (0.1 + second - ma * ma);
          }
    return total / (double(N) * C * (H - K + 1) * (W - L + 1));
  }
};

template <class T>
images<T> image_view(std::vector<double> const& values, image_set const& s) {
  images<T> out("lossforge::test::images", std::size_t(s.N), std::size_t(s.C), std::size_t(s.H), std::size_t(s.W));
  for (std::size_t e = 0; e < values.size(); ++e) out.data()[e] = T(values[e]);
  return out;
}
image_set make_images(int N, int C, int H, int W, int K, int L) {
  image_set s{N, C, H, W, K, L, {}, {}, {}};
  for (int e = 0; e < N * C * H * W; ++e) {
    s.a.push_back(0.5 + 0.4 * std::sin(0.37 * e));
    s.b.push_back(0.5 + 0.4 * std::cos(0.23 * e + 1));
  }
  double total = 0;
  for (int p = 0; p < K; ++p)
    for (int q = 0; q < L; ++q) total += std::exp(-0.3 * ((p - K / 2) * (p - K / 2) + (q - L / 2) * (q - L / 2)));
  for (int p = 0; p < K; ++p)
    for (int q = 0; q < L; ++q)
      s.k.push_back(std::exp(-0.3 * ((p - K / 2) * (p - K / 2) + (q - L / 2) * (q - L / 2))) / total);
  return s;
}
}  // namespace

TEMPLATE_TEST_CASE("a windowed sum is a valid correlation: N - K + 1 positions", "[windows]", float, double) {
  using T = TestType;
  static constexpr auto kernel = lf::kokkos::compile(filtered);
  int const size = 23, width = 5;
  auto const xv = wave<T>(size, 1, 0.3), wv = wave<T>(width, 0.5, 1.1);
  vector<T> out("lossforge::test::out", std::size_t(size - width + 1));
  kernel(lf::bind(x = xv, w = wv), out);
  for (int p = 0; p + width <= size; ++p) {
    double want = 0;
    for (int q = 0; q < width; ++q) want += double(wv(q)) * double(xv(p + q));
    CHECK(lf::test::close(double(out(p)), want, lf::test::tolerance<T>::value * width));
  }
  // A View with the input's length is not the output's.
  vector<T> too_long("lossforge::test::out", std::size_t(size));
  CHECK_THROWS_MATCHES(kernel(lf::bind(x = xv, w = wv), too_long), std::invalid_argument,
                       Catch::Matchers::Message("lossforge: the View for the per-element loss has shape [23] but must "
                                                "have shape [19]"));
}

TEMPLATE_TEST_CASE("the gradient of a windowed loss gathers from the positions whose windows hold each element",
                   "[windows]", float, double) {
  using T = TestType;
  static constexpr auto kernel = lf::kokkos::compile(fit, lf::wrt(x, w));
  int const size = 17, width = 4, positions = size - width + 1;
  auto const xv = wave<T>(size, 1, 0.2), yv = wave<T>(positions, 0.7, 2.0), wv = wave<T>(width, 0.6, 0.4);
  vector<T> dx("lossforge::test::dx", std::size_t(size)), dw("lossforge::test::dw", std::size_t(width));
  double const value = kernel(lf::bind(x = xv, y = yv, w = wv), dx, dw);

  // r(h) = S(h) - y(h); loss = sum r^2; dloss/dx[g] = sum over u with 0 <= g - u < positions of 2 r(g - u) w(u);
  // dloss/dw[u] = sum_h 2 r(h) x(h + u).
  auto r = std::vector<double>(std::size_t(positions));
  double want = 0;
  for (int p = 0; p < positions; ++p) {
    double s = 0;
    for (int q = 0; q < width; ++q) s += double(wv(q)) * double(xv(p + q));
    r[std::size_t(p)] = s - double(yv(p));
    want += r[std::size_t(p)] * r[std::size_t(p)];
  }
  CHECK(lf::test::close(value, want, tol<T>()));
  for (int g = 0; g < size; ++g) {
    double d = 0;
    for (int q = 0; q < width; ++q)
      if (g - q >= 0 && g - q < positions) d += 2 * r[std::size_t(g - q)] * double(wv(q));
    CHECK(lf::test::close(double(dx(g)), d, tol<T>()));
  }
  for (int q = 0; q < width; ++q) {
    double d = 0;
    for (int p = 0; p < positions; ++p) d += 2 * r[std::size_t(p)] * double(xv(p + q));
    CHECK(lf::test::close(double(dw(q)), d, tol<T>()));
  }
  // Two passes: the loss and the windowed sums at every position, then a kernel for each gradient.
  CHECK(lf::test::kernels_launched([&] { kernel(lf::bind(x = xv, y = yv, w = wv), dx, dw); }) == 3);
}

TEMPLATE_TEST_CASE("2-D local statistics over batches of images: value and gradient", "[windows]", float, double) {
  using T = TestType;
  static constexpr auto kernel = lf::kokkos::compile(statistics_loss, lf::wrt(a));
  image_set s = make_images(2, 2, 9, 8, 3, 4);
  auto const av = image_view<T>(s.a, s), bv = image_view<T>(s.b, s);
  window2<T> kv("lossforge::test::k", std::size_t(s.K), std::size_t(s.L));
  for (std::size_t e = 0; e < s.k.size(); ++e) kv.data()[e] = T(s.k[e]);
  images<T> da("lossforge::test::da", std::size_t(s.N), std::size_t(s.C), std::size_t(s.H), std::size_t(s.W));
  double const value = kernel(lf::bind(a = av, b = bv, k = kv), da);
  CHECK(lf::test::close(value, s.loss(), tol<T>()));
  double scale = 0;
  std::vector<double> want(s.a.size());
  for (std::size_t e = 0; e < s.a.size(); ++e) {
    want[e] = lf::test::central_difference(
        [&](double z) {
          double const saved = s.a[e];
          s.a[e] = z;
          double const l = s.loss();
          s.a[e] = saved;
          return l;
        },
        s.a[e]);
    scale = std::max(scale, std::abs(want[e]));
  }
  // Relative to the largest entry: each entry is a share of a mean over all positions.
  for (std::size_t e = 0; e < s.a.size(); ++e)
    CHECK(lf::test::close(double(da.data()[e]) / scale, want[e] / scale, tol<T>()));
}

TEST_CASE("windows whose shapes do not fit are errors naming the tensors", "[windows]") {
  static constexpr auto kernel = lf::kokkos::compile(fit, lf::wrt(x));
  auto const xv = wave<double>(6, 1, 0), wv = wave<double>(3, 1, 0);
  vector<double> dx("lossforge::test::dx", 6);
  // The target has one position fewer than the window leaves.
  CHECK_THROWS_MATCHES(kernel(lf::bind(x = xv, y = wave<double>(3, 1, 0), w = wv), dx), std::invalid_argument,
                       Catch::Matchers::Message("lossforge: shape mismatch: 'y[dim 0]' has shape [3] but the window "
                                                "positions along 'x[dim 0]' has shape [4]"));
  // A window longer than the signal.
  CHECK_THROWS_MATCHES(kernel(lf::bind(x = xv, y = wave<double>(4, 1, 0), w = wave<double>(7, 1, 0)), dx),
                       std::invalid_argument,
                       Catch::Matchers::Message("lossforge: a window of 7 positions slides along 'x[dim 0]', of 6: "
                                                "the window does not fit"));
}

TEMPLATE_TEST_CASE("a zero-padded window keeps the signal's length and reads zeros past its edges", "[windows]", float,
                   double) {
  using T = TestType;
  static constexpr auto same = lf::sum(h, lf::square(lf::sum(u, w(u) * x(lf::zero_padded(h + u))) - y(h)));
  static constexpr auto kernel = lf::kokkos::compile(same, lf::wrt(x, w));
  int const size = 13;
  for (int width : {4, 5}) {  // PyTorch's padding='same': (K - 1) / 2 zeros before, the rest after
    auto const xv = wave<T>(size, 1, 0.5), yv = wave<T>(size, 0.8, 1.7), wv = wave<T>(width, 0.6, 0.9);
    vector<T> dx("lossforge::test::dx", std::size_t(size)), dw("lossforge::test::dw", std::size_t(width));
    double const value = kernel(lf::bind(x = xv, y = yv, w = wv), dx, dw);
    int const before = (width - 1) / 2;
    auto at = [&](int r) { return r >= 0 && r < size ? double(xv(r)) : 0.0; };
    std::vector<double> r(static_cast<std::size_t>(size));
    double want = 0;
    for (int p = 0; p < size; ++p) {
      double s_p = 0;
      for (int q = 0; q < width; ++q) s_p += double(wv(q)) * at(p + q - before);
      r[std::size_t(p)] = s_p - double(yv(p));
      want += r[std::size_t(p)] * r[std::size_t(p)];
    }
    CHECK(lf::test::close(value, want, tol<T>()));
    for (int g = 0; g < size; ++g) {  // x[g] is read at position p = g - q + before by offset q
      double d = 0;
      for (int q = 0; q < width; ++q)
        if (g - q + before >= 0 && g - q + before < size) d += 2 * r[std::size_t(g - q + before)] * double(wv(q));
      CHECK(lf::test::close(double(dx(g)), d, tol<T>()));
    }
    for (int q = 0; q < width; ++q) {
      double d = 0;
      for (int p = 0; p < size; ++p) d += 2 * r[std::size_t(p)] * at(p + q - before);
      CHECK(lf::test::close(double(dw(q)), d, tol<T>()));
    }
  }
}

namespace {
// SSIM written with windows: the Gaussian window g(u) g(v), local means, variances and the covariance as weighted
// population moments, K1 = 0.01, K2 = 0.03, a data range of 1. at_a and at_b read the images in a window.
constexpr lf::tensor<"gauss", 1> gauss;
constexpr auto ssim_of = [](auto const& at_a, auto const& at_b) {
  auto const gaussian = [](auto const& e) { return lf::sum(u, lf::sum(v, gauss(u) * gauss(v) * e)); };
  auto const mu_a = gaussian(at_a), mu_b = gaussian(at_b);
  auto const var_a = gaussian(lf::square(at_a)) - mu_a * mu_a, var_b = gaussian(lf::square(at_b)) - mu_b * mu_b;
  auto const cov = gaussian(at_a * at_b) - mu_a * mu_b;
  double const c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  auto const map = (2 * mu_a * mu_b + c1) * (2 * cov + c2) / ((mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2));
  return 1 - lf::mean(n, lf::mean(ch, lf::mean(h, lf::mean(c, map))));
};
constexpr auto ssim_valid = ssim_of(a(n, ch, h + u, c + v), b(n, ch, h + u, c + v));
constexpr auto ssim_zero_padded = ssim_of(a(n, ch, lf::zero_padded(h + u), lf::zero_padded(c + v)),
                                          b(n, ch, lf::zero_padded(h + u), lf::zero_padded(c + v)));

// The loss and gradient of kernel, against the SSIM kernel with padding, in passes launches.
template <class T, class Kernel>
void check_ssim(Kernel const& kernel, lf::kokkos::ssim_padding padding, int passes) {
  int const width = 7;
  double const sigma = 1.5;
  image_set s = make_images(2, 2, 16, 13, width, width);
  auto const av = image_view<T>(s.a, s), bv = image_view<T>(s.b, s);
  vector<T> gv("lossforge::test::gauss", std::size_t(width));
  double total = 0;
  for (int q = 0; q < width; ++q) total += std::exp(-(q - 3) * (q - 3) / (2 * sigma * sigma));
  for (int q = 0; q < width; ++q) gv(q) = T(std::exp(-(q - 3) * (q - 3) / (2 * sigma * sigma)) / total);
  images<T> da("lossforge::test::da", 2, 2, 16, 13), want("lossforge::test::want", 2, 2, 16, 13);
  double value = 0;
  CHECK(lf::test::kernels_launched([&] { value = kernel(lf::bind(a = av, b = bv, gauss = gv), da); }) == passes);
  double const reference = lf::kokkos::ssim_loss(Kokkos::DefaultHostExecutionSpace{}, av, bv, want,
                                                 {.window_size = width, .sigma = sigma, .padding = padding});
  double const tolerance = lf::test::tolerance<T>::conformance;
  CHECK(lf::test::close(value, reference, tolerance));
  double scale = 0;
  for (std::size_t e = 0; e < want.size(); ++e) scale = std::max(scale, std::abs(double(want.data()[e])));
  for (std::size_t e = 0; e < want.size(); ++e)
    CHECK(lf::test::close(double(da.data()[e]) / scale, double(want.data()[e]) / scale, tolerance));
}
}  // namespace

TEMPLATE_TEST_CASE("SSIM written with windows is the SSIM kernel's, valid or zero-padded, in at most three passes",
                   "[windows]", float, double) {
  static constexpr auto valid = lf::kokkos::compile(ssim_valid, lf::wrt(a));
  static constexpr auto zero_padded = lf::kokkos::compile(ssim_zero_padded, lf::wrt(a));
  // Valid windows: the rows of the separable window's five moments, then the moments at every position with the
  // loss, then the gradient reading them. Zero-padded windows are not separated: the moments with the loss, then
  // the gradient.
  check_ssim<TestType>(valid, lf::kokkos::ssim_padding::valid, 3);
  check_ssim<TestType>(zero_padded, lf::kokkos::ssim_padding::zero, 2);
}
