// The divergences (kl_div, reverse_kl, js_divergence), perplexity and softmax_focal_loss: how many kernels each
// plan launches, and the closed forms and limits that JSON cases cannot carry (infinities, bounds, symmetry).
// Expected values are computed here from the definitions, in double.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <stdexcept>
#include <tests/support/kokkos_events.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::MessageMatches;
using lf::test::kernels_launched;

namespace {
constexpr lf::tensor<"x", 2> x;  // log-probabilities (kl_div) or logits
constexpr lf::tensor<"p", 2> p;  // target probabilities (or log-probabilities)
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::scalar<"alpha"> alpha;
constexpr lf::scalar<"ignore"> ignore;
using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;
using labels = Kokkos::View<long*, Kokkos::HostSpace>;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;

constexpr auto kl_div_batchmean = lf::kokkos::compile(L::kl_div(x, p, L::batchmean), lf::wrt(x));
constexpr auto kl_div_none = lf::kokkos::compile(L::kl_div(x, p, L::none), lf::wrt(x));
constexpr auto kl_div_log_target_sum =
    lf::kokkos::compile(L::kl_div(x, p, L::kl_div_options<>{}.log_target(), L::sum), lf::wrt(x));
constexpr auto reverse_kl_batchmean = lf::kokkos::compile(L::reverse_kl(x, p, L::batchmean), lf::wrt(x));
constexpr auto js_batchmean = lf::kokkos::compile(L::js_divergence(x, p, L::batchmean), lf::wrt(x));
constexpr auto perplexity = lf::kokkos::compile(L::perplexity(x, t), lf::wrt(x));
constexpr auto perplexity_padded =
    lf::kokkos::compile(L::perplexity(x, t, L::cross_entropy_options<>{}.ignore_index(ignore)), lf::wrt(x));
constexpr auto focal_mean = lf::kokkos::compile(L::softmax_focal_loss(x, t, L::mean), lf::wrt(x));
constexpr auto focal_gamma0_sum = lf::kokkos::compile(
    L::softmax_focal_loss(x, t, L::softmax_focal_options<>{}.alpha(alpha).gamma<0>(), L::sum), lf::wrt(x));

constexpr int rows = 3, classes = 5;

// Rows of logits, their softmax, and a strictly positive target distribution, all [3, 5].
struct batch {
  matrix logits{"x", rows, classes}, target{"p", rows, classes}, dx{"dx", rows, classes};
  labels classes_of{"t", rows};
  std::vector<std::vector<double>> q = std::vector<std::vector<double>>(rows, std::vector<double>(classes));
  batch() {
    for (int r = 0; r < rows; ++r) {
      classes_of(r) = (2 * r + 1) % classes;
      double zq = 0, zp = 0;
      for (int c = 0; c < classes; ++c) {
        logits(r, c) = 2 * std::sin(1.0 + 3 * r + c);
        target(r, c) = 1.5 + std::cos(2.0 * r + 0.7 * c);
        zq += std::exp(logits(r, c));
        zp += target(r, c);
      }
      for (int c = 0; c < classes; ++c) {
        q[r][c] = std::exp(logits(r, c)) / zq;
        target(r, c) /= zp;
      }
    }
  }
};

bool near(double actual, double expected, double tol = 1e-13) {
  return std::abs(actual - expected) <= tol * std::max(1.0, std::abs(expected));
}
}  // namespace

TEST_CASE("kl_div, reverse_kl, the focal loss and JS take one pass over the rows; perplexity two",
          "[kokkos][catalogue][divergence]") {
  batch b;
  auto const rows_and_targets = lf::bind(x = b.logits, p = b.target);
  // Row-wise: each row's value and gradient need only that row (the batchmean divisor N is known without a pass).
  CHECK(kernels_launched([&] { kl_div_batchmean(rows_and_targets, b.dx); }) == 1);
  CHECK(kernels_launched([&] { reverse_kl_batchmean(rows_and_targets, b.dx); }) == 1);
  CHECK(kernels_launched([&] { focal_mean(lf::bind(x = b.logits, t = b.classes_of), b.dx); }) == 1);
  // The JS gradient's per-row sums over the classes read the softmax entry and log m of every class; the planner
  // writes those elementwise parts to buffers rather than recomputing them for each class of the row. The gradient
  // reads them only in its own row, so each row's work item writes them first, in the one pass that also sums the
  // loss.
  CHECK(kernels_launched([&] { js_batchmean(rows_and_targets, b.dx); }) == 1);
  // exp of a mean: every token's gradient is scaled by the perplexity, a sum over all tokens, so that sum is a
  // first pass.
  CHECK(kernels_launched([&] { perplexity(lf::bind(x = b.logits, t = b.classes_of), b.dx); }) == 2);
}

TEST_CASE("kl_div: KL(p || q) summed over classes, averaged over rows; gradient -p / N",
          "[kokkos][catalogue][divergence]") {
  batch b;
  matrix log_q("x", rows, classes);
  double want = 0;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < classes; ++c) {
      log_q(r, c) = std::log(b.q[r][c]);
      want += b.target(r, c) * std::log(b.target(r, c) / b.q[r][c]) / rows;
    }
  CHECK(near(kl_div_batchmean(lf::bind(x = log_q, p = b.target), b.dx), want));
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < classes; ++c) CHECK(near(b.dx(r, c), -b.target(r, c) / rows));

  // KL(p || p) = 0, with the target as probabilities and as log-probabilities.
  matrix log_p("log p", rows, classes);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < classes; ++c) log_p(r, c) = std::log(b.target(r, c));
  CHECK(std::abs(kl_div_batchmean(lf::bind(x = log_p, p = b.target), b.dx)) < 1e-15);  // log t - x: an ulp of log
  CHECK(kl_div_log_target_sum(lf::bind(x = log_p, p = log_p), b.dx) == 0);
  for (int c = 0; c < classes; ++c) CHECK(near(b.dx(1, c), -b.target(1, c)));
}

TEST_CASE("kl_div: a zero target contributes 0 wherever q is, also q = 0; a positive target where q = 0 is +inf",
          "[kokkos][catalogue][divergence]") {
  double const inf = INFINITY;
  matrix log_q("x", 1, 4), target("p", 1, 4), loss("l", 1, 4), dx("dx", 1, 4);
  double const xs[4] = {std::log(0.5), -inf, -1e300, -inf}, ps[4] = {0.5, 0.5, 0, 0};
  for (int c = 0; c < 4; ++c) log_q(0, c) = xs[c], target(0, c) = ps[c];
  kl_div_none(lf::bind(x = log_q, p = target), loss, dx);
  CHECK(loss(0, 0) == 0);
  CHECK(loss(0, 1) == inf);  // 0.5 (log 0.5 - (-inf)), not NaN
  CHECK(loss(0, 2) == 0);    // PyTorch's xlogy(0, 0) - 0 * (-1e300)
  CHECK(loss(0, 3) == 0);    // PyTorch: 0 * inf = NaN
  for (int c = 0; c < 4; ++c) CHECK(dx(0, c) == -ps[c]);

  // The same with the target as log-probabilities: log 0 = -inf.
  matrix log_target("p", 1, 4);
  for (int c = 0; c < 4; ++c) log_target(0, c) = std::log(ps[c]);
  CHECK(kl_div_log_target_sum(lf::bind(x = log_q, p = log_target), dx) == inf);
  for (int c = 0; c < 4; ++c) CHECK(dx(0, c) == -ps[c]);
  log_q(0, 1) = std::log(0.5);  // now q covers p's support
  CHECK(kl_div_log_target_sum(lf::bind(x = log_q, p = log_target), dx) == 0);
}

TEST_CASE("reverse_kl: KL(softmax(z) || p) per row; gradient q (log q - log p - KL) / N",
          "[kokkos][catalogue][divergence]") {
  batch b;
  double want = 0;
  std::vector<double> per_row(rows);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < classes; ++c) per_row[r] += b.q[r][c] * std::log(b.q[r][c] / b.target(r, c));
    want += per_row[r] / rows;
  }
  CHECK(near(reverse_kl_batchmean(lf::bind(x = b.logits, p = b.target), b.dx), want));
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < classes; ++c)
      CHECK(near(b.dx(r, c), b.q[r][c] * (std::log(b.q[r][c] / b.target(r, c)) - per_row[r]) / rows, 1e-12));
}

TEST_CASE("js_divergence: symmetric, at most ln 2, reached on disjoint supports", "[kokkos][catalogue][divergence]") {
  batch b;
  // JS(p, softmax(z)) against a hand computation, then with the roles swapped: logits log p against softmax(z).
  double want = 0;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < classes; ++c) {
      double const pc = b.target(r, c), qc = b.q[r][c], m = (pc + qc) / 2;
      want += 0.5 * (pc * std::log(pc / m) + qc * std::log(qc / m)) / rows;
    }
  double const js = js_batchmean(lf::bind(x = b.logits, p = b.target), b.dx);
  CHECK(near(js, want));
  matrix log_p("x", rows, classes), q("p", rows, classes);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < classes; ++c) log_p(r, c) = std::log(b.target(r, c)), q(r, c) = b.q[r][c];
  CHECK(near(js_batchmean(lf::bind(x = log_p, p = q), b.dx), js));
  CHECK(js <= std::log(2.0));

  // Disjoint supports: p on class 0, q (logit -inf there) on the others. Each side's mass sits where m is half of it:
  // JS = 1/2 ln 2 + 1/2 ln 2, with a finite gradient.
  matrix z("x", 1, 3), one_hot("p", 1, 3), dz("dz", 1, 3);
  z(0, 0) = -INFINITY, z(0, 1) = 0.3, z(0, 2) = -1.2;
  one_hot(0, 0) = 1;
  CHECK(near(js_batchmean(lf::bind(x = z, p = one_hot), dz), std::log(2.0)));
  for (int c = 0; c < 3; ++c) CHECK(std::isfinite(dz(0, c)));
}

TEST_CASE("perplexity: exp of the mean NLL; V for uniform logits, +inf past overflow, padding ignored",
          "[kokkos][catalogue][divergence]") {
  batch b;
  double mean_nll = 0;
  for (int r = 0; r < rows; ++r) mean_nll -= std::log(b.q[r][b.classes_of(r)]) / rows;
  double const want = std::exp(mean_nll);
  CHECK(near(perplexity(lf::bind(x = b.logits, t = b.classes_of), b.dx), want));
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < classes; ++c)
      CHECK(near(b.dx(r, c), want * (b.q[r][c] - (c == b.classes_of(r))) / rows, 1e-12));

  matrix uniform("x", rows, classes);
  Kokkos::deep_copy(uniform, -2.5);
  CHECK(near(perplexity(lf::bind(x = uniform, t = b.classes_of), b.dx), classes));

  // Each token's NLL is 1000: exp(1000) overflows to +inf, which is what PyTorch's torch.exp gives too.
  matrix wrong("x", 2, 2), dwrong("dx", 2, 2);
  wrong(0, 1) = 1000, wrong(1, 0) = 1000;
  labels right_class("t", 2);
  right_class(0) = 0, right_class(1) = 1;
  CHECK(perplexity(lf::bind(x = wrong, t = right_class), dwrong) == INFINITY);

  // Padding tokens (target -1, ignored) leave the mean over the others.
  double kept_nll = 0;
  for (int r : {0, 2}) kept_nll -= std::log(b.q[r][b.classes_of(r)]) / 2;
  b.classes_of(1) = -1;
  CHECK(near(perplexity_padded(lf::bind(x = b.logits, t = b.classes_of, ignore = -1), b.dx), std::exp(kept_nll)));
  for (int c = 0; c < classes; ++c) CHECK(b.dx(1, c) == 0);
}

TEST_CASE("softmax_focal_loss: -(1 - p_t)^2 log p_t; gamma 0 is alpha times cross entropy",
          "[kokkos][catalogue][divergence]") {
  batch b;
  double want = 0, ce = 0;
  for (int r = 0; r < rows; ++r) {
    double const pt = b.q[r][b.classes_of(r)], log_pt = std::log(pt);
    want -= (1 - pt) * (1 - pt) * log_pt / rows;
    ce -= log_pt;
  }
  CHECK(near(focal_mean(lf::bind(x = b.logits, t = b.classes_of), b.dx), want, 1e-12));
  for (int r = 0; r < rows; ++r) {
    double const pt = b.q[r][b.classes_of(r)];
    double const dlog_pt = 2 * pt * (1 - pt) * std::log(pt) - (1 - pt) * (1 - pt);  // d loss / d log p_t
    for (int c = 0; c < classes; ++c)
      CHECK(near(b.dx(r, c), dlog_pt * ((c == b.classes_of(r)) - b.q[r][c]) / rows, 1e-12));
  }
  CHECK(near(focal_gamma0_sum(lf::bind(x = b.logits, t = b.classes_of, alpha = 0.75), b.dx), 0.75 * ce, 1e-12));

  // A confidently right row: loss and gradient ~0 and finite; confidently wrong: alpha * 100.
  matrix saturated("x", 2, 3), ds("dx", 2, 3);
  saturated(0, 0) = 50, saturated(0, 1) = -50, saturated(1, 0) = -50, saturated(1, 1) = 50;
  labels first("t", 2);  // class 0 in both rows
  CHECK(near(focal_gamma0_sum(lf::bind(x = saturated, t = first, alpha = 0.5), ds), 0.5 * 100, 1e-12));
  CHECK(near(focal_mean(lf::bind(x = saturated, t = first), ds), 100.0 / 2, 1e-12));
  for (int c = 0; c < 3; ++c) CHECK((std::isfinite(ds(0, c)) && std::abs(ds(0, c)) < 1e-40));

  CHECK_THROWS_MATCHES(focal_mean(lf::bind(x = saturated, t = first), b.dx), std::invalid_argument,
                       MessageMatches(ContainsSubstring("[2,3]") && ContainsSubstring("[3,5]")));
  CHECK_THROWS_MATCHES(focal_gamma0_sum(lf::bind(x = saturated, t = first, alpha = -1), ds), std::invalid_argument,
                       MessageMatches(ContainsSubstring("alpha (scalar 'alpha') must be non-negative")));
  CHECK_THROWS_AS(L::softmax_focal_options<>{}.alpha(-0.5), std::invalid_argument);
}

TEST_CASE("a target of another shape than the input is rejected, naming both extents",
          "[kokkos][catalogue][divergence]") {
  matrix log_q("x", 2, 3), target("p", 2, 4), dx("dx", 2, 3);
  CHECK_THROWS_MATCHES(kl_div_batchmean(lf::bind(x = log_q, p = target), dx), std::invalid_argument,
                       MessageMatches(ContainsSubstring("'x[dim 1]' has shape [3]") &&
                                      ContainsSubstring("'p[dim 1]' has shape [4]")));
  CHECK_THROWS_MATCHES(js_batchmean(lf::bind(x = log_q, p = target), dx), std::invalid_argument,
                       MessageMatches(ContainsSubstring("'x[dim 1]' has shape [3]") &&
                                      ContainsSubstring("'p[dim 1]' has shape [4]")));
}
