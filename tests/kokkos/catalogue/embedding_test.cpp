// Metric learning and ranking (<lossforge/losses/embedding.hpp>). Each loss is a per-row loss over embeddings [N, D]:
// the row's dot products and norms are sums over D that only that row's loss and gradient read, so one kernel over
// the rows computes them, the loss and every gradient, with no intermediate buffer. Closed forms are computed here
// from the definitions (PyTorch's pairwise_distance with eps, clamp_min at the hinge, ties of the swap's min split).
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <string>
#include <tests/support/kokkos_events.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"a", 2> a;
constexpr lf::tensor<"p", 2> p;
constexpr lf::tensor<"n", 2> n;
constexpr lf::int_tensor<"y", 1> y;
constexpr lf::tensor<"t", 1> t;
constexpr lf::scalar<"margin"> margin;
constexpr lf::scalar<"eps"> eps;
using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;
using labels = Kokkos::View<std::int64_t*, Kokkos::HostSpace>;
constexpr int rows = 3, dims = 4;
constexpr double tol = lf::test::tolerance<double>::finite_difference;

// Row 0 generic, row 1 two equal embeddings, row 2 all zero.
matrix embeddings(std::string const& label, double seed) {
  matrix m(label, rows, dims);
  for (int d = 0; d < dims; ++d) {
    m(0, d) = std::sin(seed + 1.7 * d);
    m(1, d) = std::cos(2.0 + 0.9 * d);
  }
  return m;
}
matrix like(matrix const& m) { return matrix("lossforge::test::gradient", m.extent(0), m.extent(1)); }

// ||u_r - v_r + e||_2 and its gradient with respect to u_r (minus that with respect to v_r).
double distance(matrix const& u, matrix const& v, int r, double e) {
  double s = 0;
  for (int d = 0; d < dims; ++d) s += (u(r, d) - v(r, d) + e) * (u(r, d) - v(r, d) + e);
  return std::sqrt(s);
}
double distance_slope(matrix const& u, matrix const& v, int r, int d, double e) {
  return (u(r, d) - v(r, d) + e) / distance(u, v, r, e);
}

bool all_finite(matrix const& m) {
  for (int r = 0; r < int(m.extent(0)); ++r)
    for (int d = 0; d < int(m.extent(1)); ++d)
      if (!std::isfinite(m(r, d))) return false;
  return true;
}

constexpr auto triplet_swap_mean =
    L::triplet_margin_loss(a, p, n, L::triplet_options<>{}.margin(margin).eps(eps).swap(), L::mean);
constexpr auto hadsell_none = L::contrastive_hadsell(a, p, y, margin, eps, L::none);
constexpr auto cosine_sum = L::cosine_embedding_loss(a, p, t, margin, L::sum);
constexpr auto triplet_p3_none = L::triplet_margin_loss(a, p, n, L::triplet_options<>{}.p<3>(), L::none);
}  // namespace

TEST_CASE("embedding losses: one kernel computes a row's norms, its loss and every gradient",
          "[catalogue][embedding]") {
  static constexpr auto triplet = lf::kokkos::compile(triplet_swap_mean, lf::wrt(a, p, n));
  static constexpr auto hadsell = lf::kokkos::compile(hadsell_none, lf::wrt(a, p));
  static constexpr auto cosine = lf::kokkos::compile(cosine_sum, lf::wrt(a, p));
  STATIC_REQUIRE(triplet.plan.pass_count == 1);
  STATIC_REQUIRE(triplet.plan.intermediate_count == 0);
  STATIC_REQUIRE(hadsell.plan.pass_count == 1);
  STATIC_REQUIRE(cosine.plan.pass_count == 1);

  auto const av = embeddings("a", 0), pv = embeddings("p", 1), nv = embeddings("n", 2);
  auto da = like(av), dp = like(pv), dn = like(nv);
  labels yv("y", rows);
  vector tv("t", rows), per_row("l", rows);
  for (int r = 0; r < rows; ++r) yv(r) = r % 2, tv(r) = r == 1 ? -1 : 1;
  CHECK(lf::test::kernels_launched(
            [&] { triplet(lf::bind(a = av, p = pv, n = nv, margin = 1.0, eps = 1e-6), da, dp, dn); }) == 1);
  CHECK(lf::test::kernels_launched(
            [&] { hadsell(lf::bind(a = av, p = pv, y = yv, margin = 1.0, eps = 1e-6), per_row, da, dp); }) == 1);
  CHECK(lf::test::kernels_launched([&] { cosine(lf::bind(a = av, p = pv, t = tv, margin = 0.0), da, dp); }) == 1);
}

TEST_CASE("triplet_margin_loss with swap: PyTorch's definition, row by row", "[catalogue][embedding]") {
  static constexpr auto kernel = lf::kokkos::compile(triplet_swap_mean, lf::wrt(a, p, n));
  auto const av = embeddings("a", 0), nv = embeddings("n", 2);
  auto pv = embeddings("p", 1);
  for (int d = 0; d < dims; ++d) pv(1, d) = av(1, d);  // anchor == positive: d(a, p) = eps sqrt(D)
  auto da = like(av), dp = like(pv), dn = like(nv);
  double const m = 2.5, e = 1e-6;
  double const value = kernel(lf::bind(a = av, p = pv, n = nv, margin = m, eps = e), da, dp, dn);

  double want = 0;
  std::array<std::array<double, dims>, rows> want_a{}, want_p{}, want_n{};
  for (int r = 0; r < rows; ++r) {
    double const to_positive = distance(av, pv, r, e), anchor_negative = distance(av, nv, r, e),
                 positive_negative = distance(pv, nv, r, e);
    double const hinge = m + to_positive - std::min(anchor_negative, positive_negative);
    if (hinge < 0) continue;  // clamp_min passes the gradient at 0 itself
    want += hinge / rows;
    // The negative distance is the smaller of the two; a tie (row 2: all zero, both 2 eps) takes half of each.
    double const via_anchor = anchor_negative < positive_negative ? 1 : anchor_negative == positive_negative ? 0.5 : 0;
    for (int d = 0; d < dims; ++d) {
      double const g_ap = distance_slope(av, pv, r, d, e), g_an = distance_slope(av, nv, r, d, e),
                   g_pn = distance_slope(pv, nv, r, d, e);
      want_a[r][d] = (g_ap - via_anchor * g_an) / rows;
      want_p[r][d] = (-g_ap - (1 - via_anchor) * g_pn) / rows;
      want_n[r][d] = (via_anchor * g_an + (1 - via_anchor) * g_pn) / rows;
    }
  }
  CHECK(lf::test::close(value, want, tol));
  for (int r = 0; r < rows; ++r)
    for (int d = 0; d < dims; ++d) {
      CHECK(lf::test::close(da(r, d), want_a[r][d], tol));
      CHECK(lf::test::close(dp(r, d), want_p[r][d], tol));
      CHECK(lf::test::close(dn(r, d), want_n[r][d], tol));
    }
  // Row 2 in numbers: every difference is eps in each of 4 components, so each distance is 2 eps and its slope 1/2.
  CHECK(lf::test::close(da(2, 0), (0.5 - 0.25) / rows, tol));
  CHECK(lf::test::close(dn(2, 0), (0.25 + 0.25) / rows, tol));
}

TEST_CASE("triplet_margin_loss with p 3: ||u - v + eps||_3 and its gradient", "[catalogue][embedding]") {
  static constexpr auto kernel = lf::kokkos::compile(triplet_p3_none, lf::wrt(a, p, n));
  auto const av = embeddings("a", 0), pv = embeddings("p", 1), nv = embeddings("n", 5);
  auto da = like(av), dp = like(pv), dn = like(nv);
  vector per_row("l", rows);
  kernel(lf::bind(a = av, p = pv, n = nv), per_row, da, dp, dn);
  double const e = 1e-6;  // the default, as the default margin 1
  auto norm3 = [&](matrix const& u, matrix const& v, int r) {
    double s = 0;
    for (int d = 0; d < dims; ++d) s += std::pow(std::abs(u(r, d) - v(r, d) + e), 3);
    return std::cbrt(s);
  };
  for (int r = 0; r < rows; ++r) {
    double const hinge = 1 + norm3(av, pv, r) - norm3(av, nv, r);
    CHECK(lf::test::close(per_row(r), std::max(hinge, 0.0), tol));
    for (int d = 0; d < dims; ++d) {
      // d||x||_3 / dx = x |x| / ||x||^2
      double const x_ap = av(r, d) - pv(r, d) + e, x_an = av(r, d) - nv(r, d) + e;
      double const g_ap = x_ap * std::abs(x_ap) / std::pow(norm3(av, pv, r), 2),
                   g_an = x_an * std::abs(x_an) / std::pow(norm3(av, nv, r), 2);
      CHECK(lf::test::close(da(r, d), hinge >= 0 ? g_ap - g_an : 0, tol));
      CHECK(lf::test::close(dp(r, d), hinge >= 0 ? -g_ap : 0, tol));
      CHECK(lf::test::close(dn(r, d), hinge >= 0 ? g_an : 0, tol));
    }
  }
}

TEST_CASE("contrastive_hadsell: label 1 pulls a pair together, label 0 pushes it beyond the margin",
          "[catalogue][embedding]") {
  static constexpr auto kernel = lf::kokkos::compile(hadsell_none, lf::wrt(a, p));
  auto const x1 = embeddings("a", 0);
  auto x2 = embeddings("p", 1);
  for (int d = 0; d < dims; ++d) x2(1, d) = x1(1, d);
  auto d1 = like(x1), d2 = like(x2);
  labels yv("y", rows);
  vector per_row("l", rows);
  yv(0) = 1, yv(1) = 0, yv(2) = 0;
  double const m = 3.0, e = 1e-6;
  kernel(lf::bind(a = x1, p = x2, y = yv, margin = m, eps = e), per_row, d1, d2);
  double const d0 = distance(x1, x2, 0, e);
  CHECK(lf::test::close(per_row(0), d0 * d0 / 2, tol));
  for (int d = 0; d < dims; ++d) CHECK(lf::test::close(d1(0, d), x1(0, d) - x2(0, d) + e, tol));
  // Rows 1 and 2 are pushed apart from D = 2 eps (eps in each of 4 components): (m - D)^2 / 2, gradient
  // -(m - D) dD/dx1, with dD/dx1 = 1/2 in each component.
  for (int r : {1, 2}) {
    double const dr = 2 * e;
    CHECK(lf::test::close(per_row(r), (m - dr) * (m - dr) / 2, tol));
    for (int d = 0; d < dims; ++d) CHECK(lf::test::close(d1(r, d), -(m - dr) / 2, tol));
    for (int d = 0; d < dims; ++d) CHECK(lf::test::close(d2(r, d), (m - dr) / 2, tol));
  }
}

TEST_CASE("cosine_embedding_loss: zero embeddings give cos 0, a finite loss and gradient", "[catalogue][embedding]") {
  static constexpr auto kernel = lf::kokkos::compile(cosine_sum, lf::wrt(a, p));
  auto const x1 = embeddings("a", 0), x2 = embeddings("p", 1);  // row 2 of both all zero
  auto d1 = like(x1), d2 = like(x2);
  vector tv("t", rows);
  tv(0) = 1, tv(1) = -1, tv(2) = 1;
  double const m = -0.5;
  double const value = kernel(lf::bind(a = x1, p = x2, t = tv, margin = m), d1, d2);
  auto dot = [&](matrix const& u, matrix const& v, int r) {
    double s = 0;
    for (int d = 0; d < dims; ++d) s += u(r, d) * v(r, d);
    return s;
  };
  double const e = double(1e-12f);  // PyTorch's constant, a float
  auto cosine = [&](int r) { return dot(x1, x2, r) / std::sqrt((dot(x1, x1, r) + e) * (dot(x2, x2, r) + e)); };
  // Row 2: 1 - cos = 1 with a zero gradient (x2 is zero too).
  CHECK(lf::test::close(value, (1 - cosine(0)) + std::max(cosine(1) - m, 0.0) + 1, tol));
  CHECK(all_finite(d1));
  CHECK(all_finite(d2));
  for (int d = 0; d < dims; ++d) {
    double const n1 = dot(x1, x1, 0) + e, n2 = dot(x2, x2, 0) + e;
    // d cos / d x1 = x2 / sqrt(n1 n2) - cos x1 / n1
    CHECK(lf::test::close(d1(0, d), -(x2(0, d) / std::sqrt(n1 * n2) - cosine(0) * x1(0, d) / n1), tol));
    CHECK(d1(2, d) == 0);
  }
}

TEST_CASE("embedding losses: embeddings of different shapes, or a negative eps, are errors that say so",
          "[catalogue][embedding]") {
  using Catch::Matchers::ContainsSubstring;
  using Catch::Matchers::MessageMatches;
  static constexpr auto kernel = lf::kokkos::compile(triplet_swap_mean, lf::wrt(a, p, n));
  auto const av = embeddings("a", 0), nv = embeddings("n", 2);
  matrix const pv("p", rows, dims + 1);
  auto da = like(av), dp = like(pv), dn = like(nv);
  CHECK_THROWS_MATCHES(
      kernel(lf::bind(a = av, p = pv, n = nv, margin = 1.0, eps = 1e-6), da, dp, dn), std::invalid_argument,
      MessageMatches(ContainsSubstring("'a[dim 1]' has shape [4]") && ContainsSubstring("'p[dim 1]' has shape [5]")));
  auto dp_fitting = like(av);
  CHECK_THROWS_MATCHES(kernel(lf::bind(a = av, p = av, n = nv, margin = 1.0, eps = -1.0), da, dp_fitting, dn),
                       std::invalid_argument,
                       MessageMatches(ContainsSubstring("eps") && ContainsSubstring("must be non-negative")));
}
