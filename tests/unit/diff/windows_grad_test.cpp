// grad() through windowed accesses x(h + u) and x(zero_padded(h + u)): the sum over the positions h collapses onto
// h = G - u (+ (K - 1) / 2 zero-padded) for each offset u, under a lazy where() that keeps it among the positions, in
// whichever order the loss nests the two sums, with every reduction kind over the positions; checked against central
// finite differences.
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <string>
#include <tests/support/gradient_check.hpp>
#include <vector>

namespace lf = lossforge;
using lf::test::check_tensor_gradient;

namespace {
constexpr lf::tensor<"x", 1> x;
constexpr lf::tensor<"y", 1> y;
constexpr lf::tensor<"w", 1> w;
constexpr lf::tensor<"img", 2> img;
constexpr lf::tensor<"k", 2> k;
constexpr lf::index<"h"> h;
constexpr lf::index<"c"> c;
constexpr lf::window_index<"u"> u;
constexpr lf::window_index<"v"> v;

std::vector<double> const signal{0.3, -1.2, 2.0, 0.7, -0.4, 1.5, 0.9, -2.2};  // 8 samples
std::vector<double> const weights{0.5, -1.0, 0.25};                           // a window of 3
std::vector<double> const target{1.0, 0.0, -0.5, 2.0, 0.3, -1.0};             // 6 positions

constexpr auto filtered = lf::sum(u, w(u) * x(h + u));
}  // namespace

TEMPLATE_TEST_CASE("a windowed sum differentiates with respect to the signal and the window", "[grad][windows]", float,
                   double) {
  using T = TestType;
  std::vector<T> w_t(weights.begin(), weights.end()), x_t(signal.begin(), signal.end()),
      y_t(target.begin(), target.end());
  auto const fit = lf::sum(h, lf::square(filtered - y(h)));
  check_tensor_gradient<T>(fit, x, signal, {8}, [&](auto view) {
    return lf::bind(x = view, y = lf::host_view(y_t), w = lf::host_view(w_t));
  });
  check_tensor_gradient<T>(fit, w, weights, {3}, [&](auto view) {
    return lf::bind(x = lf::host_view(x_t), y = lf::host_view(y_t), w = view);
  });
}

TEMPLATE_TEST_CASE("every reduction over the positions collapses onto the window positions", "[grad][windows]", float,
                   double) {
  using T = TestType;
  std::vector<T> w_t(weights.begin(), weights.end());
  auto with = [&](auto view) { return lf::bind(x = view, w = lf::host_view(w_t)); };
  check_tensor_gradient<T>(lf::mean(h, lf::tanh(filtered)), x, signal, {8}, with);
  check_tensor_gradient<T>(lf::logsumexp(h, filtered), x, signal, {8}, with);
  check_tensor_gradient<T>(lf::reduce_max(h, filtered), x, signal, {8}, with);
}

TEMPLATE_TEST_CASE("the sums may nest either way, and a windowed statistic may be read inside another",
                   "[grad][windows]", float, double) {
  using T = TestType;
  std::vector<T> w_t(weights.begin(), weights.end());
  auto with = [&](auto view) { return lf::bind(x = view, w = lf::host_view(w_t)); };
  // The sum over the offsets outside the one over the positions, and the statistic inside binding its own u.
  check_tensor_gradient<T>(lf::sum(u, lf::sum(h, w(u) * x(h + u) * filtered)), x, signal, {8}, with);
  // A statistic of a statistic's square.
  check_tensor_gradient<T>(lf::sum(h, lf::exp(-lf::square(filtered)) * filtered), x, signal, {8}, with);
}

TEMPLATE_TEST_CASE("a zero-padded window: odd and even extents, the signal and the window", "[grad][windows]", float,
                   double) {
  using T = TestType;
  std::vector<T> x_t(signal.begin(), signal.end()), y_t(8, T(0.25));
  auto const same = lf::sum(h, lf::square(lf::sum(u, w(u) * x(lf::zero_padded(h + u))) - y(h)));
  for (std::size_t width : {3, 4}) {
    std::vector<double> window(weights.begin(), weights.end());
    window.resize(width, 0.75);
    std::vector<T> w_t(window.begin(), window.end());
    check_tensor_gradient<T>(same, x, signal, {8}, [&](auto view) {
      return lf::bind(x = view, y = lf::host_view(y_t), w = lf::host_view(w_t));
    });
    check_tensor_gradient<T>(same, w, window, {std::ptrdiff_t(width)}, [&](auto view) {
      return lf::bind(x = lf::host_view(x_t), y = lf::host_view(y_t), w = view);
    });
  }
}

TEMPLATE_TEST_CASE("a 2-D window over an image", "[grad][windows]", float, double) {
  using T = TestType;
  std::vector<double> image(30);
  for (std::size_t e = 0; e < image.size(); ++e) image[e] = std::sin(0.7 * double(e)) + 0.2;
  std::vector<T> kernel{T(0.1), T(0.3), T(-0.2), T(0.4), T(0.25), T(0.15)};  // [3, 2]
  auto const mean2 = lf::sum(u, lf::sum(v, k(u, v) * img(h + u, c + v)));
  auto const second = lf::sum(u, lf::sum(v, k(u, v) * lf::square(img(h + u, c + v))));
  auto const loss = lf::mean(h, lf::mean(c, lf::square(mean2) / (1 + second)));
  check_tensor_gradient<T>(loss, img, image, {6, 5}, [&](auto view) {
    return lf::bind(img = view, k = lf::host_view(kernel, {3, 2}));
  });
}

TEST_CASE("the gradient of a window gathers under a where, over renamed offsets", "[grad][windows][print]") {
  auto const derivative = lf::grad(lf::sum(h, lf::square(filtered - y(h))), x);
  CHECK(lf::to_text(derivative) ==
        "2 * sum_u'(where(((j0 - u') >= 0) * ((j0 - u') <= N_j0 - N_u'), w[u'] * (-y[(j0 - u')] + sum_u(w[u] * "
        "x[(j0 - u') + u])), 0))");
}

TEST_CASE("the element the gradient is taken for is read at its own index, outside the gather", "[grad][windows][print]") {
  // x(h + u) at the window position h = j0 - u' and offset u' is x[j0]: no sum over u' depends on it.
  auto const derivative = lf::grad(lf::sum(h, lf::square(lf::sum(u, w(u) * lf::square(x(h + u))))), x);
  CHECK(lf::to_text(derivative) ==
        "4 * x[j0] * sum_u'(where(((j0 - u') >= 0) * ((j0 - u') <= N_j0 - N_u'), w[u'] * sum_u(w[u] * "
        "x[(j0 - u') + u]^2), 0))");
}

TEST_CASE("a separable 2-D window's gradient gathers along the rows inside the columns' gather",
          "[grad][windows][print]") {
  // The weight of the columns' offset v' is outside the rows' gather, which reads nothing else of v' than the
  // column j1 - v': a buffer over (j0, column), computed in the work item of row j0 (plan/plan.hpp).
  auto const separable = lf::sum(h, lf::sum(c, lf::square(lf::sum(u, w(u) * lf::sum(v, w(v) * img(h + u, c + v))))));
  CHECK(lf::to_text(lf::grad(separable, img)) ==
        "2 * sum_v'(where(((j1 - v') >= 0) * ((j1 - v') <= N_j1 - N_v'), w[v'] * sum_u'(where(((j0 - u') >= 0) * "
        "((j0 - u') <= N_j0 - N_u'), w[u'] * sum_u(w[u] * sum_v(w[v] * img[(j0 - u') + u,(j1 - v') + v])), 0)), 0))");
  std::vector<double> image(30);
  for (std::size_t e = 0; e < image.size(); ++e) image[e] = std::cos(0.9 * double(e)) - 0.1;
  std::vector<double> weights_2{0.6, -0.3};
  check_tensor_gradient<double>(separable, img, image, {6, 5}, [&](auto view) {
    return lf::bind(img = view, w = lf::host_view(weights_2));
  });
}
