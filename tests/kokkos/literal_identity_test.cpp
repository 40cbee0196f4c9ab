// Every pass that shares work by type keeps runtime numbers apart: two reductions, row caches, costly nodes or
// softmaxes that differ only in a number written in the expression are computed separately, and each fused result
// equals a closed form computed here (and the reference evaluator). The first case is the one that returned a wrong
// number when numbers had no identity: huber(delta 1) + huber(delta 2) gave the value of twice the first.
#include <Kokkos_Core.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::index<"i"> i;
constexpr lf::index<"c"> c;

template <class T>
using vector = Kokkos::View<T*, Kokkos::HostSpace>;
template <class T>
using matrix = Kokkos::View<T**, Kokkos::LayoutRight, Kokkos::HostSpace>;

// n values in [lo, hi], in the View's precision; 37 elements run full SIMD blocks and a remainder.
template <class T>
vector<T> spread(int n, double lo, double hi, int seed) {
  vector<T> v("lossforge::test::input", std::size_t(n));
  for (int k = 0; k < n; ++k) v(k) = T(lo + (hi - lo) * (0.5 + 0.5 * std::sin(1.3 * k + seed)));
  return v;
}
template <class T>
double tol() {
  // Sums of a few dozen terms computed in T and accumulated in double: the finite-difference tolerance of T.
  return lf::test::tolerance<T>::finite_difference;
}

double huber(double d, double delta) { return std::abs(d) < delta ? 0.5 * d * d : delta * (std::abs(d) - 0.5 * delta); }
double huber_slope(double d, double delta) { return std::abs(d) < delta ? d : delta * (d > 0 ? 1 : d < 0 ? -1 : 0); }
double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }
}  // namespace

TEMPLATE_TEST_CASE("plan globals: two Huber means with different deltas", "[kokkos][literal]", float, double) {
  static constexpr auto loss = L::huber(p, g, 1.0, L::mean) + L::huber(p, g, 2.0, L::mean);
  static constexpr auto kernel = lf::kokkos::compile(loss, lf::wrt(p));
  int const n = 37;
  auto const pv = spread<TestType>(n, -4, 4, 1), gv = spread<TestType>(n, -1, 1, 2);
  vector<TestType> dp("dp", n);
  double const value = kernel(lf::bind(p = pv, g = gv), dp);
  double want = 0;
  for (int k = 0; k < n; ++k) {
    double const d = double(pv(k)) - double(gv(k));
    want += (huber(d, 1) + huber(d, 2)) / n;
    CHECK(lf::test::close(double(dp(k)), (huber_slope(d, 1) + huber_slope(d, 2)) / n, tol<TestType>()));
  }
  CHECK(lf::test::close(value, want, tol<TestType>()));
}

TEMPLATE_TEST_CASE("simplifier merging: sums scaled by different numbers add their scales", "[kokkos][literal]", float,
                   double) {
  static constexpr auto loss = lf::sum(1.5 * p * g) + lf::sum(-0.5 * p * g) + lf::sum(0.25 * lf::square(p));
  static constexpr auto kernel = lf::kokkos::compile(loss, lf::wrt(p));
  int const n = 37;
  auto const pv = spread<TestType>(n, -2, 2, 3), gv = spread<TestType>(n, -1, 1, 4);
  vector<TestType> dp("dp", n);
  double const value = kernel(lf::bind(p = pv, g = gv), dp);
  double want = 0;
  for (int k = 0; k < n; ++k) {
    want += double(pv(k)) * double(gv(k)) + 0.25 * double(pv(k)) * double(pv(k));
    CHECK(lf::test::close(double(dp(k)), double(gv(k)) + 0.5 * double(pv(k)), tol<TestType>()));
  }
  CHECK(lf::test::close(value, want, tol<TestType>()));
}

TEMPLATE_TEST_CASE("block sharing: costly nodes that differ in a number are computed apart", "[kokkos][literal]", float,
                   double) {
  static constexpr auto loss = lf::mean(lf::sigmoid(1.0 * p) + 3.0 * lf::sigmoid(2.0 * p));
  static constexpr auto kernel = lf::kokkos::compile(loss, lf::wrt(p));
  int const n = 37;
  auto const pv = spread<TestType>(n, -3, 3, 5);
  vector<TestType> dp("dp", n);
  double const value = kernel(lf::bind(p = pv), dp);
  double want = 0;
  for (int k = 0; k < n; ++k) {
    double const v = double(pv(k)), s1 = sigmoid(v), s2 = sigmoid(2 * v);
    want += (s1 + 3 * s2) / n;
    CHECK(lf::test::close(double(dp(k)), (s1 * (1 - s1) + 6 * s2 * (1 - s2)) / n, tol<TestType>()));
  }
  CHECK(lf::test::close(value, want, tol<TestType>()));
}

// Softmaxes at temperatures 0.5 and 2 over the same logits: the row caches of two log-sum-exps and the stored
// exponentials of two softmaxes that differ only in the temperature.
TEMPLATE_TEST_CASE("row caches and stored exponentials: two temperatures over one row", "[kokkos][literal]", float,
                   double) {
  static constexpr auto nll_at = [](double temperature) {
    return lf::logsumexp(c, x(i, c) / temperature) - x(i, t(i)) / temperature;
  };
  static constexpr auto loss = lf::mean(i, nll_at(0.5) + nll_at(2.0));
  static constexpr auto kernel = lf::kokkos::compile(loss, lf::wrt(x));
  int const rows = 3, classes = 37;
  matrix<TestType> xv("x", rows, classes), dx("dx", rows, classes);
  Kokkos::View<int*, Kokkos::HostSpace> tv("t", rows);
  for (int r = 0; r < rows; ++r) {
    tv(r) = (7 * r) % classes;
    for (int k = 0; k < classes; ++k) xv(r, k) = TestType(2 * std::sin(0.7 * k + r));
  }
  double const value = kernel(lf::bind(x = xv, t = tv), dx);
  double want = 0;
  for (int r = 0; r < rows; ++r) {
    for (double temperature : {0.5, 2.0}) {
      double z = 0;
      for (int k = 0; k < classes; ++k) z += std::exp(double(xv(r, k)) / temperature);
      want += (std::log(z) - double(xv(r, tv(r))) / temperature) / rows;
    }
    for (int k = 0; k < classes; ++k) {
      double d = 0;
      for (double temperature : {0.5, 2.0}) {
        double z = 0;
        for (int j = 0; j < classes; ++j) z += std::exp(double(xv(r, j)) / temperature);
        d += (std::exp(double(xv(r, k)) / temperature) / z - (k == tv(r))) / (temperature * rows);
      }
      CHECK(lf::test::close(double(dx(r, k)), d, tol<TestType>()));
    }
  }
  CHECK(lf::test::close(value, want, tol<TestType>()));
  // The reference evaluator agrees.
  std::vector<double> xs(std::size_t(rows * classes));
  std::vector<int> ts(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    ts[std::size_t(r)] = tv(r);
    for (int k = 0; k < classes; ++k) xs[std::size_t(r * classes + k)] = double(xv(r, k));
  }
  auto const host = lf::bind(x = lf::host_view(xs, {rows, classes}), t = lf::host_view(ts, {rows}));
  CHECK(lf::test::close(lf::reference::evaluate(loss, host), want, 1e-12));
}

TEMPLATE_TEST_CASE("a constexpr kernel whose numbers fold to infinity: smooth L1 with beta 0 is L1", "[kokkos][literal]",
                   float, double) {
  // 1 / beta folds to +inf at compile time; it sits in the branch |d| < 0 that is never taken.
  constexpr auto kernel = lf::kokkos::compile(L::smooth_l1(p, g, 0.0, L::sum), lf::wrt(p));
  int const n = 37;
  auto const pv = spread<TestType>(n, -2, 2, 6), gv = spread<TestType>(n, -2, 2, 7);
  vector<TestType> dp("dp", n);
  double const value = kernel(lf::bind(p = pv, g = gv), dp);
  double want = 0;
  for (int k = 0; k < n; ++k) {
    double const d = double(pv(k)) - double(gv(k));
    want += std::abs(d);
    CHECK(double(dp(k)) == (d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0));
  }
  CHECK(lf::test::close(value, want, tol<TestType>()));
}
