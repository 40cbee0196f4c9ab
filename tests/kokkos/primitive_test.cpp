// Primitives with their own vector-Jacobian product inside a loss. The primitive here is a valid 1-D correlation of
// each row of x [N, L] with a kernel w [K] (result [N, L - K + 1]), differentiated with respect to both arguments;
// the losses' values are checked against the definition written out in loops, their gradients against central
// differences of that definition, in double and in float. Then: a tensor read both directly and through the
// primitive, the per-element loss, gradient_only, an argument whose gradient is not asked for, indexed reads of a
// result, the plan listing and a shape error naming the result; and the errors of the catalogue's perceptual loss.
#include <Kokkos_Core.hpp>
#include <array>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <functional>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <stdexcept>
#include <tests/support/kokkos_events.hpp>
#include <tests/support/tolerance.hpp>

namespace lf = lossforge;

namespace {

int forward_calls = 0, vjp_calls = 0, vjp_calls_without_dx = 0, vjp_calls_after_its_forward = 0;

struct correlate_impl {
  static constexpr lf::fixed_string name = "correlate";
  static constexpr int rank = 2;
  template <class X, class W>
  std::array<std::size_t, 2> extents(X const& x, W const& w) const {
    return {x.extent(0), x.extent(1) - w.extent(0) + 1};
  }
  bool forward_ran = false;  // on this object: the vjp runs on the object the forward ran on (its residuals)

  template <class Exec, class X, class W, class R>
  void forward(Exec const& exec, X const& x, W const& w, R const& r) {
    ++forward_calls;
    forward_ran = true;
    Kokkos::parallel_for(
        Kokkos::RangePolicy<Exec>(exec, 0, r.extent(0)), KOKKOS_LAMBDA(std::size_t n) {
          for (std::size_t j = 0; j < r.extent(1); ++j) {
            double s = 0;
            for (std::size_t k = 0; k < w.extent(0); ++k) s += double(x(n, j + k)) * double(w(k));
            r(n, j) = s;
          }
        });
  }
  // dx[n, j + k] += u[n, j] w[k] (pulled: each x element gathers its positions), dw[k] += sum u[n, j] x[n, j + k].
  template <class Exec, class U, class X, class W, class DX, class DW>
  void vjp(Exec const& exec, U const& u, X const& x, W const& w, DX const& dx, DW const& dw) const {
    ++vjp_calls;
    vjp_calls_after_its_forward += forward_ran;
    vjp_calls_without_dx += dx.data() == nullptr;
    std::size_t const K = w.extent(0), J = u.extent(1);
    if (dx.data() != nullptr)
      Kokkos::parallel_for(
          Kokkos::RangePolicy<Exec>(exec, 0, x.extent(0)), KOKKOS_LAMBDA(std::size_t n) {
            for (std::size_t l = 0; l < x.extent(1); ++l)
              for (std::size_t k = 0; k < K; ++k)
                if (l >= k && l - k < J) dx(n, l) += u(n, l - k) * w(k);
          });
    if (dw.data() != nullptr)
      Kokkos::parallel_for(
          Kokkos::RangePolicy<Exec>(exec, 0, K), KOKKOS_LAMBDA(std::size_t k) {
            double s = 0;
            for (std::size_t n = 0; n < u.extent(0); ++n)
              for (std::size_t j = 0; j < J; ++j) s += double(u(n, j)) * double(x(n, j + k));
            dw(k) += s;
          });
  }
};
constexpr lf::primitive<correlate_impl> correlate;

constexpr lf::tensor<"x", 2> x;
constexpr lf::tensor<"w", 1> w;
constexpr lf::tensor<"y", 2> y;

template <class T>
using matrix = Kokkos::View<T**, Kokkos::LayoutRight, Kokkos::HostSpace>;
template <class T>
using vector = Kokkos::View<T*, Kokkos::HostSpace>;

constexpr std::size_t N = 3, L = 9, K = 3, J = L - K + 1;

struct data {
  matrix<double> x{"x", N, L}, y{"y", N, J};
  vector<double> w{"w", K};
  data() {
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t l = 0; l < L; ++l) x(n, l) = std::sin(0.7 * double(n * L + l) + 0.3);
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t j = 0; j < J; ++j) y(n, j) = 0.4 * std::cos(1.3 * double(n * J + j));
    for (std::size_t k = 0; k < K; ++k) w(k) = 0.5 - 0.3 * double(k);
  }
};

// The definition: r = correlate(x, w), loss = mean((r - y)^2) (+ extra(x)).
double by_definition(data const& d, double x_weight = 0) {
  double total = 0, extra = 0;
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < J; ++j) {
      double r = 0;
      for (std::size_t k = 0; k < K; ++k) r += d.x(n, j + k) * d.w(k);
      total += (r - d.y(n, j)) * (r - d.y(n, j));
    }
  for (std::size_t e = 0; e < d.x.size(); ++e) extra += d.x.data()[e] * d.x.data()[e];
  return total / double(N * J) + x_weight * extra;
}

// The largest difference between gradient g of tensor v and central differences of f.
template <class G, class V>
double against_central_differences(G const& g, V const& v, std::function<double()> const& f) {
  double largest = 0;
  for (std::size_t e = 0; e < v.size(); ++e) {
    double const keep = v.data()[e];
    auto const at = [&](double value) {
      v.data()[e] = value;
      double const loss = f();
      v.data()[e] = keep;
      return loss;
    };
    largest = std::max(largest, std::abs(double(g.data()[e]) - lf::test::central_difference(at, keep)));
  }
  return largest;
}

// The project's finite-difference tolerance in double: central differences with a step of eps^(1/3) |x| agree to
// about 1e-10 of the function's scale, and a wrong gradient is off by its own size.
constexpr double fd_tolerance = lf::test::tolerance<double>::finite_difference;

constexpr auto fit = lf::mean(lf::square(correlate(x, w) - y));

}  // namespace

TEST_CASE("a primitive's result is a tensor of the loss; its vjp carries the gradient to its arguments",
          "[kokkos][primitive]") {
  static constexpr auto kernel = lf::kokkos::compile(fit, lf::wrt(x, w));
  data d;
  matrix<double> dx("dx", N, L);
  vector<double> dw("dw", K);
  auto const loss = [&] { return kernel(lf::bind(x = d.x, w = d.w, y = d.y), dx, dw); };
  CHECK(std::abs(loss() - by_definition(d)) < 1e-15);
  matrix<double> const gx("gx", N, L);
  vector<double> const gw("gw", K);
  Kokkos::deep_copy(gx, dx);
  Kokkos::deep_copy(gw, dw);
  auto const definition = [&] { return by_definition(d); };
  CHECK(against_central_differences(gx, d.x, definition) < fd_tolerance);
  CHECK(against_central_differences(gw, d.w, definition) < fd_tolerance);
  // A second call overwrites the gradients (the kernel writes the direct part, or zero, before the vjp adds), and
  // runs the primitive's forward and its vjp once each, on one object.
  forward_calls = vjp_calls = vjp_calls_after_its_forward = 0;
  loss();
  CHECK(forward_calls == 1);
  CHECK(vjp_calls == 1);
  CHECK(vjp_calls_after_its_forward == 1);
  for (std::size_t e = 0; e < dx.size(); ++e) CHECK(dx.data()[e] == gx.data()[e]);
}

TEST_CASE("a primitive's kernels run in the Views' precision", "[kokkos][primitive]") {
  static constexpr auto kernel = lf::kokkos::compile(fit, lf::wrt(x, w));
  data d;
  matrix<float> xf("x", N, L), yf("y", N, J), dx("dx", N, L);
  vector<float> wf("w", K), dw("dw", K);
  for (std::size_t e = 0; e < xf.size(); ++e) xf.data()[e] = float(d.x.data()[e]);
  for (std::size_t e = 0; e < yf.size(); ++e) yf.data()[e] = float(d.y.data()[e]);
  for (std::size_t e = 0; e < wf.size(); ++e) wf.data()[e] = float(d.w.data()[e]);
  for (std::size_t e = 0; e < xf.size(); ++e) d.x.data()[e] = double(xf.data()[e]);  // the float inputs, exactly
  for (std::size_t e = 0; e < yf.size(); ++e) d.y.data()[e] = double(yf.data()[e]);
  for (std::size_t e = 0; e < wf.size(); ++e) d.w.data()[e] = double(wf.data()[e]);
  double const value = kernel(lf::bind(x = xf, w = wf, y = yf), dx, dw);
  // float rounding of a few dozen terms of order 1: the float tolerance of the conformance cases.
  CHECK(lf::test::close(value, by_definition(d), lf::test::tolerance<float>::conformance));
  auto const definition = [&] { return by_definition(d); };
  CHECK(against_central_differences(dx, d.x, definition) < lf::test::tolerance<float>::finite_difference);
  CHECK(against_central_differences(dw, d.w, definition) < lf::test::tolerance<float>::finite_difference);
}

TEST_CASE("a tensor read directly and through a primitive gets both parts of its gradient", "[kokkos][primitive]") {
  static constexpr auto kernel = lf::kokkos::compile(fit + 0.25 * lf::sum(lf::square(x)), lf::wrt(x));
  data d;
  matrix<double> dx("dx", N, L);
  auto const loss = [&] { return kernel(lf::bind(x = d.x, w = d.w, y = d.y), dx); };
  CHECK(std::abs(loss() - by_definition(d, 0.25)) < 1e-14);
  matrix<double> const gx("gx", N, L);
  Kokkos::deep_copy(gx, dx);
  CHECK(against_central_differences(gx, d.x, [&] { return by_definition(d, 0.25); }) < fd_tolerance);
}

TEST_CASE("a per-element loss over a primitive's result, and the gradients alone", "[kokkos][primitive]") {
  data d;
  SECTION("per element: the loss at each position, the gradient of their sum") {
    static constexpr auto kernel = lf::kokkos::compile(lf::square(correlate(x, w) - y), lf::wrt(w));
    matrix<double> each("each", N, J);
    vector<double> dw("dw", K);
    kernel(lf::bind(x = d.x, w = d.w, y = d.y), each, dw);
    Kokkos::fence();
    double total = 0;
    for (std::size_t e = 0; e < each.size(); ++e) total += each.data()[e];
    CHECK(std::abs(total - double(N * J) * by_definition(d)) < 1e-13);
    vector<double> const gw("gw", K);
    Kokkos::deep_copy(gw, dw);
    CHECK(against_central_differences(gw, d.w, [&] { return double(N * J) * by_definition(d); }) < fd_tolerance);
  }
  SECTION("gradient_only") {
    static constexpr auto kernel = lf::kokkos::compile(fit, lf::wrt(x), lf::gradient_only);
    matrix<double> dx("dx", N, L);
    kernel(lf::bind(x = d.x, w = d.w, y = d.y), dx);
    Kokkos::fence();
    matrix<double> const gx("gx", N, L);
    Kokkos::deep_copy(gx, dx);
    CHECK(against_central_differences(gx, d.x, [&] { return by_definition(d); }) < fd_tolerance);
  }
}

TEST_CASE("a primitive's vjp gets an empty View for an argument not differentiated", "[kokkos][primitive]") {
  static constexpr auto kernel = lf::kokkos::compile(fit, lf::wrt(w));
  data d;
  vector<double> dw("dw", K);
  vjp_calls = vjp_calls_without_dx = 0;
  kernel(lf::bind(x = d.x, w = d.w, y = d.y), dw);
  CHECK(vjp_calls == 1);
  CHECK(vjp_calls_without_dx == 1);
  vector<double> const gw("gw", K);
  Kokkos::deep_copy(gw, dw);
  CHECK(against_central_differences(gw, d.w, [&] { return by_definition(d); }) < fd_tolerance);
  SECTION("and no vjp runs for a primitive none of whose arguments is differentiated") {
    static constexpr auto value_only = lf::kokkos::compile(fit);
    vjp_calls = 0;
    CHECK(std::abs(value_only(lf::bind(x = d.x, w = d.w, y = d.y)) - by_definition(d)) < 1e-15);
    CHECK(vjp_calls == 0);
  }
}

TEST_CASE("a primitive's result read with indices", "[kokkos][primitive]") {
  constexpr lf::index<"n"> n;
  constexpr lf::index<"j"> j;
  // sum_n max_j r[n, j] y[n, j]: a row statistic of the result
  static constexpr auto kernel =
      lf::kokkos::compile(lf::sum(n, lf::reduce_max(j, correlate(x, w)(n, j) * y(n, j))), lf::wrt(x));
  data d;
  matrix<double> dx("dx", N, L);
  auto const definition = [&] {
    double total = 0;
    for (std::size_t r = 0; r < N; ++r) {
      double best = -1e300;
      for (std::size_t c = 0; c < J; ++c) {
        double v = 0;
        for (std::size_t k = 0; k < K; ++k) v += d.x(r, c + k) * d.w(k);
        best = std::max(best, v * d.y(r, c));
      }
      total += best;
    }
    return total;
  };
  CHECK(std::abs(kernel(lf::bind(x = d.x, w = d.w, y = d.y), dx) - definition()) < 1e-14);
  matrix<double> const gx("gx", N, L);
  Kokkos::deep_copy(gx, dx);
  CHECK(against_central_differences(gx, d.x, definition) < fd_tolerance);
}

TEST_CASE("the plan lists a primitive's forward and vjp around the fused passes", "[kokkos][primitive]") {
  static constexpr auto kernel = lf::kokkos::compile(fit + 0.25 * lf::sum(lf::square(x)), lf::wrt(x, w));
  std::string const plan = kernel.describe();
  INFO(plan);
  CHECK_THAT(plan, Catch::Matchers::StartsWith("primitive       correlate(x, w) = correlate's forward\npass 1\n"));
  CHECK_THAT(plan, Catch::Matchers::ContainsSubstring("write       dloss/dcorrelate(x, w) = "));
  CHECK_THAT(plan, !Catch::Matchers::ContainsSubstring("pass 2"));  // the fused plan: one pass, value and gradients
  CHECK_THAT(plan,
             Catch::Matchers::EndsWith("primitive       dloss/dx += correlate's vjp of dloss/dcorrelate(x, w)\n"
                                       "primitive       dloss/dw += correlate's vjp of dloss/dcorrelate(x, w)\n"));
  CHECK(lf::to_text(fit) == "mean((correlate(x, w) - y)^2)");
}

TEST_CASE("a tensor whose shape does not fit a primitive's result is an error naming both", "[kokkos][primitive]") {
  static constexpr auto kernel = lf::kokkos::compile(fit, lf::wrt(x));
  data d;
  matrix<double> y_long("y", N, L), dx("dx", N, L);
  CHECK_THROWS_WITH(kernel(lf::bind(x = d.x, w = d.w, y = y_long), dx),
                    Catch::Matchers::ContainsSubstring("correlate(x, w)") && Catch::Matchers::ContainsSubstring("'y'"));
}

TEST_CASE("the perceptual loss names the layer whose weight or bias does not fit", "[kokkos][primitive]") {
  namespace L = lf::losses;
  constexpr lf::tensor<"img", 4> img;
  constexpr lf::tensor<"ref", 4> ref;
  constexpr lf::tensor<"w1", 4> w1;
  constexpr lf::tensor<"b1", 1> b1;
  constexpr lf::tensor<"w2", 4> w2;
  constexpr lf::tensor<"b2", 1> b2;
  using images = Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace>;
  images const x("x", 1, 2, 4, 4), y("y", 1, 2, 4, 4), dx("dx", 1, 2, 4, 4), w1v("w1", 3, 2, 3, 3),
      w2v("w2", 2, 3, 3, 3);
  vector<double> const b1v("b1", 3), b2v("b2", 2);
  static constexpr auto kernel = lf::kokkos::compile(L::perceptual_loss(img, ref, w1, b1, w2, b2), lf::wrt(img));
  CHECK(kernel(lf::bind(img = x, ref = y, w1 = w1v, b1 = b1v, w2 = w2v, b2 = b2v), dx) == 0);  // equal images
  // The layers' forwards keep their activations for the vjps, which convolve no image again: the two dloss/dresult
  // fills, six convolutions (layer 1 of x and of y; layer 2 of each, through its layer 1), dx's zero fill, the fused
  // pass's two kernels, then layer 1's vjp (one kernel) and layer 2's (a fill of dloss/dlayer1 and two kernels).
  CHECK(lf::test::kernels_launched([&] {
          kernel(lf::bind(img = x, ref = y, w1 = w1v, b1 = b1v, w2 = w2v, b2 = b2v), dx);
        }) == 2 + 6 + 1 + 2 + 1 + 3);
  images const w1_wrong("w1", 3, 1, 3, 3);
  CHECK_THROWS_WITH(kernel(lf::bind(img = x, ref = y, w1 = w1_wrong, b1 = b1v, w2 = w2v, b2 = b2v), dx),
                    Catch::Matchers::ContainsSubstring("layer 1's weight has shape [3,1,3,3]"));
  vector<double> const b2_wrong("b2", 3);
  CHECK_THROWS_WITH(kernel(lf::bind(img = x, ref = y, w1 = w1v, b1 = b1v, w2 = w2v, b2 = b2_wrong), dx),
                    Catch::Matchers::ContainsSubstring("layer 2's bias has shape [3] for 2 output channels"));
}
