// Host parallelism: on a multi-threaded execution space (OpenMP, Threads) every kind of plan gives the values of the
// single-threaded serial executor within 1e-12 relative in double, and the same bits on every run at a fixed thread
// count. The kinds: rows in vector blocks (Combo), rows along a class axis (label-smoothed cross entropy), chunks of
// rows that recompute a prelude (a weighted mean's denominator), intermediates (per-class Dice, InfoNCE's
// similarity matrix) and a per-element loss. Row counts are uneven, below the thread count and far above it. Run
// with OMP_NUM_THREADS (or Kokkos' --kokkos-num-threads) 1 and 2; on Serial it still pins the serial executor.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <cstring>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/serial.hpp>
#include <lossforge/losses.hpp>
#include <tests/support/tolerance.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"p", 2> p;
constexpr lf::tensor<"g", 2> g;
constexpr lf::tensor<"a", 2> a;
constexpr lf::tensor<"q", 2> q;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::tensor<"cw", 1> cw;
constexpr lf::index<"i"> i;
constexpr lf::index<"j"> j;
constexpr lf::index<"c"> c;
constexpr lf::index<"d"> d;

using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;
using labels = Kokkos::View<int*, Kokkos::HostSpace>;

matrix filled(int rows, int cols, double lo, double hi, double seed) {
  matrix m("lossforge::test::input", std::size_t(rows), std::size_t(cols));
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < cols; ++k) m(r, k) = lo + (hi - lo) * (0.5 + 0.5 * std::sin(1.3 * r + 0.7 * k + seed));
  return m;
}
matrix zeros_like(matrix const& m) { return matrix("lossforge::test::output", m.extent(0), m.extent(1)); }
labels targets(int rows, int classes) {
  labels l("lossforge::test::targets", std::size_t(rows));
  for (int r = 0; r < rows; ++r) l(r) = (7 * r + 3) % classes;
  return l;
}
bool same_bits(matrix const& x, matrix const& y) {
  return std::memcmp(x.data(), y.data(), x.span() * sizeof(double)) == 0;
}
// Every entry within tol of the reference, relative to the reference's largest magnitude.
bool close_to(matrix const& got, matrix const& want, double tol) {
  double scale = 0;
  for (std::size_t k = 0; k < want.span(); ++k) scale = std::max(scale, std::abs(want.data()[k]));
  for (std::size_t k = 0; k < want.span(); ++k)
    if (std::abs(got.data()[k] - want.data()[k]) > tol * std::max(scale, 1e-300)) return false;
  return true;
}
constexpr double across_threads = 1e-12;

// The loss and its gradient wrt the first input: twice on the default host execution space, once serially.
template <auto Loss, class Bind>
void check_thread_invariance(Bind const& bind, matrix const& input) {
  static constexpr auto parallel = lf::kokkos::compile(Loss, lf::wrt(p));
  static constexpr auto serial = lf::serial::compile(Loss, lf::wrt(p));
  INFO("host threads: " << Kokkos::DefaultHostExecutionSpace().concurrency() << ", rows: " << input.extent(0));
  matrix first = zeros_like(input), second = zeros_like(input), reference = zeros_like(input);
  double const v1 = parallel(Kokkos::DefaultHostExecutionSpace{}, bind(), first);
  double const v2 = parallel(Kokkos::DefaultHostExecutionSpace{}, bind(), second);
  double const v0 = serial(bind(), reference);
  CHECK(std::memcmp(&v1, &v2, sizeof(double)) == 0);
  CHECK(same_bits(first, second));
  CHECK(std::abs(v1 - v0) <= across_threads * std::abs(v0));
  CHECK(close_to(first, reference, across_threads));
}
}  // namespace

TEST_CASE("Combo's row blocks give the serial values on every thread count, the same bits on every run",
          "[threads]") {
  for (int rows : {1, 3, 1001, 40000}) {
    matrix const pv = filled(rows, 3, 0.05, 0.95, 0.1), gv = filled(rows, 3, 0.0, 1.0, 2.0);
    check_thread_invariance<L::combo(p, g, 1.0, 0.5)>([&] { return lf::bind(p = pv, g = gv); }, pv);
  }
}

TEST_CASE("Label-smoothed cross entropy over rows of classes is thread-count invariant", "[threads]") {
  constexpr auto smoothed = L::cross_entropy(p, t, L::cross_entropy_options<>{}.label_smoothing(0.1), L::mean);
  for (int rows : {1, 3, 997}) {
    matrix const xv = filled(rows, 37, -4.0, 4.0, 0.3);
    labels const tv = targets(rows, 37);
    check_thread_invariance<smoothed>([&] { return lf::bind(p = xv, t = tv); }, xv);
  }
}

TEST_CASE("Chunks that recompute a prelude are thread-count invariant, fewer rows than chunks included", "[threads]") {
  // The weighted mean's denominator sum_i w[t[i]] is every gradient row's prelude: each chunk of rows recomputes it.
  constexpr auto weighted =
      L::cross_entropy(p, t, L::cross_entropy_options<>{}.weight(cw).ignore_index(-100), L::mean);
  Kokkos::View<double*, Kokkos::HostSpace> wv("lossforge::test::weights", 64);
  for (int k = 0; k < 64; ++k) wv(k) = 0.5 + 0.01 * k;
  for (int rows : {2, 5, 333}) {
    matrix const xv = filled(rows, 64, -3.0, 3.0, 0.9);
    labels const tv = targets(rows, 64);
    tv(rows / 2) = -100;
    check_thread_invariance<weighted>([&] { return lf::bind(p = xv, t = tv, cw = wv); }, xv);
  }
}

TEST_CASE("Intermediates (per-class sums, a similarity matrix) are thread-count invariant", "[threads]") {
  constexpr auto per_class_dice =
      lf::mean(c, 1 - 2 * lf::sum(i, p(i, c) * g(i, c)) / (lf::sum(i, p(i, c)) + lf::sum(i, g(i, c))));
  for (int rows : {1, 7, 2049}) {
    matrix const pv = filled(rows, 4, 0.05, 0.95, 0.4), gv = filled(rows, 4, 0.0, 1.0, 1.1);
    check_thread_invariance<per_class_dice>([&] { return lf::bind(p = pv, g = gv); }, pv);
  }
  // InfoNCE with the anchors as p: row i's positive is candidate i.
  constexpr auto info_nce =
      lf::mean(i, lf::logsumexp(j, lf::sum(d, p(i, d) * q(j, d))) - lf::sum(d, p(i, d) * q(i, d)));
  for (int rows : {1, 3, 129}) {
    matrix const av = filled(rows, 16, -1.0, 1.0, 0.2), qv = filled(rows, 16, -1.0, 1.0, 2.3);
    check_thread_invariance<info_nce>([&] { return lf::bind(p = av, q = qv); }, av);
  }
}

TEST_CASE("A per-element loss and its gradient are written the same on every thread count", "[threads]") {
  static constexpr auto parallel = lf::kokkos::compile(L::mse(p, g, L::none), lf::wrt(p));
  static constexpr auto serial = lf::serial::compile(L::mse(p, g, L::none), lf::wrt(p));
  matrix const pv = filled(1001, 5, -2.0, 2.0, 0.6), gv = filled(1001, 5, -2.0, 2.0, 1.9);
  matrix loss = zeros_like(pv), grad = zeros_like(pv), loss0 = zeros_like(pv), grad0 = zeros_like(pv);
  parallel(Kokkos::DefaultHostExecutionSpace{}, lf::bind(p = pv, g = gv), loss, grad);
  Kokkos::fence();
  serial(lf::bind(p = pv, g = gv), loss0, grad0);
  CHECK(same_bits(loss, loss0));  // elementwise: no sum whose order the thread count could change
  CHECK(same_bits(grad, grad0));
}
