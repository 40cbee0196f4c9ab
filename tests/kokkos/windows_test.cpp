// Windows: x(h + u), with u an lf::window_index, reads x at position h + u. u takes its extent from the tensor it
// indexes by itself (the weights w(u)); h runs over the positions where the whole window lies inside x, N - K + 1 of
// them (valid convolution), or with x(lf::zero_padded(h + u)) over all N, reading zeros past the edges. The gradient
// with respect to x gathers, for each element, from the positions whose windows hold it; what it reads of the loss at
// those positions (a local mean) is a buffer computed once per position. Every case is checked against loops written
// here, and the gradients also against central differences in double.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <stdexcept>
#include <string>
#include <tests/support/kokkos_events.hpp>
#include <tests/support/tolerance.hpp>
#include <tests/support/window_images.hpp>
#include <type_traits>
#include <utility>
#include <vector>

namespace lf = lossforge;
using namespace lf::test::image_symbols;

namespace {
constexpr lf::tensor<"x", 1> x;
constexpr lf::tensor<"y", 1> y;
constexpr lf::tensor<"w", 1> w;
constexpr lf::tensor<"k", 2> k;

template <class T>
using vector = Kokkos::View<T*, Kokkos::HostSpace>;
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

// For the window w(r) w(t) over a size x size image read by pixel(p, q): the sum of the squared window sums
// S(p, q) = sum_r sum_t w(r) w(t) pixel(p + r, q + t) over the valid positions, and its gradient with respect to each
// pixel, row-major: d / d pixel[a, b] = sum over the offsets (r, t) whose position (a - r, b - t) is valid of
// 2 S(a - r, b - t) w(r) w(t).
template <class Weights, class Pixel>
std::pair<double, std::vector<double>> squared_window_sums(int size, Weights const& wv, Pixel const& pixel) {
  int const width = int(wv.extent(0)), positions = size - width + 1;
  std::vector<double> sums(std::size_t(positions * positions)), gradient(std::size_t(size * size));
  double loss = 0;
  for (int p = 0; p < positions; ++p)
    for (int q = 0; q < positions; ++q) {
      double s = 0;
      for (int r = 0; r < width; ++r)
        for (int t = 0; t < width; ++t) s += double(wv(r)) * double(wv(t)) * pixel(p + r, q + t);
      sums[std::size_t(p * positions + q)] = s;
      loss += s * s;
    }
  for (int a = 0; a < size; ++a)
    for (int b = 0; b < size; ++b) {
      double d = 0;
      for (int r = 0; r < width; ++r)
        for (int t = 0; t < width; ++t)
          if (a - r >= 0 && a - r < positions && b - t >= 0 && b - t < positions)
            d += 2 * sums[std::size_t((a - r) * positions + b - t)] * double(wv(r)) * double(wv(t));
      gradient[std::size_t(a * size + b)] = d;
    }
  return {loss, gradient};
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
double statistics_loop(lf::test::image_set const& s) {
  double total = 0;
  for (int i = 0; i < s.N; ++i)
    for (int j = 0; j < s.C; ++j)
      for (int r = 0; r + s.K <= s.H; ++r)
        for (int col = 0; col + s.L <= s.W; ++col) {
          double ma = 0, mb = 0, second = 0;
          for (int p = 0; p < s.K; ++p)
            for (int q = 0; q < s.L; ++q) {
              double const weight = s.k[std::size_t(p * s.L + q)], va = s.at(s.a, i, j, r + p, col + q);
              ma += weight * va, mb += weight * s.at(s.b, i, j, r + p, col + q), second += weight * va * va;
            }
          total += (ma - mb) * (ma - mb) / (0.1 + second - ma * ma);
        }
  return total / (double(s.N) * s.C * (s.H - s.K + 1) * (s.W - s.L + 1));
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
  // A short window, and a long one, whose windowed sums the vector path reads in blocks along u.
  for (auto const& [size, width] : {std::pair{17, 4}, std::pair{203, 37}}) {
    int const positions = size - width + 1;
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
}

TEMPLATE_TEST_CASE("2-D local statistics over batches of images: value and gradient", "[windows]", float, double) {
  using T = TestType;
  static constexpr auto kernel = lf::kokkos::compile(statistics_loss, lf::wrt(a));
  lf::test::image_set s = lf::test::make_images(2, 2, 9, 8, 3, 4);
  auto const av = lf::test::image_view<T>(s.a, s), bv = lf::test::image_view<T>(s.b, s);
  window2<T> kv("lossforge::test::k", std::size_t(s.K), std::size_t(s.L));
  for (std::size_t e = 0; e < s.k.size(); ++e) kv.data()[e] = T(s.k[e]);
  lf::test::images<T> da("lossforge::test::da", std::size_t(s.N), std::size_t(s.C), std::size_t(s.H), std::size_t(s.W));
  double const value = kernel(lf::bind(a = av, b = bv, k = kv), da);
  CHECK(lf::test::close(value, statistics_loop(s), tol<T>()));
  double scale = 0;
  std::vector<double> want(s.a.size());
  for (std::size_t e = 0; e < s.a.size(); ++e) {
    want[e] = lf::test::central_difference(
        [&](double z) {
          double const saved = s.a[e];
          s.a[e] = z;
          double const l = statistics_loop(s);
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
  // PyTorch's padding='same': (K - 1) / 2 zeros before, the rest after. Short windows, and long ones whose blocks in
  // the vector path read whole runs of x inside it and, near its edges, zeros lane by lane.
  for (auto const& [size, width] : {std::pair{13, 4}, std::pair{13, 5}, std::pair{200, 36}, std::pair{200, 37}}) {
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

TEST_CASE("a window is one subexpression however its slot is spelled: x(u + h) is x(h + u)", "[windows]") {
  static_assert(std::is_same_v<decltype(x(u + h)), decltype(x(h + u))>);
  // A separable window's rows, read by the loss and by the windowed sums its gradient reads at G - u': one buffer,
  // computed in the first pass; the windowed sums in the loss's pass; the gradient in the third, with its gather
  // along the rows (a third buffer, written in the same work item before the gradient row that reads it).
  static constexpr lf::tensor<"img", 2> img;
  static constexpr auto kernel = lf::kokkos::compile(
      lf::sum(h, lf::sum(c, lf::square(lf::sum(u, w(u) * lf::sum(v, w(v) * img(h + u, c + v)))))), lf::wrt(img));
  int const size = 12, width = 3;
  window2<double> iv("lossforge::test::img", size, size), di("lossforge::test::di", size, size);
  for (int e = 0; e < size * size; ++e) iv.data()[e] = std::sin(0.3 * e);
  auto const wv = wave<double>(width, 0.5, 0.7);
  double value = 0;
  CHECK(lf::test::kernels_launched([&] { value = kernel(lf::bind(img = iv, w = wv), di); }) == 3);
  CHECK(lf::test::allocations_made([&] { kernel(lf::bind(img = iv, w = wv), di); }) == 3);
  auto const [want, gradient] = squared_window_sums(size, wv, [&](int p, int q) { return double(iv(p, q)); });
  CHECK(lf::test::close(value, want, tol<double>()));
  for (int a = 0; a < size; ++a)
    for (int b = 0; b < size; ++b)
      CHECK(lf::test::close(double(di(a, b)), gradient[std::size_t(a * size + b)], tol<double>()));
}

TEMPLATE_TEST_CASE("a zero-padded separable window: its rows read zeros past the image's edges", "[windows]", float,
                   double) {
  using T = TestType;
  static constexpr lf::tensor<"img", 2> img;
  static constexpr lf::tensor<"q", 1> q;
  // The rows sum_v q(v) img(h + u, c + v) are zero wherever the row h + u is past the edges: a buffer over the image's
  // rows, read with zeros there. The rows of exp(img) are not (exp(0) = 1 past the edges): computed where they are
  // read. Both agree with the window summed over every (u, v); u and v have windows of different lengths, so that
  // each dimension's zeros before are its own window's.
  constexpr auto window_sum = [](auto const& f) {
    return lf::sum(u, w(u) * lf::sum(v, q(v) * f(img(lf::zero_padded(h + u), lf::zero_padded(c + v)))));
  };
  constexpr auto identity = [](auto const& e) { return e; };
  constexpr auto exponential = [](auto const& e) { return lf::exp(e); };
  static constexpr auto linear = lf::kokkos::compile(lf::sum(h, lf::sum(c, lf::square(window_sum(identity) - 0.25))),
                                                     lf::wrt(img));
  static constexpr auto nonlinear = lf::kokkos::compile(
      lf::sum(h, lf::sum(c, lf::square(window_sum(exponential) - 0.25))), lf::wrt(img));
  int const rows = 11, columns = 8;
  window2<T> iv("lossforge::test::img", rows, columns);
  for (int e = 0; e < rows * columns; ++e) iv.data()[e] = T(0.5 * std::sin(0.37 * e));
  for (auto const& [width_u, width_v] : {std::pair{3, 5}, std::pair{4, 3}}) {  // (K - 1) / 2 zeros before
    auto const wv = wave<T>(width_u, 0.5, 0.7), qv = wave<T>(width_v, 0.6, 0.2);
    int const before_u = (width_u - 1) / 2, before_v = (width_v - 1) / 2;
    for (bool const exponentiated : {false, true}) {
      auto f = [&](int r, int s) {
        double const at = r >= 0 && r < rows && s >= 0 && s < columns ? double(iv(r, s)) : 0.0;
        return exponentiated ? std::exp(at) : at;
      };
      std::vector<double> residual(std::size_t(rows * columns));
      double want = 0;
      for (int p = 0; p < rows; ++p)
        for (int s = 0; s < columns; ++s) {
          double sum = 0;
          for (int r = 0; r < width_u; ++r)
            for (int t = 0; t < width_v; ++t)
              sum += double(wv(r)) * double(qv(t)) * f(p + r - before_u, s + t - before_v);
          residual[std::size_t(p * columns + s)] = sum - 0.25;
          want += (sum - 0.25) * (sum - 0.25);
        }
      window2<T> di("lossforge::test::di", rows, columns);
      double value = 0;
      int const launched = lf::test::kernels_launched([&] {
        value = exponentiated ? nonlinear(lf::bind(img = iv, w = wv, q = qv), di)
                              : linear(lf::bind(img = iv, w = wv, q = qv), di);
      });
      CHECK(launched == (exponentiated ? 2 : 3));  // the rows' pass comes first where they are a buffer
      CHECK(lf::test::close(value, want, tol<T>()));
      for (int a0 = 0; a0 < rows; ++a0)
        for (int b0 = 0; b0 < columns; ++b0) {  // img[a0, b0] is read at (a0 - r + before_u, b0 - t + before_v)
          double d = 0;
          for (int r = 0; r < width_u; ++r)
            for (int t = 0; t < width_v; ++t) {
              int const p = a0 - r + before_u, s = b0 - t + before_v;
              if (p >= 0 && p < rows && s >= 0 && s < columns)
                d += 2 * residual[std::size_t(p * columns + s)] * double(wv(r)) * double(qv(t));
            }
          if (exponentiated) d *= std::exp(double(iv(a0, b0)));
          CHECK(lf::test::close(double(di(a0, b0)), d, tol<T>()));
        }
    }
  }
}

TEST_CASE("the rows the loss reads and those its gradient reads through the gradient's indices are one buffer",
          "[windows]") {
  // Over a batch of images, the loss reads img(n, h + u, c + v) and its gradient the same rows at the gradient's
  // index for n (a different index type, named n): one buffer of rows, one of window sums at every position, one for
  // the gradient's gather along the rows; the rows and sums in one pass with the gradient, the loss in a second.
  static constexpr lf::tensor<"img", 3> img;
  static constexpr auto kernel = lf::kokkos::compile(
      lf::sum(n, lf::sum(h, lf::sum(c, lf::square(lf::sum(u, w(u) * lf::sum(v, w(v) * img(n, h + u, c + v))))))),
      lf::wrt(img));
  int const images = 2, size = 9, width = 3;
  Kokkos::View<double***, Kokkos::LayoutRight, Kokkos::HostSpace> iv("lossforge::test::img", images, size, size),
      di("lossforge::test::di", images, size, size);
  for (std::size_t e = 0; e < iv.size(); ++e) iv.data()[e] = std::sin(0.3 * double(e));
  auto const wv = wave<double>(width, 0.5, 0.7);
  double value = 0;
  CHECK(lf::test::kernels_launched([&] { value = kernel(lf::bind(img = iv, w = wv), di); }) == 2);
  CHECK(lf::test::allocations_made([&] { kernel(lf::bind(img = iv, w = wv), di); }) == 3);
  double want = 0;
  for (int m = 0; m < images; ++m) {
    auto const [loss, gradient] = squared_window_sums(size, wv, [&](int p, int q) { return iv(m, p, q); });
    want += loss;
    for (int a = 0; a < size; ++a)
      for (int b = 0; b < size; ++b)
        CHECK(lf::test::close(di(m, a, b), gradient[std::size_t(a * size + b)], tol<double>()));
  }
  CHECK(lf::test::close(value, want, tol<double>()));
}
