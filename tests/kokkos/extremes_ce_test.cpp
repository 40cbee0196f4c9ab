// Cross entropy at the extremes of its input, in the kernels and the reference evaluator, against PyTorch's formulas
// computed here in long double (log_softmax with the row max subtracted, then the weighted, smoothed sum):
//   * equal logits of any finite size give ln C, and the gradient (1 - eps) (1/C - onehot) / N;
//   * a target logit of -inf gives +inf with the finite gradient softmax - onehot, whatever the options;
//   * label smoothing bound to 0 ignores a logit of -inf (no 0 * inf), as PyTorch skips the term;
//   * smoothed losses of logits near 1e5 to 1e6 keep the precision of the Views.
// Every case runs in float and double with C = 2 and 3 (the positions after the last block, through the scalar
// evaluator), 37 (blocks and a remainder) and 32000 (blocks only); one runs on a LayoutLeft View, whose gradient is
// written from the formula in lanes rather than from stored exponentials.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <iomanip>
#include <limits>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::tensor<"cw", 1> cw;
constexpr lf::scalar<"eps"> eps;
constexpr double inf_ = std::numeric_limits<double>::infinity();
constexpr int ignored = -100;

constexpr auto plain_mean = L::cross_entropy(x, t, L::mean);
constexpr auto plain_none = L::cross_entropy(x, t, L::none);
constexpr auto smoothed_sum = L::cross_entropy(x, t, L::cross_entropy_options<>{}.label_smoothing(0.1), L::sum);
constexpr auto all_options_mean =
    L::cross_entropy(x, t, L::cross_entropy_options<>{}.weight(cw).ignore_index(ignored).label_smoothing(0.1), L::mean);
constexpr auto all_options_eps =
    L::cross_entropy(x, t, L::cross_entropy_options<>{}.weight(cw).ignore_index(ignored).label_smoothing(eps), L::mean);

enum class reduction { none, sum, mean };

// A batch: logits [rows, classes] as the kernel sees them (rounded to T), targets, class weights (empty: none).
struct batch {
  int rows, classes;
  std::vector<double> logits;
  std::vector<int> targets;
  std::vector<double> weights;
};

// PyTorch's cross_entropy on b in long double: per-row losses (0 for an ignored row), the reduced loss, the gradient
// of the reduced loss (of the sum of the rows for reduction none), and the scale of each gradient entry: the sum of
// the magnitudes of the terms it is the difference of (|dl/dlp[c]| and softmax[c] |sum dl/dlp|).
struct expected {
  std::vector<long double> per_row, gradient, scale;
  long double loss;
};
expected pytorch(batch const& b, long double smoothing, reduction r) {
  expected e{std::vector<long double>(std::size_t(b.rows)), std::vector<long double>(b.logits.size()),
             std::vector<long double>(b.logits.size()), 0};
  int const n = b.classes;
  auto const weight = [&](int c) { return b.weights.empty() ? 1.0L : (long double)b.weights[std::size_t(c)]; };
  long double kept_weight = 0;
  for (int i = 0; i < b.rows; ++i) {
    int const target = b.targets[std::size_t(i)];
    if (target == ignored) continue;
    kept_weight += weight(target);
    std::vector<long double> row(std::size_t(n), 0), lp(std::size_t(n), 0);
    for (int c = 0; c < n; ++c) row[std::size_t(c)] = b.logits[std::size_t(i * n + c)];
    long double m = -std::numeric_limits<long double>::infinity(), s = 0;
    for (long double v : row) m = std::max(m, v);
    for (long double v : row) s += std::exp(v - m);
    for (int c = 0; c < n; ++c) lp[std::size_t(c)] = (row[std::size_t(c)] - m) - std::log(s);
    // dl/dlp[c], then log_softmax's backward: dl/dx[c] = g[c] - softmax[c] sum g
    std::vector<long double> g(std::size_t(n), 0);
    long double loss = -(1 - smoothing) * weight(target) * lp[std::size_t(target)], g_sum = 0;
    g[std::size_t(target)] = -(1 - smoothing) * weight(target);
    if (smoothing != 0)
      for (int c = 0; c < n; ++c) {
        loss -= smoothing / n * weight(c) * lp[std::size_t(c)];
        g[std::size_t(c)] -= smoothing / n * weight(c);
      }
    for (long double v : g) g_sum += v;
    e.per_row[std::size_t(i)] = loss;
    e.loss += loss;
    for (int c = 0; c < n; ++c) {
      long double const softmax = std::exp(lp[std::size_t(c)]);
      e.gradient[std::size_t(i * n + c)] = g[std::size_t(c)] - softmax * g_sum;
      e.scale[std::size_t(i * n + c)] = std::abs(g[std::size_t(c)]) + softmax * std::abs(g_sum);
    }
  }
  if (r == reduction::mean) {
    e.loss /= kept_weight;
    for (auto& v : e.gradient) v /= kept_weight;
    for (auto& v : e.scale) v /= kept_weight;
  }
  return e;
}

// Tolerance: 32 ulps of the Views' precision (tolerance<T>::value), or C ulps of double if more. Each value is a few
// correctly rounded operations in T on logits the row's max was subtracted from (no cancellation), and sums over
// the C classes accumulate in double (the reference evaluator's term by term, an error up to C ulps).
template <class T>
double tolerance(int classes) {
  return std::max(lf::test::tolerance<T>::value, classes * std::numeric_limits<double>::epsilon());
}
// Losses relative to max(1, |expected|); a gradient entry relative to its scale (see expected), not to 1: entries of
// 1 / (3 C) must be right too, and an entry that is a difference of two terms carries their rounding.
bool close_entry(double got, long double want, long double scale, double tol) {
  if (std::isnan(double(want)) || std::isinf(double(want))) return lf::test::close(got, double(want), tol);
  return std::abs((long double)got - want) <= tol * scale;
}

template <class T, class Layout = Kokkos::LayoutRight>
struct views {
  Kokkos::View<T**, Layout, Kokkos::HostSpace> x, dx;
  Kokkos::View<int*, Kokkos::HostSpace> t;
  Kokkos::View<T*, Kokkos::HostSpace> w;
  Kokkos::View<T*, Kokkos::HostSpace> per_row;
  std::vector<T> xt, wt;  // the same values for the reference evaluator

  explicit views(batch& b)
      : x("x", b.rows, b.classes),
        dx("dx", b.rows, b.classes),
        t("t", b.rows),
        w("w", b.weights.size()),
        per_row("l", b.rows) {
    for (int i = 0; i < b.rows; ++i) {
      t(i) = b.targets[std::size_t(i)];
      for (int c = 0; c < b.classes; ++c) x(i, c) = T(b.logits[std::size_t(i * b.classes + c)]);
    }
    for (std::size_t c = 0; c < b.weights.size(); ++c) w(c) = T(b.weights[c]);
    for (auto& v : b.logits) v = double(T(v));  // the closed form sees what the kernel sees
    for (auto& v : b.weights) v = double(T(v));
    xt.assign(b.logits.begin(), b.logits.end());
    wt.assign(b.weights.begin(), b.weights.end());
  }
};

// The bindings of Loss: x, t, and the class weights and smoothing where it has them.
template <auto const& Loss, class X, class Targets, class Weights>
auto bindings(X const& xs, Targets const& ts, Weights const& ws, double smoothing) {
  using symbols = lf::detail::symbols_of_t<std::remove_cvref_t<decltype(Loss)>>;
  constexpr bool weighted = lf::detail::contains_v<symbols, std::remove_cvref_t<decltype(cw)>>;
  constexpr bool smoothed = lf::detail::contains_v<symbols, std::remove_cvref_t<decltype(eps)>>;
  if constexpr (smoothed)
    return lf::bind(x = xs, t = ts, cw = ws, eps = smoothing);
  else if constexpr (weighted)
    return lf::bind(x = xs, t = ts, cw = ws);
  else
    return lf::bind(x = xs, t = ts);
}

// Runs Loss (reduced or per row) and its gradient in the kernel and the reference evaluator and compares both with
// the closed form. smoothing is the loss's label smoothing, bound to eps where it has that symbol.
template <class T, auto const& Loss, class Layout = Kokkos::LayoutRight>
void check(batch b, long double smoothing, reduction r) {
  views<T, Layout> v(b);
  expected const want = pytorch(b, smoothing, r);
  double const tol = tolerance<T>(b.classes);
  static constexpr auto kernel = lf::kokkos::compile(Loss, lf::wrt(x));
  auto const host = bindings<Loss>(lf::host_view(v.xt, {b.rows, b.classes}), lf::host_view(b.targets, {b.rows}),
                                   lf::host_view(v.wt, {std::ptrdiff_t(v.wt.size())}), double(smoothing));
  auto const run = [&](auto const&... outputs) {
    return kernel(bindings<Loss>(v.x, v.t, v.w, double(smoothing)), outputs...);
  };
  constexpr bool per_row = lf::detail::free_indices_t<std::remove_cvref_t<decltype(Loss)>>::size > 0;
  REQUIRE(per_row == (r == reduction::none));
  if constexpr (per_row) {
    run(v.per_row, v.dx);
    auto const reference = lf::reference::evaluate(Loss, host);
    for (int i = 0; i < b.rows; ++i) {
      INFO(std::setprecision(17) << "row " << i << ": kernel " << v.per_row(i) << ", reference "
                                 << reference.values[std::size_t(i)] << ", expected "
                                 << double(want.per_row[std::size_t(i)]));
      CHECK(lf::test::close(double(v.per_row(i)), double(want.per_row[std::size_t(i)]), tol));
      CHECK(lf::test::close(reference.values[std::size_t(i)], double(want.per_row[std::size_t(i)]), tol));
    }
  } else {
    double const loss = run(v.dx);
    double const reference = lf::reference::evaluate(Loss, host);
    INFO(std::setprecision(17) << "loss: kernel " << loss << ", reference " << reference << ", expected "
                               << double(want.loss));
    CHECK(lf::test::close(loss, double(want.loss), tol));
    CHECK(lf::test::close(reference, double(want.loss), tol));
  }
  // The gradient of the per-row losses is that of their sum, as the kernel's.
  constexpr auto total = [] {
    if constexpr (per_row)
      return lf::sum(Loss);
    else
      return Loss;
  }();
  auto const reference = lf::reference::evaluate(lf::grad(total, x), host);
  for (int i = 0; i < b.rows; ++i)
    for (int c = 0; c < b.classes; ++c) {
      std::size_t const k = std::size_t(i * b.classes + c);
      INFO(std::setprecision(17) << "row " << i << ", class " << c << " (target " << b.targets[std::size_t(i)]
                                 << "): kernel " << v.dx(i, c) << ", reference " << reference.values[k] << ", expected "
                                 << double(want.gradient[k]));
      CHECK(close_entry(double(v.dx(i, c)), want.gradient[k], want.scale[k], tol));
      CHECK(close_entry(reference.values[k], want.gradient[k], want.scale[k], tol));
    }
}

// Every logit v; the targets first, last and middle class (and an ignored fourth row when asked).
batch equal_logits(int classes, double value, bool with_ignored_row = false) {
  int const rows = with_ignored_row ? 4 : 3;
  batch b{rows, classes, std::vector<double>(std::size_t(rows * classes), value), {0, classes - 1, classes / 2}, {}};
  if (with_ignored_row) b.targets.push_back(ignored);
  return b;
}
std::vector<double> class_weights(int classes) {
  std::vector<double> weights(static_cast<std::size_t>(classes));
  for (int c = 0; c < classes; ++c) weights[std::size_t(c)] = 0.5 + 0.25 * (c % 5);
  return weights;
}
constexpr int class_counts[] = {2, 3, 37, 32000};
}  // namespace

TEMPLATE_TEST_CASE("equal logits of any finite size give ln C", "[extremes]", float, double) {
  using T = TestType;
  for (int const classes : class_counts)
    for (double const value : {1e8, 1e12, 1e30, -1e30}) {
      INFO(classes << " classes, every logit " << value);
      check<T, plain_mean>(equal_logits(classes, value), 0, reduction::mean);
      check<T, smoothed_sum>(equal_logits(classes, value), 0.1L, reduction::sum);
      batch weighted = equal_logits(classes, value, true);
      weighted.weights = class_weights(classes);
      check<T, all_options_mean>(weighted, 0.1L, reduction::mean);
    }
  INFO("a LayoutLeft View: the softmax written from the formula in lanes");
  check<T, plain_mean, Kokkos::LayoutLeft>(equal_logits(37, 1e30), 0, reduction::mean);
  check<T, plain_mean, Kokkos::LayoutLeft>(equal_logits(37, 1e12), 0, reduction::mean);
}

TEMPLATE_TEST_CASE("a target logit of -inf gives +inf and the gradient softmax - onehot", "[extremes]", float, double) {
  using T = TestType;
  // The rows of the reported failure, then the same with C = 37: the -inf target inside a block, the other rows
  // ordinary.
  check<T, plain_none>(batch{2, 3, {-inf_, 0.5, -0.25, 0.1, 0.2, 0.3}, {0, 1}, {}}, 0, reduction::none);
  for (int const classes : class_counts) {
    INFO(classes << " classes");
    batch b{3, classes, std::vector<double>(std::size_t(3 * classes)), {0, classes - 1, classes / 2}, {}};
    for (int i = 0; i < 3; ++i)
      for (int c = 0; c < classes; ++c) b.logits[std::size_t(i * classes + c)] = 2 * std::sin(0.9 * c + 1.3 * i);
    b.logits[0] = -inf_;                                       // row 0's target
    b.logits[std::size_t(2 * classes + classes / 2)] = -inf_;  // row 2's target
    check<T, plain_none>(b, 0, reduction::none);
    check<T, smoothed_sum>(b, 0.1L, reduction::sum);
    b.weights = class_weights(classes);
    check<T, all_options_eps>(b, 0.1L, reduction::mean);
    check<T, all_options_eps>(b, 0, reduction::mean);
    b.targets[1] = ignored;
    check<T, all_options_mean>(b, 0.1L, reduction::mean);
  }
}

TEMPLATE_TEST_CASE("label smoothing bound to 0 ignores a logit of -inf", "[extremes]", float, double) {
  using T = TestType;
  for (int const classes : class_counts) {
    INFO(classes << " classes");
    batch b{4, classes, std::vector<double>(std::size_t(4 * classes)), {1, 0, ignored, classes - 1}, {}};
    for (int i = 0; i < 4; ++i)
      for (int c = 0; c < classes; ++c) b.logits[std::size_t(i * classes + c)] = std::cos(0.7 * c + 2.1 * i);
    b.logits[0] = -inf_;                                             // row 0, a class other than its target
    b.logits[std::size_t(3 * classes + (classes - 1) / 2)] = -inf_;  // row 3, another
    b.weights = class_weights(classes);
    check<T, all_options_eps>(b, 0, reduction::mean);
  }
}

TEMPLATE_TEST_CASE("smoothed losses of logits near 1e5 to 1e6 keep the Views' precision", "[extremes]", float, double) {
  using T = TestType;
  for (int const classes : class_counts) {
    INFO(classes << " classes");
    batch b{3, classes, std::vector<double>(std::size_t(3 * classes)), {0, classes - 1, classes / 2}, {}};
    // Spread over [1e5, 1e6], and a row near 1e5 whose softmax is not one-hot (gaps of a few units).
    for (int i = 0; i < 3; ++i)
      for (int c = 0; c < classes; ++c)
        b.logits[std::size_t(i * classes + c)] =
            i < 2 ? 5.5e5 + 4.5e5 * std::sin(1.7 * c + 0.4 * i) : 1e5 + 3 * std::sin(0.3 * c);
    check<T, smoothed_sum>(b, 0.1L, reduction::sum);
    b.weights = class_weights(classes);
    check<T, all_options_mean>(b, 0.1L, reduction::mean);
  }
}
