// Materialized intermediates: a reduction with free indices that every row of a gradient would otherwise recompute
// (a class's sums, another row's log-sum-exp, an entry of a similarity matrix) is computed once, into a buffer, in
// an earlier pass. Each loss is written in the DSL as a user would and checked against closed forms computed here;
// pass counts are pinned by counting launches, the buffers' allocations by Kokkos' allocation callbacks.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <tests/support/kokkos_events.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"p", 2> p;
constexpr lf::tensor<"g", 2> g;
constexpr lf::tensor<"a", 2> a;
constexpr lf::tensor<"q", 2> q;
constexpr lf::index<"i"> i;
constexpr lf::index<"j"> j;
constexpr lf::index<"c"> c;
constexpr lf::index<"d"> d;

template <class T>
using matrix = Kokkos::View<T**, Kokkos::LayoutRight, Kokkos::HostSpace>;

template <class T>
matrix<T> filled(int rows, int cols, double lo, double hi, double seed) {
  matrix<T> m("lossforge::test::input", std::size_t(rows), std::size_t(cols));
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < cols; ++k) m(r, k) = T(lo + (hi - lo) * (0.5 + 0.5 * std::sin(1.3 * r + 0.7 * k + seed)));
  return m;
}
template <class T>
matrix<T> zeros_like(matrix<T> const& m) {
  return matrix<T>("lossforge::test::output", m.extent(0), m.extent(1));
}
template <class T>
double tol() {
  return lf::test::tolerance<T>::finite_difference;
}
// Every entry of got equals want(r, k), relative to the largest |want| (a gradient's entries are all ~1 / size).
template <class T, class Want>
bool matches(matrix<T> const& got, Want const& want) {
  double scale = 0;
  for (std::size_t r = 0; r < got.extent(0); ++r)
    for (std::size_t k = 0; k < got.extent(1); ++k) scale = std::max(scale, std::abs(want(int(r), int(k))));
  for (std::size_t r = 0; r < got.extent(0); ++r)
    for (std::size_t k = 0; k < got.extent(1); ++k)
      if (!lf::test::close(double(got(r, k)) / scale, want(int(r), int(k)) / scale, tol<T>())) return false;
  return true;
}

// Per-class soft Dice over [N, C], as segmentation libraries average it over the classes.
constexpr auto per_class_dice =
    lf::mean(c, 1 - 2 * lf::sum(i, p(i, c) * g(i, c)) / (lf::sum(i, p(i, c)) + lf::sum(i, g(i, c))));
// Per-class Tversky index loss with alpha 0.3 (false positives) and beta 0.7 (false negatives).
constexpr auto true_positives = lf::sum(i, p(i, c) * g(i, c));
constexpr auto per_class_tversky =
    lf::mean(c, 1 - true_positives / (true_positives + 0.3 * lf::sum(i, p(i, c) * (1 - g(i, c))) +
                                      0.7 * lf::sum(i, (1 - p(i, c)) * g(i, c))));
// InfoNCE over anchors a and candidates q: row i's positive is candidate i.
constexpr auto similarity = lf::sum(d, a(i, d) * q(j, d));
constexpr auto info_nce = lf::mean(i, lf::logsumexp(j, similarity) - lf::sum(d, a(i, d) * q(i, d)));
// CLIP's symmetric loss: InfoNCE over the rows and over the columns of the similarity matrix.
constexpr auto clip = 0.5 * (lf::mean(i, lf::logsumexp(j, similarity)) + lf::mean(j, lf::logsumexp(i, similarity))) -
                      lf::mean(i, lf::sum(d, a(i, d) * q(i, d)));

// The sums of the per-class losses, class by class.
struct class_sums {
  std::vector<double> tp, fp, fn, sum_p, sum_g;
};
template <class T>
class_sums sums_of(matrix<T> const& pv, matrix<T> const& gv) {
  std::size_t const n = pv.extent(0), classes = pv.extent(1);
  class_sums s{std::vector<double>(classes), std::vector<double>(classes), std::vector<double>(classes),
               std::vector<double>(classes), std::vector<double>(classes)};
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < classes; ++k) {
      double const x = double(pv(r, k)), y = double(gv(r, k));
      s.tp[k] += x * y;
      s.fp[k] += x * (1 - y);
      s.fn[k] += (1 - x) * y;
      s.sum_p[k] += x;
      s.sum_g[k] += y;
    }
  return s;
}

// The similarity matrix, and the log-sum-exp of each of its rows and of each of its columns.
struct similarities {
  int m;
  std::vector<double> s, row_lse, column_lse;
  double at(int r, int k) const { return s[std::size_t(r * m + k)]; }
};
template <class T>
similarities similarities_of(matrix<T> const& av, matrix<T> const& qv) {
  int const m = int(av.extent(0)), dims = int(av.extent(1));
  similarities out{m, std::vector<double>(std::size_t(m * m)), std::vector<double>(std::size_t(m)),
                   std::vector<double>(std::size_t(m))};
  for (int r = 0; r < m; ++r)
    for (int k = 0; k < m; ++k) {
      double s = 0;
      for (int e = 0; e < dims; ++e) s += double(av(r, e)) * double(qv(k, e));
      out.s[std::size_t(r * m + k)] = s;
    }
  auto lse = [&](auto const& entry) {
    double top = -INFINITY, total = 0;
    for (int k = 0; k < m; ++k) top = std::max(top, entry(k));
    for (int k = 0; k < m; ++k) total += std::exp(entry(k) - top);
    return top + std::log(total);
  };
  for (int r = 0; r < m; ++r) {
    out.row_lse[std::size_t(r)] = lse([&](int k) { return out.at(r, k); });
    out.column_lse[std::size_t(r)] = lse([&](int k) { return out.at(k, r); });
  }
  return out;
}
}  // namespace

TEMPLATE_TEST_CASE("per-class Dice: the class sums are computed once, value and gradient in 2 passes",
                   "[kokkos][intermediates]", float, double) {
  static constexpr auto kernel = lf::kokkos::compile(per_class_dice, lf::wrt(p));
  STATIC_REQUIRE(kernel.plan.pass_count == 2);
  // Per class: the gradient's two terms that do not depend on the row, each computed once from the class's sums.
  STATIC_REQUIRE(kernel.plan.intermediate_count == 2);
  int const n = 1000, classes = 4;
  auto const pv = filled<TestType>(n, classes, 0.05, 0.95, 1), gv = filled<TestType>(n, classes, 0, 1, 2);
  auto dp = zeros_like(pv);
  double value = 0;
  CHECK(lf::test::kernels_launched([&] { value = kernel(lf::bind(p = pv, g = gv), dp); }) == 2);

  auto const s = sums_of(pv, gv);
  double want = 0;
  for (int k = 0; k < classes; ++k)
    want += (1 - 2 * s.tp[std::size_t(k)] / (s.sum_p[std::size_t(k)] + s.sum_g[std::size_t(k)])) / classes;
  CHECK(lf::test::close(value, want, tol<TestType>()));
  CHECK(matches(dp, [&](int r, int k) {
    double const den = s.sum_p[std::size_t(k)] + s.sum_g[std::size_t(k)];
    return (-2 * double(gv(r, k)) / den + 2 * s.tp[std::size_t(k)] / (den * den)) / classes;
  }));
  // The listing names each buffer with its indices, and with a call's arguments its size.
  std::string const listing = kernel.describe(lf::bind(p = pv, g = gv), dp);
  CHECK(listing.find("write       t1[c] = ") != std::string::npos);
  CHECK(listing.find("t2[c]") != std::string::npos);
  CHECK(listing.find("buffers         t1[c] 4 doubles (32 B), t2[c] 4 doubles (32 B)") != std::string::npos);
}

TEST_CASE("per-class Dice: the fused gradient equals the reference evaluator's", "[kokkos][intermediates]") {
  static constexpr auto kernel = lf::kokkos::compile(per_class_dice, lf::wrt(p));
  int const n = 37, classes = 3;
  auto const pv = filled<double>(n, classes, 0.05, 0.95, 3), gv = filled<double>(n, classes, 0, 1, 4);
  auto dp = zeros_like(pv);
  double const value = kernel(lf::bind(p = pv, g = gv), dp);
  std::vector<double> ps(std::size_t(n * classes)), gs(std::size_t(n * classes));
  for (int r = 0; r < n; ++r)
    for (int k = 0; k < classes; ++k) {
      ps[std::size_t(r * classes + k)] = pv(r, k);
      gs[std::size_t(r * classes + k)] = gv(r, k);
    }
  auto const host = lf::bind(p = lf::host_view(ps, {n, classes}), g = lf::host_view(gs, {n, classes}));
  CHECK(lf::test::close(value, lf::reference::evaluate(per_class_dice, host), 1e-12));
  auto const want = lf::reference::evaluate(lf::grad(per_class_dice, p), host);
  CHECK(matches(dp, [&](int r, int k) { return want.values[std::size_t(r * classes + k)]; }));
}

TEMPLATE_TEST_CASE("per-class Tversky: 2 passes", "[kokkos][intermediates]", float, double) {
  static constexpr auto kernel = lf::kokkos::compile(per_class_tversky, lf::wrt(p));
  STATIC_REQUIRE(kernel.plan.pass_count == 2);
  int const n = 333, classes = 5;
  auto const pv = filled<TestType>(n, classes, 0.05, 0.95, 5), gv = filled<TestType>(n, classes, 0, 1, 6);
  auto dp = zeros_like(pv);
  double value = 0;
  CHECK(lf::test::kernels_launched([&] { value = kernel(lf::bind(p = pv, g = gv), dp); }) == 2);
  auto const s = sums_of(pv, gv);
  double want = 0;
  for (std::size_t k = 0; k < std::size_t(classes); ++k)
    want += (1 - s.tp[k] / (s.tp[k] + 0.3 * s.fp[k] + 0.7 * s.fn[k])) / classes;
  CHECK(lf::test::close(value, want, tol<TestType>()));
  CHECK(matches(dp, [&](int r, int k) {
    std::size_t const u = std::size_t(k);
    double const y = double(gv(r, k)), den = s.tp[u] + 0.3 * s.fp[u] + 0.7 * s.fn[u];
    return -(y * den - s.tp[u] * (y + 0.3 * (1 - y) - 0.7 * y)) / (den * den) / classes;
  }));
}

TEMPLATE_TEST_CASE("InfoNCE: similarities and log-sum-exps computed once, value and both gradients in 2 passes",
                   "[kokkos][intermediates]", float, double) {
  static constexpr auto kernel = lf::kokkos::compile(info_nce, lf::wrt(a, q));
  STATIC_REQUIRE(kernel.plan.pass_count <= 2);
  STATIC_REQUIRE(kernel.plan.intermediate_count > 0);
  int const m = 37, dims = 8;
  auto const av = filled<TestType>(m, dims, -1, 1, 7), qv = filled<TestType>(m, dims, -1, 1, 8);
  auto da = zeros_like(av), dq = zeros_like(qv);
  double value = 0;
  // Pass 1 over the anchors, pass 2 one kernel per gradient.
  CHECK(lf::test::kernels_launched([&] { value = kernel(lf::bind(a = av, q = qv), da, dq); }) <= 3);

  auto const s = similarities_of(av, qv);
  double want = 0;
  for (int r = 0; r < m; ++r) want += (s.row_lse[std::size_t(r)] - s.at(r, r)) / m;
  CHECK(lf::test::close(value, want, tol<TestType>()));
  // d/da[x,e] = (sum_y softmax(x, y) q[y,e] - q[x,e]) / M; d/dq[y,e] = (sum_x softmax(x, y) a[x,e] - a[y,e]) / M.
  auto softmax = [&](int x, int y) { return std::exp(s.at(x, y) - s.row_lse[std::size_t(x)]); };
  CHECK(matches(da, [&](int x, int e) {
    double total = -double(qv(x, e));
    for (int y = 0; y < m; ++y) total += softmax(x, y) * double(qv(y, e));
    return total / m;
  }));
  CHECK(matches(dq, [&](int y, int e) {
    double total = -double(av(y, e));
    for (int x = 0; x < m; ++x) total += softmax(x, y) * double(av(x, e));
    return total / m;
  }));
}

TEMPLATE_TEST_CASE("CLIP's symmetric contrastive loss: both directions in 2 passes", "[kokkos][intermediates]", float,
                   double) {
  static constexpr auto kernel = lf::kokkos::compile(clip, lf::wrt(a, q));
  STATIC_REQUIRE(kernel.plan.pass_count <= 2);
  STATIC_REQUIRE(kernel.plan.intermediate_count > 0);
  int const m = 19, dims = 6;
  auto const av = filled<TestType>(m, dims, -1, 1, 9), qv = filled<TestType>(m, dims, -1, 1, 10);
  auto da = zeros_like(av), dq = zeros_like(qv);
  double const value = kernel(lf::bind(a = av, q = qv), da, dq);

  auto const s = similarities_of(av, qv);
  double want = 0;
  for (std::size_t r = 0; r < std::size_t(m); ++r)
    want += (0.5 * (s.row_lse[r] + s.column_lse[r]) - s.at(int(r), int(r))) / m;
  CHECK(lf::test::close(value, want, tol<TestType>()));
  // Row softmax (over y for anchor x) and column softmax (over x for candidate y), each direction weighted 1/2.
  auto by_row = [&](int x, int y) { return std::exp(s.at(x, y) - s.row_lse[std::size_t(x)]); };
  auto by_column = [&](int x, int y) { return std::exp(s.at(x, y) - s.column_lse[std::size_t(y)]); };
  CHECK(matches(da, [&](int x, int e) {
    double total = -double(qv(x, e));
    for (int y = 0; y < m; ++y) total += 0.5 * (by_row(x, y) + by_column(x, y)) * double(qv(y, e));
    return total / m;
  }));
  CHECK(matches(dq, [&](int y, int e) {
    double total = -double(av(y, e));
    for (int x = 0; x < m; ++x) total += 0.5 * (by_row(x, y) + by_column(x, y)) * double(av(x, e));
    return total / m;
  }));
}

TEST_CASE("a per-element loss keeps its index order when a buffer is laid out the other way round",
          "[kokkos][intermediates]") {
  // loss[i,j] = sum_d max(w[d], e[i,j]) with e[i,j] = exp((lse_k a[i,k] b[j,k] + lse_m z[j,m]) / 2): e is computed
  // once per (i, j), not once per d. Its work items run over j, where lse_m z[j,m] is a row's cached value (over i
  // it would need a buffer of its own), so its buffer is laid out [j, i]; the loss is still laid out [i, j].
  constexpr lf::tensor<"b", 2> b;
  constexpr lf::tensor<"z", 2> z;
  constexpr lf::tensor<"w", 1> wt;
  constexpr lf::index<"k"> k;
  constexpr lf::index<"m"> m;
  static constexpr auto loss =
      lf::sum(d, lf::max(wt(d), lf::exp(0.5 * (lf::logsumexp(k, a(i, k) * b(j, k)) + lf::logsumexp(m, z(j, m))))));
  static constexpr auto kernel = lf::kokkos::compile(loss);
  STATIC_REQUIRE(kernel.plan.intermediate_count == 1);
  int const rows = 5, columns = 3, inner = 4, width = 6, terms = 7;
  auto const av = filled<double>(rows, inner, -1, 1, 15), bv = filled<double>(columns, inner, -1, 1, 16),
             zv = filled<double>(columns, width, -1, 1, 17);
  Kokkos::View<double*, Kokkos::HostSpace> wv("lossforge::test::w", terms);
  for (int e = 0; e < terms; ++e) wv(e) = 0.5 * e;
  matrix<double> out("lossforge::test::out", rows, columns);
  kernel(lf::bind(a = av, b = bv, z = zv, wt = wv), out);
  CHECK(matches(out, [&](int r, int col) {
    double first = 0, second = 0, total = 0;
    for (int e = 0; e < inner; ++e) first += std::exp(av(r, e) * bv(col, e));
    for (int e = 0; e < width; ++e) second += std::exp(zv(col, e));
    double const entry = std::exp(0.5 * (std::log(first) + std::log(second)));
    for (int e = 0; e < terms; ++e) total += std::max(wv(e), entry);
    return total;
  }));
}

TEST_CASE("an index read only through a buffer keeps its extent, and a mismatch is an error",
          "[kokkos][intermediates]") {
  constexpr lf::tensor<"y", 2> y;
  constexpr lf::tensor<"z", 1> z;
  // z[i] * lse_j y[c,j]: the log-sum-exp over each class is a buffer over c, and c's extent comes from y.
  static constexpr auto outer = lf::kokkos::compile(z(i) * lf::logsumexp(j, y(c, j)));
  STATIC_REQUIRE(outer.plan.intermediate_count == 1);
  Kokkos::View<double*, Kokkos::HostSpace> zv("lossforge::test::z", 4);
  for (int r = 0; r < 4; ++r) zv(r) = r - 1.5;
  auto const yv = filled<double>(3, 5, -2, 2, 18);
  matrix<double> out("lossforge::test::out", 4, 3);
  outer(lf::bind(z = zv, y = yv), out);
  CHECK(matches(out, [&](int r, int k) {
    double total = 0;
    for (int e = 0; e < 5; ++e) total += std::exp(yv(k, e));
    return zv(r) * std::log(total);
  }));
  // p[i,c] * lse_j y[c,j] with p of 5 classes and y of 3: the shapes disagree on c, as without a buffer.
  static constexpr auto mismatch = lf::kokkos::compile(p(i, c) * lf::logsumexp(j, y(c, j)));
  auto const pv = filled<double>(4, 5, 0, 1, 19);
  matrix<double> wrong("lossforge::test::out", 4, 5);
  CHECK_THROWS_AS(mismatch(lf::bind(p = pv, y = yv), wrong), std::invalid_argument);
}

TEST_CASE("a workspace allocates the buffers on the first call and reuses them", "[kokkos][intermediates]") {
  static constexpr auto kernel = lf::kokkos::compile(per_class_dice, lf::wrt(p));
  auto const pv = filled<double>(100, 4, 0.05, 0.95, 11), gv = filled<double>(100, 4, 0, 1, 12);
  auto dp = zeros_like(pv);
  lf::kokkos::workspace<> ws;
  double first = 0, second = 0;
  CHECK(lf::test::allocations_made(
            [&] { first = kernel(Kokkos::DefaultHostExecutionSpace{}, lf::bind(p = pv, g = gv), ws, dp); }) == 2);
  CHECK(lf::test::allocations_made([&] { second = kernel(lf::bind(p = pv, g = gv), ws, dp); }) == 0);
  CHECK(first == second);
  // More classes need larger buffers; the same number again needs nothing.
  auto const wide_p = filled<double>(50, 9, 0.05, 0.95, 13), wide_g = filled<double>(50, 9, 0, 1, 14);
  auto wide_dp = zeros_like(wide_p);
  CHECK(lf::test::allocations_made([&] { kernel(lf::bind(p = wide_p, g = wide_g), ws, wide_dp); }) == 2);
  CHECK(lf::test::allocations_made([&] { kernel(lf::bind(p = pv, g = gv), ws, dp); }) == 0);
  // Without a workspace, each call has buffers of its own.
  CHECK(lf::test::allocations_made([&] { kernel(lf::bind(p = pv, g = gv), dp); }) == 2);
}

TEST_CASE("losses whose reductions stay in their rows have no intermediates", "[kokkos][intermediates]") {
  constexpr lf::tensor<"x", 2> x;
  constexpr lf::int_tensor<"t", 1> t;
  STATIC_REQUIRE(decltype(lf::kokkos::compile(L::cross_entropy(x, t, L::mean), lf::wrt(x)).plan)::intermediate_count ==
                 0);
  STATIC_REQUIRE(decltype(lf::kokkos::compile(L::dice(p, g), lf::wrt(p)).plan)::intermediate_count == 0);
  STATIC_REQUIRE(decltype(lf::kokkos::compile(L::mse(p, g, L::mean), lf::wrt(p)).plan)::intermediate_count == 0);
}
