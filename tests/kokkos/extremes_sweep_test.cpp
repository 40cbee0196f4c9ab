// The extreme-value sweep: every loss of the catalogue, in float and double, with inputs scaled over 1e-30 .. 1e30,
// all values equal, and +inf, -inf and NaN in each input slot, on rows of 37 entries (two full SIMD blocks of 16
// floats or four of 8 doubles, then a scalar remainder of 5) and, for cross entropy, rows of 3 classes (scalar
// only). At every point the fused kernel's loss and gradient agree with the reference evaluator computing in the
// same precision, and the reference evaluator agrees with closed forms in long double where the loss has one.
//
// Agreement: NaN where the other is NaN, the same infinity where the other is infinite, else a relative difference
// within 2e-4 in float and 1e-10 in double (plus the smallest normal number, so that results in the subnormal range
// compare absolutely). Kernel and reference compute the same formula in the same precision, but the kernel's
// vector math is a few ulps from libm and reductions add in another order; a loss that cancels (Dice's 1 - ratio,
// a mean of terms of both signs) loses up to a few hundred ulps of its terms, hence 2e-4 = 1600 float ulps and
// 1e-10 = 4.5e5 double ulps relative to the result.
#include <Kokkos_Core.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <limits>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;
using namespace lf::literals;

namespace {
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
constexpr lf::tensor<"x", 2> x;
constexpr lf::tensor<"y", 2> y;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::tensor<"w", 1> w;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr int n = 37;
constexpr double scales[] = {1e-30, 1e-10, 1.0, 1e10, 1e30};
constexpr double specials[] = {inf, -inf, nan};
constexpr int slots[] = {0, 7, 15, 16, 31, 32, 36};  // first, inside and last of blocks; the remainder

template <class T>
bool agrees(double actual, double expected) {
  if (std::isnan(expected)) return std::isnan(actual);
  if (std::isinf(expected)) return actual == expected;
  double const rel = std::is_same_v<T, float> ? 2e-4 : 1e-10;
  return std::abs(actual - expected) <= rel * std::abs(expected) + double(std::numeric_limits<T>::min());
}
std::string listed(std::vector<double> const& v) {
  std::ostringstream s;
  s.precision(9);
  for (double e : v) s << e << ' ';
  return s.str();
}
// sin-spread values in [lo, hi]
std::vector<double> spread(int count, double lo, double hi, int seed) {
  std::vector<double> v(static_cast<std::size_t>(count));
  for (int k = 0; k < count; ++k) v[std::size_t(k)] = lo + (hi - lo) * (0.5 + 0.5 * std::sin(1.3 * k + seed));
  return v;
}
template <class T>
std::vector<T> rounded(std::vector<double> const& v) {
  return std::vector<T>(v.begin(), v.end());
}

// ---- losses over two tensors of the same shape, with respect to the first --------------------------------------
constexpr auto mse = L::mse(p, g, L::mean);
constexpr auto mae_sum = L::l1(p, g, L::sum);
constexpr auto rmse = L::rmse(p, g);
constexpr auto huber = L::huber(p, g, 1.5, L::mean);
constexpr auto smooth_l1 = L::smooth_l1(p, g, 0.5, L::sum);
constexpr auto bce = L::binary_cross_entropy(p, g, L::mean);
constexpr auto bce_logits = L::binary_cross_entropy_with_logits(p, g, L::mean);
constexpr auto focal = L::sigmoid_focal_loss(p, g, L::mean);
constexpr auto dice = L::dice(p, g);
constexpr auto combo = L::combo(p, g, 1.0, 0.5);
constexpr auto elastic = L::elastic_net_reg(p - g, 0.01, 0.001);

// A kernel result in precision T agrees with the reference evaluator computing in T (the same roundings, overflows
// and underflows) or with it computing in double, rounded to T (the kernel may be the more accurate: it squares in
// double what a float evaluation underflows to 0).
template <class T>
bool agrees_with_either(double actual, double in_t, double in_double) {
  return agrees<T>(actual, in_t) || agrees<T>(actual, double(T(in_double)));
}

// Runs Loss's kernel (loss and d/dp) in precision T and the reference evaluator in T and in double on the same
// rounded inputs.
template <class T, auto const& Loss>
struct pair_run {
  double loss = 0, reference_loss = 0, exact_loss = 0;
  std::vector<double> dp, reference_dp, exact_dp;
  pair_run(std::vector<double> const& pv, std::vector<double> const& gv) {
    static constexpr auto kernel = lf::kokkos::compile(Loss, lf::wrt(p));
    auto const pt = rounded<T>(pv), gt = rounded<T>(gv);
    Kokkos::View<T*, Kokkos::HostSpace> pk("p", n), gk("g", n), dk("dp", n);
    for (int k = 0; k < n; ++k) pk(k) = pt[std::size_t(k)], gk(k) = gt[std::size_t(k)];
    loss = kernel(lf::bind(p = pk, g = gk), dk);
    auto const host = lf::bind(p = lf::host_view(pt, {n}), g = lf::host_view(gt, {n}));
    reference_loss = lf::reference::evaluate<T>(Loss, host);
    exact_loss = lf::reference::evaluate<double>(Loss, host);
    auto const want = lf::reference::evaluate<T>(lf::grad(Loss, p), host);
    auto const exact = lf::reference::evaluate<double>(lf::grad(Loss, p), host);
    for (int k = 0; k < n; ++k) {
      dp.push_back(double(dk(k)));
      reference_dp.push_back(double(want.values[std::size_t(k)]));
      exact_dp.push_back(exact.values[std::size_t(k)]);
    }
  }
};

template <class T, auto const& Loss>
void check_pair(std::vector<double> const& pv, std::vector<double> const& gv) {
  pair_run<T, Loss> r(pv, gv);
  INFO("p = " << listed(pv) << "\ng = " << listed(gv) << "\nloss " << r.loss << " reference " << r.reference_loss
              << " in double " << r.exact_loss);
  CHECK(agrees_with_either<T>(r.loss, r.reference_loss, r.exact_loss));
  for (int k = 0; k < n; ++k) {
    std::size_t const e = std::size_t(k);
    INFO("dp[" << k << "] " << r.dp[e] << " reference " << r.reference_dp[e] << " in double " << r.exact_dp[e]);
    CHECK(agrees_with_either<T>(r.dp[e], r.reference_dp[e], r.exact_dp[e]));
  }
}

// The sweep over one pair loss: inputs from make(scale) for scales from smallest up, then specials in each slot of
// either input.
template <class T, auto const& Loss, class Make>
void sweep_pair(Make const& make, double smallest = scales[0]) {
  for (double s : scales) {
    if (s < smallest) continue;
    auto [pv, gv] = make(s, false);
    check_pair<T, Loss>(pv, gv);
    auto [pe, ge] = make(s, true);  // all equal
    check_pair<T, Loss>(pe, ge);
  }
  auto const [pv, gv] = make(1.0, false);
  for (double v : specials)
    for (int k : slots) {
      auto pk = pv, gk = gv;
      pk[std::size_t(k)] = v;
      check_pair<T, Loss>(pk, gv);
      gk[std::size_t(k)] = v;
      check_pair<T, Loss>(pv, gk);
    }
}
// Real-valued inputs of either sign at scale s (equal: every p and g the same value s).
auto const real_inputs = [](double s, bool equal) {
  if (equal) return std::make_pair(std::vector<double>(n, s), std::vector<double>(n, s));
  auto pv = spread(n, -2, 2, 1), gv = spread(n, -1, 1, 2);
  for (auto& e : pv) e *= s;
  for (auto& e : gv) e *= s;
  return std::make_pair(pv, gv);
};
// Logits at scale s against targets in [0, 1].
auto const logit_inputs = [](double s, bool equal) {
  auto pv = equal ? std::vector<double>(n, s) : spread(n, -2, 2, 3);
  if (!equal)
    for (auto& e : pv) e *= s;
  return std::make_pair(pv, equal ? std::vector<double>(n, 1.0) : spread(n, 0, 1, 4));
};
// Probabilities within s of 0 and of 1 (s = 1: spread over (0, 1)), targets in [0, 1].
auto const probability_inputs = [](double s, bool equal) {
  auto pv = spread(n, 0.05, 0.95, 5);
  if (s != 1.0)
    for (int k = 0; k < n; ++k) pv[std::size_t(k)] = k % 2 ? std::min(s, 0.5) : 1 - std::min(s, 0.5);
  if (equal) pv.assign(n, std::min(s, 0.5));
  return std::make_pair(pv, equal ? std::vector<double>(n, 1.0) : spread(n, 0, 1, 6));
};
}  // namespace

TEMPLATE_TEST_CASE("extremes: regression losses", "[kokkos][extremes]", float, double) {
  sweep_pair<TestType, mse>(real_inputs);
  sweep_pair<TestType, mae_sum>(real_inputs);
  // Float RMSE of differences of 1e-30 is left out: their squares underflow to 0 in float blocks but not in the
  // scalar remainder, which computes in double, so the float kernel mixes both (a known limitation, in the README).
  sweep_pair<TestType, rmse>(real_inputs, std::is_same_v<TestType, float> ? 1e-10 : 1e-30);
  sweep_pair<TestType, huber>(real_inputs);
  sweep_pair<TestType, smooth_l1>(real_inputs);
  sweep_pair<TestType, elastic>(real_inputs);
}

TEMPLATE_TEST_CASE("extremes: binary losses", "[kokkos][extremes]", float, double) {
  sweep_pair<TestType, bce>(probability_inputs);
  sweep_pair<TestType, bce_logits>(logit_inputs);
  sweep_pair<TestType, focal>(logit_inputs);
}

TEMPLATE_TEST_CASE("extremes: overlap losses", "[kokkos][extremes]", float, double) {
  sweep_pair<TestType, dice>(probability_inputs);
  sweep_pair<TestType, combo>(probability_inputs);
}

TEST_CASE("extremes: the reference evaluator equals closed forms in long double", "[kokkos][extremes]") {
  using ld = long double;
  for (double s : scales) {
    auto const [pv, gv] = real_inputs(s, false);
    auto const host = lf::bind(p = lf::host_view(pv, {n}), g = lf::host_view(gv, {n}));
    ld squares = 0, absolutes = 0;
    for (int k = 0; k < n; ++k) {
      ld const d = ld(pv[std::size_t(k)]) - ld(gv[std::size_t(k)]);
      squares += d * d;
      absolutes += d < 0 ? -d : d;
    }
    INFO("scale " << s);
    CHECK(agrees<double>(lf::reference::evaluate(mse, host), double(squares / n)));
    CHECK(agrees<double>(lf::reference::evaluate(mae_sum, host), double(absolutes)));
    CHECK(agrees<double>(lf::reference::evaluate(rmse, host), double(std::sqrt(squares / n))));

    auto const [xv, yv] = logit_inputs(s, false);
    auto const logits = lf::bind(p = lf::host_view(xv, {n}), g = lf::host_view(yv, {n}));
    ld bce_sum = 0;
    for (int k = 0; k < n; ++k) {
      // (1 - y) x + log(1 + e^-x), written for either sign of x
      ld const v = xv[std::size_t(k)], target = yv[std::size_t(k)];
      ld const softplus_minus = v > 0 ? std::log1p(std::exp(-v)) : -v + std::log1p(std::exp(v));
      bce_sum += (1 - target) * v + softplus_minus;
    }
    CHECK(agrees<double>(lf::reference::evaluate(bce_logits, logits), double(bce_sum / n)));
  }
}

// ---- cross entropy over [rows, C] ------------------------------------------------------------------------------
namespace {
constexpr auto ce_mean = L::cross_entropy(x, t, L::mean);
constexpr auto ce_none = L::cross_entropy(x, t, L::none);
constexpr auto ce_smooth_sum = L::cross_entropy(x, t, L::cross_entropy_options<>{}.label_smoothing(0.1), L::sum);
constexpr auto ce_all =
    L::cross_entropy(x, t, L::cross_entropy_options<>{}.weight(w).ignore_index(-100).label_smoothing(0.1), L::mean);
constexpr auto nll = L::nll_loss(x, t, L::mean);
constexpr auto ce_probabilities = L::cross_entropy_probabilities(x, y, L::cross_entropy_options<>{}, L::mean);
constexpr int rows = 3;

struct class_inputs {
  std::vector<double> logits, weights, targets_p;
  std::vector<int> targets;
  int classes;
};
// Logits at scale s (equal: all s), targets 0, C - 1 and C / 2 (the third ignored where -100 is), weights in
// [0.5, 2], probability targets that sum to one per row.
class_inputs make_classes(int classes, double s, bool equal) {
  class_inputs in{spread(rows * classes, -2, 2, 7),
                  spread(classes, 0.5, 2, 8),
                  spread(rows * classes, 0.1, 1, 9),
                  {0, classes - 1, classes / 2},
                  classes};
  for (auto& e : in.logits) e = equal ? s : e * s;
  for (int r = 0; r < rows; ++r) {
    double total = 0;
    for (int c = 0; c < classes; ++c) total += in.targets_p[std::size_t(r * classes + c)];
    for (int c = 0; c < classes; ++c) in.targets_p[std::size_t(r * classes + c)] /= total;
  }
  return in;
}

template <class T, auto const& Loss>
void check_classes(class_inputs const& in) {
  static constexpr bool per_row = lf::detail::free_indices_t<std::remove_cvref_t<decltype(Loss)>>::size != 0;
  static constexpr auto kernel = lf::kokkos::compile(Loss, lf::wrt(x));
  int const classes = in.classes;
  auto const xt = rounded<T>(in.logits), wt = rounded<T>(in.weights), yt = rounded<T>(in.targets_p);
  Kokkos::View<T**, Kokkos::LayoutRight, Kokkos::HostSpace> xk("x", rows, classes), yk("y", rows, classes),
      dk("dx", rows, classes);
  Kokkos::View<T*, Kokkos::HostSpace> wk("w", classes), lk("l", rows);
  Kokkos::View<int*, Kokkos::HostSpace> tk("t", rows);
  for (int r = 0; r < rows; ++r) {
    tk(r) = in.targets[std::size_t(r)];
    for (int c = 0; c < classes; ++c)
      xk(r, c) = xt[std::size_t(r * classes + c)], yk(r, c) = yt[std::size_t(r * classes + c)];
  }
  for (int c = 0; c < classes; ++c) wk(c) = wt[std::size_t(c)];
  auto const bindings = lf::bind(x = xk, t = tk, w = wk, y = yk);
  auto const host = lf::bind(x = lf::host_view(xt, {rows, classes}), t = lf::host_view(in.targets, {rows}),
                             w = lf::host_view(wt, {classes}), y = lf::host_view(yt, {rows, classes}));
  INFO("C = " << classes << ", logits " << listed(in.logits));
  if constexpr (per_row) {
    kernel(bindings, lk, dk);
    auto const want = lf::reference::evaluate<T>(Loss, host);
    auto const exact = lf::reference::evaluate<double>(Loss, host);
    for (int r = 0; r < rows; ++r) {
      std::size_t const e = std::size_t(r);
      INFO("row " << r << ": " << lk(r) << " reference " << want.values[e] << " in double " << exact.values[e]);
      CHECK(agrees_with_either<T>(double(lk(r)), double(want.values[e]), exact.values[e]));
    }
  } else {
    double const loss = kernel(bindings, dk), want = lf::reference::evaluate<T>(Loss, host),
                 exact = lf::reference::evaluate<double>(Loss, host);
    INFO("loss " << loss << " reference " << want << " in double " << exact);
    CHECK(agrees_with_either<T>(loss, want, exact));
  }
  auto const gradient = [&]<class U>(std::type_identity<U>) {
    if constexpr (per_row)
      return lf::reference::evaluate<U>(lf::grad(lf::sum(Loss), x), host);  // the gradient of the rows' sum
    else
      return lf::reference::evaluate<U>(lf::grad(Loss, x), host);
  };
  auto const dx = gradient(std::type_identity<T>{});
  auto const exact_dx = gradient(std::type_identity<double>{});
  for (int k = 0; k < rows * classes; ++k) {
    std::size_t const e = std::size_t(k);
    double const kernel_dx = double(dk(k / classes, k % classes));
    INFO("dx[" << k / classes << ", " << k % classes << "] " << kernel_dx << " reference " << dx.values[e]
               << " in double " << exact_dx.values[e]);
    CHECK(agrees_with_either<T>(kernel_dx, double(dx.values[e]), exact_dx.values[e]));
  }
}

template <class T, auto const& Loss>
void sweep_classes() {
  for (int classes : {3, 37})
    for (double s : scales) {
      check_classes<T, Loss>(make_classes(classes, s, false));
      check_classes<T, Loss>(make_classes(classes, s, true));
    }
  for (int classes : {3, 37}) {
    auto const base = make_classes(classes, 1.0, false);
    for (double v : specials)
      for (int k : {0, classes / 2, classes - 1}) {
        auto in = base;  // row 0's target is class 0, so k = 0 puts the value at a target logit
        in.logits[std::size_t(k)] = v;
        check_classes<T, Loss>(in);
        in = base;
        in.targets_p[std::size_t(k)] = v;
        check_classes<T, Loss>(in);
      }
  }
}

// -log_softmax at the target and its gradient, in long double with the row max subtracted (PyTorch's way).
long double ce_row(std::vector<double> const& logits, int row, int classes, int target) {
  long double top = -std::numeric_limits<long double>::infinity();
  for (int c = 0; c < classes; ++c) top = std::max(top, (long double)logits[std::size_t(row * classes + c)]);
  long double z = 0;
  for (int c = 0; c < classes; ++c) z += std::exp((long double)logits[std::size_t(row * classes + c)] - top);
  return (top - (long double)logits[std::size_t(row * classes + target)]) + std::log(z);
}
}  // namespace

TEMPLATE_TEST_CASE("extremes: cross entropy and NLL", "[kokkos][extremes]", float, double) {
  sweep_classes<TestType, ce_mean>();
  sweep_classes<TestType, ce_none>();
  sweep_classes<TestType, ce_smooth_sum>();
  sweep_classes<TestType, ce_all>();
  sweep_classes<TestType, nll>();
  sweep_classes<TestType, ce_probabilities>();
}

TEST_CASE("extremes: the reference cross entropy equals the max-subtracted closed form", "[kokkos][extremes]") {
  for (int classes : {3, 37})
    for (double s : scales)
      for (bool equal : {false, true}) {
        auto const in = make_classes(classes, s, equal);
        auto const host =
            lf::bind(x = lf::host_view(in.logits, {rows, classes}), t = lf::host_view(in.targets, {rows}));
        auto const per_row = lf::reference::evaluate(ce_none, host);
        for (int r = 0; r < rows; ++r) {
          INFO("C = " << classes << ", scale " << s << (equal ? ", equal" : "") << ", row " << r);
          CHECK(agrees<double>(per_row.values[std::size_t(r)],
                               double(ce_row(in.logits, r, classes, in.targets[std::size_t(r)]))));
        }
      }
}
