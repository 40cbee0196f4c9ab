// Exact at the extremes, in the fused kernels (the reference evaluator's side: tests/unit/reference/extremes_test.cpp):
//   * BCE with logits at x = +-inf is its limit (0 or +inf; PyTorch's formula gives NaN), and so is its gradient;
//   * float BCE with logits for logits beyond exp's normal range underflows gradually, as scalar libm;
//   * a class index of -100 without ignore_index says that PyTorch would ignore it and how to do the same here;
//   * loss parameters bound to scalar symbols are checked against their ranges before the first launch.
// Each case runs twice, at a position inside the vectorized blocks and at one after the last full block (the scalar
// path), in Views of two blocks plus 3 (16 + 3 floats or 8 + 3 doubles with SSE2). Expected values are the
// textbook closed forms of tests/support/closed_forms.hpp.
#include <Kokkos_Core.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <limits>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <stdexcept>
#include <string>
#include <tests/support/closed_forms.hpp>
#include <tests/support/kokkos_events.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;
namespace cf = lf::test::closed_form;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::Equals;
using Catch::Matchers::MessageMatches;

namespace {
constexpr lf::tensor<"x"> x;
constexpr lf::tensor<"y"> y;
constexpr lf::tensor<"x2", 2> x2;
constexpr lf::tensor<"y2", 2> y2;
constexpr lf::tensor<"pw"> pw;
constexpr lf::int_tensor<"t", 1> t;
constexpr double inf_ = std::numeric_limits<double>::infinity(), nan_ = std::numeric_limits<double>::quiet_NaN();

// Two blocks and an odd remainder; a case at `in_block` runs in the lanes, one at size - 1 on the scalar path.
template <class T>
constexpr int size = 2 * lf::executor::detail::block_width<T> + 3;
constexpr int in_block = 1;

// Finite filler: logits in [-3, 3] and targets in [0, 1].
double filler_logit(int k) { return 3 * std::sin(1.3 * k + 0.4); }
double filler_target(int k) { return 0.5 + 0.5 * std::sin(0.9 * k); }

template <class T>
using vector_view = Kokkos::View<T*, Kokkos::HostSpace>;

// Float lanes compute log1p, exp and the division in float: a few roundings of terms up to |x| = 3 relative to
// max(1, |l|), within tolerance<T>::value (32 ulps).
template <class T>
constexpr double value_tol = lf::test::tolerance<T>::value;

using lf::test::kernels_launched;

constexpr auto bce_logits_none = L::binary_cross_entropy_with_logits(x, y, L::none);
constexpr auto bce_logits_mean = L::binary_cross_entropy_with_logits(x, y, L::mean);
constexpr auto bce_logits_pos = L::binary_cross_entropy_with_logits(x2, y2, L::bce_options<>{}.pos_weight(pw), L::none);
}  // namespace

TEMPLATE_TEST_CASE("BCE with logits at x = +-inf is its limit, in blocks and on the scalar path", "[kokkos][extremes]",
                   float, double) {
  using T = TestType;
  static constexpr auto kernel = lf::kokkos::compile(bce_logits_none, lf::wrt(x));
  constexpr int n = size<T>;
  struct extreme {
    double x, y;
  };
  // Limits: 0 for (+inf, 1) and (-inf, 0), +inf otherwise (soft targets included); NaN stays NaN.
  extreme const cases[] = {{inf_, 1},    {-inf_, 0},    {-inf_, 1}, {inf_, 0},
                           {inf_, 0.25}, {-inf_, 0.25}, {nan_, 0},  {nan_, 1}};
  for (auto const c : cases)
    for (int at : {in_block, n - 1}) {
      vector_view<T> xv("x", n), yv("y", n), loss("loss", n), dx("dx", n);
      for (int k = 0; k < n; ++k) xv(k) = T(filler_logit(k)), yv(k) = T(filler_target(k));
      xv(at) = T(c.x), yv(at) = T(c.y);
      kernel(lf::bind(x = xv, y = yv), loss, dx);
      INFO("x " << c.x << ", y " << c.y << " at " << at << " of " << n);
      for (int k = 0; k < n; ++k) {
        INFO("element " << k);
        double const xk = double(xv(k)), yk = double(yv(k));
        CHECK(lf::test::close(double(loss(k)), cf::bce_with_logits(xk, yk), value_tol<T>));
        CHECK(lf::test::close(double(dx(k)), cf::bce_with_logits_slope(xk, yk), value_tol<T>));
      }
    }
}

TEMPLATE_TEST_CASE("BCE with logits: a mean over logits of +-inf with limit 0 is finite", "[kokkos][extremes]", float,
                   double) {
  using T = TestType;
  static constexpr auto kernel = lf::kokkos::compile(bce_logits_mean, lf::wrt(x));
  constexpr int n = size<T>;
  vector_view<T> xv("x", n), yv("y", n), dx("dx", n);
  for (int k = 0; k < n; ++k) xv(k) = T(filler_logit(k)), yv(k) = T(filler_target(k));
  xv(in_block) = T(inf_), yv(in_block) = 1, xv(n - 1) = T(-inf_), yv(n - 1) = 0;
  double want = 0;
  for (int k = 0; k < n; ++k) want += cf::bce_with_logits(double(xv(k)), double(yv(k))) / n;
  CHECK(lf::test::close(kernel(lf::bind(x = xv, y = yv), dx), want, value_tol<T>));
  for (int k = 0; k < n; ++k)
    CHECK(lf::test::close(double(dx(k)), cf::bce_with_logits_slope(double(xv(k)), double(yv(k))) / n, value_tol<T>));
}

TEMPLATE_TEST_CASE("BCE with logits and pos_weight at x = +-inf is its limit", "[kokkos][extremes]", float, double) {
  using T = TestType;
  static constexpr auto kernel = lf::kokkos::compile(bce_logits_pos, lf::wrt(x2));
  constexpr int rows = 2, classes = size<T>;
  Kokkos::View<T**, Kokkos::HostSpace> xv("x", rows, classes), yv("y", rows, classes), loss("loss", rows, classes),
      dx("dx", rows, classes);
  vector_view<T> wv("pw", classes);
  for (int c = 0; c < classes; ++c) {
    wv(c) = T(0.5 + 0.25 * (c % 4));  // pos_weight 0.5 to 1.25
    for (int r = 0; r < rows; ++r)
      xv(r, c) = T(filler_logit(r * classes + c)), yv(r, c) = T(filler_target(r * classes + c));
  }
  // Row 0 in the blocks, row 1 after them: (+inf, 1) -> 0, (-inf, 0) -> 0, (-inf, 1) and (+inf, 0) -> inf.
  for (int r = 0; r < rows; ++r) {
    int const at = r == 0 ? in_block : classes - 3;
    xv(r, at) = T(inf_), yv(r, at) = 1;
    xv(r, at + 1) = T(-inf_), yv(r, at + 1) = 0;
    xv(r, at + 2) = T(-inf_), yv(r, at + 2) = 1;
  }
  xv(0, in_block + 3) = T(inf_), yv(0, in_block + 3) = 0;
  auto const check = [&](auto const& pos_weight) {
    kernel(lf::bind(x2 = xv, y2 = yv, pw = pos_weight), loss, dx);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < classes; ++c) {
        INFO("row " << r << ", class " << c << ": x " << double(xv(r, c)) << ", y " << double(yv(r, c)));
        double const xk = double(xv(r, c)), yk = double(yv(r, c)), wk = double(wv(c));
        CHECK(lf::test::close(double(loss(r, c)), cf::bce_with_logits(xk, yk, wk), value_tol<T>));
        CHECK(lf::test::close(double(dx(r, c)), cf::bce_with_logits_slope(xk, yk, wk), value_tol<T>));
      }
  };
  // Per class, pos_weight stretches over the rows and the blocks load it lane by lane; of the input's shape, by
  // vector.
  SECTION("pos_weight [C]") { check(wv); }
  SECTION("pos_weight [N, C]") {
    Kokkos::View<T**, Kokkos::HostSpace> per_element("pw", rows, classes);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < classes; ++c) per_element(r, c) = wv(c);
    check(per_element);
  }
}

TEMPLATE_TEST_CASE("BCE with logits beyond exp's normal range underflows gradually", "[kokkos][extremes]", float,
                   double) {
  using T = TestType;
  using limits = std::numeric_limits<T>;
  static constexpr auto kernel = lf::kokkos::compile(bce_logits_none, lf::wrt(x));
  constexpr int n = size<T>;
  // y = 1: the loss is log1p(e^-x), a denormal from x = 87.4 (float) or 708.4 (double), 0 beyond 103.9 or 745.1.
  std::vector<double> const logits = std::is_same_v<T, float> ? std::vector<double>{87.5, 89, 95, 100, 103, 104, 110}
                                                              : std::vector<double>{709, 720, 740, 745, 750};
  for (double const big : logits)
    for (int at : {in_block, n - 1}) {
      vector_view<T> xv("x", n), yv("y", n), loss("loss", n), dx("dx", n);
      for (int k = 0; k < n; ++k) xv(k) = T(filler_logit(k)), yv(k) = T(filler_target(k));
      xv(at) = T(big), yv(at) = 1;
      kernel(lf::bind(x = xv, y = yv), loss, dx);
      T const want = T(cf::bce_with_logits(big, 1));
      INFO("x " << big << " at " << at << ": loss " << double(loss(at)) << ", closed form " << double(want));
      // The closed form rounded once to T and the scalar exp in T may differ by one denormal step.
      CHECK(std::abs(double(loss(at)) - double(want)) <= value_tol<T> * double(want) + double(limits::denorm_min()));
    }
}

TEMPLATE_TEST_CASE("exp and the logistic lane forms underflow gradually, as the scalar exp", "[kokkos][extremes]",
                   float, double) {
  using T = TestType;
  constexpr int W = lf::executor::detail::block_width<T>;
  using A = lf::executor::detail::lanes<T, W>;
  // Just below the normal range to beyond the denormals, and -inf.
  double const lo = std::is_same_v<T, float> ? -87.4 : -708.4, hi = std::is_same_v<T, float> ? -106.0 : -746.0;
  A a;
  for (int l = 0; l < W; ++l) a[l] = T(l + 1 == W ? -inf_ : lo + (hi - lo) * l / (W - 2));
  A const e = lf::executor::detail::lane_form<lf::ops::exp>::apply(a);
  A const s = lf::executor::detail::lane_form<lf::ops::sigmoid>::apply(a);
  A const sp = lf::executor::detail::lane_form<lf::ops::softplus>::apply(a);
  for (int l = 0; l < W; ++l) {
    INFO("x " << double(a[l]));
    T const want = std::exp(a[l]);  // glibc: gradual underflow
    CHECK(e[l] == want);
    // sigmoid(x) = e / (1 + e) and softplus(x) = log1p(e) are e itself down here (within one denormal step).
    CHECK(std::abs(double(s[l]) - double(want)) <= double(std::numeric_limits<T>::denorm_min()));
    CHECK(std::abs(double(sp[l]) - double(want)) <= double(std::numeric_limits<T>::denorm_min()));
  }
}

TEMPLATE_TEST_CASE("a class index of -100 without ignore_index says what PyTorch does by default",
                   "[kokkos][extremes][errors]", float, double) {
  using T = TestType;
  constexpr lf::tensor<"x", 2> logits;
  static constexpr auto ce = lf::kokkos::compile(L::cross_entropy(logits, t, L::mean), lf::wrt(logits));
  static constexpr auto nll = lf::kokkos::compile(L::nll_loss(logits, t, L::sum), lf::wrt(logits));
  static constexpr auto ce_ignoring = lf::kokkos::compile(
      L::cross_entropy(logits, t, L::cross_entropy_options<>{}.ignore_index(-100), L::mean), lf::wrt(logits));
  constexpr int rows = 3, classes = size<T>;
  Kokkos::View<T**, Kokkos::HostSpace> xv("x", rows, classes), dx("dx", rows, classes);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < classes; ++c) xv(r, c) = T(filler_logit(r * classes + c));
  Kokkos::View<long*, Kokkos::HostSpace> tv("t", rows);
  tv(0) = 1, tv(1) = -100, tv(2) = classes - 1;
  CHECK_THROWS_MATCHES(ce(lf::bind(logits = xv, t = tv), dx), std::out_of_range,
                       MessageMatches(ContainsSubstring("index -100") &&
                                      ContainsSubstring("PyTorch's cross_entropy and nll_loss ignore targets of -100 "
                                                        "by default") &&
                                      ContainsSubstring(".ignore_index(-100)")));
  CHECK_THROWS_MATCHES(nll(lf::bind(logits = xv, t = tv), dx), std::out_of_range,
                       MessageMatches(ContainsSubstring("index -100") && ContainsSubstring(".ignore_index(-100)")));
  // Other indices out of range get the plain message.
  tv(1) = -5;
  CHECK_THROWS_MATCHES(ce(lf::bind(logits = xv, t = tv), dx), std::out_of_range,
                       MessageMatches(ContainsSubstring("index -5") && !ContainsSubstring("PyTorch")));
  // With .ignore_index(-100) the row is ignored, as PyTorch's default: the mean of the other two rows.
  tv(1) = -100;
  double want = 0;
  for (int r : {0, 2}) {
    std::vector<double> row(classes);
    for (int c = 0; c < classes; ++c) row[std::size_t(c)] = double(xv(r, c));
    want += cf::cross_entropy(row, cf::smoothed_target(std::size_t(tv(r)), std::size_t(classes), 0)) / 2;
  }
  CHECK(lf::test::close(ce_ignoring(lf::bind(logits = xv, t = tv), dx), want, value_tol<T>));
  for (int c = 0; c < classes; ++c) CHECK(dx(1, c) == 0);
}

// ---- loss parameters bound at run time ---------------------------------------------------------------------------
namespace {
constexpr lf::scalar<"d"> d;
constexpr lf::scalar<"b"> b;
constexpr lf::scalar<"eps"> eps;
constexpr lf::scalar<"a"> a;
constexpr lf::tensor<"logits", 2> logits;
constexpr lf::tensor<"q", 2> q;  // probability targets

constexpr auto huber = L::huber(x, y, d, L::mean);
constexpr auto smooth_l1 = L::smooth_l1(x, y, b, L::mean);
constexpr auto ce = L::cross_entropy(logits, t, L::cross_entropy_options<>{}.label_smoothing(eps), L::mean);
constexpr auto ce_probabilities =
    L::cross_entropy_probabilities(logits, q, L::cross_entropy_options<>{}.label_smoothing(eps), L::mean);
constexpr auto focal = L::sigmoid_focal_loss(x, y, L::focal_options<>{}.alpha(a), L::mean);

// The message of the exception f throws, which must be std::invalid_argument.
template <class F>
std::string invalid_argument_message(F const& f) {
  try {
    f();
  } catch (std::invalid_argument const& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

// Inputs of the elementwise losses: residuals beyond and within the thresholds tried.
template <class T>
struct elementwise {
  static constexpr int n = size<T>;
  vector_view<T> xv{"x", n}, yv{"y", n}, dx{"dx", n};
  elementwise() {
    for (int k = 0; k < n; ++k) xv(k) = T(filler_logit(k)), yv(k) = T(filler_target(k)), dx(k) = T(7);
  }
  bool gradient_untouched() const {
    for (int k = 0; k < n; ++k)
      if (dx(k) != T(7)) return false;
    return true;
  }
};
template <class T>
struct rows_of_classes {
  static constexpr int rows = 3, classes = size<T>;
  Kokkos::View<T**, Kokkos::HostSpace> xv{"logits", rows, classes}, qv{"q", rows, classes}, dx{"dx", rows, classes};
  Kokkos::View<long*, Kokkos::HostSpace> tv{"t", rows};
  rows_of_classes() {
    for (int r = 0; r < rows; ++r) {
      tv(r) = (5 * r + 2) % classes;
      for (int c = 0; c < classes; ++c) xv(r, c) = T(filler_logit(r * classes + c)), qv(r, c) = T(c == tv(r));
    }
  }
  std::vector<double> row(int r) const {
    std::vector<double> v(classes);
    for (int c = 0; c < classes; ++c) v[std::size_t(c)] = double(xv(r, c));
    return v;
  }
};
}  // namespace

TEMPLATE_TEST_CASE("bound loss parameters outside their ranges throw before the first launch", "[kokkos][parameters]",
                   float, double) {
  using T = TestType;
  static constexpr auto huber_kernel = lf::kokkos::compile(huber, lf::wrt(x, d));
  static constexpr auto smooth_l1_kernel = lf::kokkos::compile(smooth_l1, lf::wrt(x));
  static constexpr auto ce_kernel = lf::kokkos::compile(ce, lf::wrt(logits), lf::kokkos::gradient_only);
  static constexpr auto ce_probabilities_kernel = lf::kokkos::compile(ce_probabilities, lf::wrt(logits));
  static constexpr auto focal_kernel = lf::kokkos::compile(focal, lf::wrt(x));
  elementwise<T> e;
  rows_of_classes<T> r;
  Kokkos::View<T, Kokkos::HostSpace> dd("dd");
  auto const rejects = [](auto const& call, std::string const& message) {
    CHECK_THAT(invalid_argument_message([&] { kernels_launched(call); }), Equals(message));
    CHECK(lf::test::launches_counted() == 0);  // thrown before the first launch
  };
  rejects([&] { huber_kernel(lf::bind(x = e.xv, y = e.yv, d = -1), e.dx, dd); },
          "lossforge::losses::huber: delta (scalar 'd') must be positive, got -1");
  rejects([&] { huber_kernel(lf::bind(x = e.xv, y = e.yv, d = 0.0), e.dx, dd); },
          "lossforge::losses::huber: delta (scalar 'd') must be positive, got 0");
  rejects([&] { smooth_l1_kernel(lf::bind(x = e.xv, y = e.yv, b = -0.5), e.dx); },
          "lossforge::losses::smooth_l1: beta (scalar 'b') must be non-negative, got -0.5");
  rejects([&] { ce_kernel(lf::bind(logits = r.xv, t = r.tv, eps = 1.5), r.dx); },
          "lossforge::losses::cross_entropy: label_smoothing (scalar 'eps') must be in [0, 1], got 1.5");
  rejects([&] { ce_kernel(lf::bind(logits = r.xv, t = r.tv, eps = -0.1), r.dx); },
          "lossforge::losses::cross_entropy: label_smoothing (scalar 'eps') must be in [0, 1], got -0.1");
  rejects([&] { ce_probabilities_kernel(lf::bind(logits = r.xv, q = r.qv, eps = 2), r.dx); },
          "lossforge::losses::cross_entropy: label_smoothing (scalar 'eps') must be in [0, 1], got 2");
  rejects([&] { focal_kernel(lf::bind(x = e.xv, y = e.yv, a = 1.25), e.dx); },
          "lossforge::losses::sigmoid_focal_loss: alpha (scalar 'a') must be in [0, 1], got 1.25");
  rejects([&] { focal_kernel(lf::bind(x = e.xv, y = e.yv, a = nan_), e.dx); },
          "lossforge::losses::sigmoid_focal_loss: alpha (scalar 'a') must be in [0, 1], got nan");
  CHECK(e.gradient_untouched());
  // The same values written as numbers are rejected when the loss is built, with the same words.
  CHECK_THAT(invalid_argument_message([] { (void)L::huber(x, y, -1.0, L::mean); }),
             Equals("lossforge::losses::huber: delta must be positive, got -1"));
  CHECK_THAT(invalid_argument_message([] { (void)L::cross_entropy_options<>{}.label_smoothing(1.5); }),
             Equals("lossforge::losses::cross_entropy: label_smoothing must be in [0, 1], got 1.5"));
}

TEMPLATE_TEST_CASE("bound loss parameters inside their ranges, bounds included, give the closed forms",
                   "[kokkos][parameters]", float, double) {
  using T = TestType;
  static constexpr auto huber_kernel = lf::kokkos::compile(huber, lf::wrt(x));
  static constexpr auto smooth_l1_kernel = lf::kokkos::compile(smooth_l1, lf::wrt(x));
  static constexpr auto ce_kernel = lf::kokkos::compile(ce, lf::wrt(logits));
  static constexpr auto ce_probabilities_kernel = lf::kokkos::compile(ce_probabilities, lf::wrt(logits));
  static constexpr auto focal_kernel = lf::kokkos::compile(focal, lf::wrt(x));
  elementwise<T> e;
  rows_of_classes<T> r;
  constexpr int n = elementwise<T>::n;
  // Float lanes: a few roundings per element (exp and log1p in float for focal and cross entropy).
  double const tol = value_tol<T>;
  for (double const delta : {0.5, 2.0}) {
    double want = 0;
    for (int k = 0; k < n; ++k) want += cf::huber(double(e.xv(k)) - double(e.yv(k)), delta) / n;
    CHECK(lf::test::close(huber_kernel(lf::bind(x = e.xv, y = e.yv, d = delta), e.dx), want, tol));
    for (int k = 0; k < n; ++k)
      CHECK(lf::test::close(double(e.dx(k)), cf::huber_slope(double(e.xv(k)) - double(e.yv(k)), delta) / n, tol));
  }
  for (double const beta : {0.0, 0.5}) {  // beta = 0 is the L1 loss
    double want = 0;
    for (int k = 0; k < n; ++k) want += cf::smooth_l1(double(e.xv(k)) - double(e.yv(k)), beta) / n;
    CHECK(lf::test::close(smooth_l1_kernel(lf::bind(x = e.xv, y = e.yv, b = beta), e.dx), want, tol));
  }
  for (double const smoothing : {0.0, 0.1, 1.0}) {
    double want = 0;
    for (int i = 0; i < r.rows; ++i)
      want +=
          cf::cross_entropy(r.row(i), cf::smoothed_target(std::size_t(r.tv(i)), std::size_t(r.classes), smoothing)) /
          r.rows;
    CHECK(lf::test::close(ce_kernel(lf::bind(logits = r.xv, t = r.tv, eps = smoothing), r.dx), want, tol));
    CHECK(
        lf::test::close(ce_probabilities_kernel(lf::bind(logits = r.xv, q = r.qv, eps = smoothing), r.dx), want, tol));
  }
  for (double const alpha : {0.0, 0.25, 1.0}) {
    double want = 0;
    for (int k = 0; k < n; ++k) want += cf::sigmoid_focal(double(e.xv(k)), double(e.yv(k)), alpha) / n;
    CHECK(lf::test::close(focal_kernel(lf::bind(x = e.xv, y = e.yv, a = alpha), e.dx), want, tol));
  }
}
