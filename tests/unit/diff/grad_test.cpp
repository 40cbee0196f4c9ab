// grad(): derivatives of whole losses with respect to tensors and runtime scalars, checked against central finite
// differences; the shape of what grad builds (pull form, select for gathers, simplified types); second derivatives.
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <tests/support/gradient_check.hpp>
#include <tests/support/symbols.hpp>
#include <type_traits>

namespace lf = lossforge;
using namespace lf::test::symbols;
using namespace lf::literals;
using lf::test::check_tensor_gradient;
using lf::test::close;
using lf::test::tolerance;

namespace {
constexpr lf::tensor<"wts"> wts;
constexpr lf::scalar<"s"> s;
constexpr lf::scalar<"x"> xs;

constexpr auto dice = 1_c - 2_c * lf::sum(p * g) / (lf::sum(p * p) + lf::sum(g * g));
constexpr auto bce = -lf::mean(g * lf::log(p) + (1_c - g) * lf::log(1_c - p));
constexpr auto combo = dice + w * bce;

std::vector<double> const probabilities{0.2, 0.7, 0.9, 0.4, 0.55, 0.05};
std::vector<double> const truth{0, 1, 1, 0, 1, 0};
std::vector<double> const logits{1.0, 2.0, -0.5, 0.25, -1.5, 0.75, 3.0, 0.0, 2.5, -2.0, 1.0, 1.0};
std::vector<long> const targets{2, 0, 3};
}  // namespace

TEMPLATE_TEST_CASE("gradients of Dice, BCE and Combo match finite differences", "[grad]", float, double) {
  std::vector<TestType> truth_t(truth.begin(), truth.end());
  auto with = [&](auto view) { return lf::bind(p = view, g = lf::host_view(truth_t, {2, 3}), w = TestType(0.5)); };
  check_tensor_gradient<TestType>(dice, p, probabilities, {2, 3}, with);
  check_tensor_gradient<TestType>(bce, p, probabilities, {2, 3}, with);
  check_tensor_gradient<TestType>(combo, p, probabilities, {2, 3}, with);
}

TEMPLATE_TEST_CASE("cross-entropy's gradient is softmax minus the one-hot target", "[grad]", float, double) {
  auto with = [&](auto view) { return lf::bind(x = view, t = lf::host_view(targets, {3})); };
  check_tensor_gradient<TestType>(cross_entropy, x, logits, {3, 4}, with);
  // The same loss written with an explicit one-hot mask and log_softmax has the same gradient.
  constexpr auto masked = lf::mean(i, lf::sum(c, -(c == t(i)) * lf::log_softmax(c, x(i, c))));
  check_tensor_gradient<TestType>(masked, x, logits, {3, 4}, with);
  // Label smoothing 0.1 over 4 classes, and a where() that ignores targets equal to -100.
  constexpr auto smoothed =
      lf::mean(i, lf::sum(c, -((1_c - lf::c<1, 10>)*(c == t(i)) + lf::c<1, 40>)*lf::log_softmax(c, x(i, c))));
  check_tensor_gradient<TestType>(smoothed, x, logits, {3, 4}, with);
}

TEST_CASE("a gather differentiates to a select, never a scatter", "[grad][pull]") {
  auto const d = lf::grad(lf::sum(i, x(i, t(i))), x);
  // d/dx[i,c] = (t[i] == c): one comparison per gradient element, evaluated at that element's own index.
  using gi = lf::gradient_index<std::remove_cvref_t<decltype(x)>, 0, 1, "i">;
  using gc = lf::gradient_index<std::remove_cvref_t<decltype(x)>, 1, 1, "j1">;
  STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(d)>,
                                lf::node<lf::ops::equal, gc, lf::access<std::remove_cvref_t<decltype(t)>, gi>>> ||
                 std::is_same_v<std::remove_cvref_t<decltype(d)>,
                                lf::node<lf::ops::equal, lf::access<std::remove_cvref_t<decltype(t)>, gi>, gc>>);
  auto const value =
      lf::reference::evaluate(d, lf::bind(x = lf::host_view(logits, {3, 4}), t = lf::host_view(targets, {3})));
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k) CHECK(value.values[r * 4 + k] == (k == targets[r] ? 1.0 : 0.0));
}

TEST_CASE("grad builds simplified types", "[grad][types]") {
  STATIC_REQUIRE(std::is_same_v<decltype(lf::grad(xs * xs, xs)), decltype(2_c * xs)>);
  STATIC_REQUIRE(std::is_same_v<decltype(lf::grad(3_c * xs + 1_c, xs)), lf::constant<3>>);
  STATIC_REQUIRE(std::is_same_v<decltype(lf::grad(lf::exp(xs), xs)), decltype(lf::exp(xs))>);
  STATIC_REQUIRE(
      std::is_same_v<decltype(lf::grad(lf::log(lf::sigmoid(xs)), xs)), decltype(lf::sigmoid(lf::c<-1> * xs))>);
  // An elementwise loss's gradient has no reduction left in it: one pass can write it.
  auto const d = lf::grad(lf::mean(lf::square(p - g)), p);
  STATIC_REQUIRE(!lf::detail::is_reduce_v<std::remove_cvref_t<decltype(d)>>);
  CHECK(lf::to_text(d) == "2 * (p - g) / N");
}

TEMPLATE_TEST_CASE("gradients with respect to runtime scalars", "[grad][scalar]", float, double) {
  using T = TestType;
  std::vector<T> pv(probabilities.begin(), probabilities.end()), gv(truth.begin(), truth.end());
  std::vector<double> pd(probabilities), gd(truth);
  auto at = [&](auto const& e, double wv, double sv) {  // in T
    return lf::reference::evaluate<T>(
        e, lf::bind(p = lf::host_view(pv, {6}), g = lf::host_view(gv, {6}), w = T(wv), s = T(sv)));
  };
  auto at_double = [&](auto const& e, double wv, double sv) {  // the finite-difference oracle runs in double
    return lf::reference::evaluate(e, lf::bind(p = lf::host_view(pd, {6}), g = lf::host_view(gd, {6}), w = wv, s = sv));
  };
  // A temperature-scaled loss: d/ds of mean(softplus(s * p) - g * s * p), and of combo with respect to its weight.
  constexpr auto tempered = lf::mean(lf::softplus(s * p) - g * s * p) + w * w * lf::sum(p);
  auto const [dw, ds] = lf::grad(tempered, w, s);
  double const h = 1e-6;
  CHECK(close(at(dw, 0.3, 1.7), (at_double(tempered, 0.3 + h, 1.7) - at_double(tempered, 0.3 - h, 1.7)) / (2 * h),
              tolerance<T>::finite_difference));
  CHECK(close(at(ds, 0.3, 1.7), (at_double(tempered, 0.3, 1.7 + h) - at_double(tempered, 0.3, 1.7 - h)) / (2 * h),
              tolerance<T>::finite_difference));
  CHECK(close(at(lf::grad(combo, w), 0.5, 0), at(bce, 0, 0), tolerance<T>::value));
}

TEST_CASE("second derivatives", "[grad][second]") {
  auto at = [](auto const& e, double v) { return lf::reference::evaluate(e, lf::bind(xs = v)); };
  // Closed forms: (x^3)'' = 6x, sigmoid'' = s(1-s)(1-2s), (log(1+x^2))'' = 2(1-x^2)/(1+x^2)^2.
  CHECK(close(at(lf::grad(lf::grad(lf::pow<3>(xs), xs), xs), 1.5), 9.0, 1e-14));
  double const sv = 1 / (1 + std::exp(-0.7));
  CHECK(close(at(lf::grad(lf::grad(lf::sigmoid(xs), xs), xs), 0.7), sv * (1 - sv) * (1 - 2 * sv), 1e-14));
  CHECK(close(at(lf::grad(lf::grad(lf::log1p(xs * xs), xs), xs), 0.4), 2 * (1 - 0.16) / std::pow(1.16, 2), 1e-14));
  // A Hessian over a tensor: d2/dp[a]dp[b] sum(p^3) = 6 p[a] delta(a, b).
  std::vector<double> pv{0.5, -1.0, 2.0};
  auto const hessian =
      lf::reference::evaluate(lf::grad(lf::grad(lf::sum(lf::pow<3>(p)), p), p), lf::bind(p = lf::host_view(pv, {3})));
  REQUIRE(hessian.shape == lf::shape_t{3, 3});
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) CHECK(hessian.values[a * 3 + b] == (a == b ? 6 * pv[a] : 0.0));
}

TEMPLATE_TEST_CASE("a composite over two differentiable tensors: CE + L1 + L2 on weights", "[grad]", float, double) {
  constexpr auto l1 = lf::sum(lf::abs(wts));
  constexpr auto l2 = lf::sum(lf::square(wts));
  constexpr auto total = cross_entropy + lf::c<1, 100> * l1 + lf::c<1, 1000> * l2;
  std::vector<double> weights{0.5, -0.25, 1.5, -2.0, 0.125};
  std::vector<TestType> weights_t(weights.begin(), weights.end()), logits_t(logits.begin(), logits.end());
  check_tensor_gradient<TestType>(total, x, logits, {3, 4}, [&](auto view) {
    return lf::bind(x = view, t = lf::host_view(targets, {3}), wts = lf::host_view(weights_t, {5}));
  });
  check_tensor_gradient<TestType>(total, wts, weights, {5}, [&](auto view) {
    return lf::bind(x = lf::host_view(logits_t, {3, 4}), t = lf::host_view(targets, {3}), wts = view);
  });
}

TEST_CASE("a sum that loses its tensors in the derivative keeps its extent", "[grad][extent]") {
  // d/dy of sum_i sum_c ([c == t(i)] y(i) + x(i, c)) is sum_c [c == t(j)]: the x term, the only one indexed by c,
  // is gone from the derivative, yet the sum must still run over x's four classes. It counts the one class each
  // target names, so every entry is 1.
  constexpr lf::tensor<"y", 1> y;
  constexpr auto dy = lf::grad(lf::sum(i, lf::sum(c, (c == t(i)) * y(i) + x(i, c))), y);
  std::vector<double> yv{0.5, -1.0, 2.0};
  auto const value = lf::reference::evaluate(
      dy, lf::bind(y = lf::host_view(yv), t = lf::host_view(targets, {3}), x = lf::host_view(logits, {3, 4})));
  REQUIRE(value.shape == lf::shape_t{3});
  for (double v : value.values) CHECK(v == 1.0);
}

TEST_CASE("statistics of other rows and classes inside a per-entry loss keep the gradient's shape", "[grad][extent]") {
  // A global statistic and a class's statistic inside a loss over every entry (i, c): the derivative of the global
  // one no longer reads any tensor along i or c, and the class's one is read at the gradient's own class. Neither
  // may leave the loss's i or c free in the gradient, which has exactly q's two indices.
  constexpr lf::tensor<"q", 2> q;
  constexpr lf::index<"j"> j;
  constexpr lf::index<"d"> d;
  constexpr auto with_global = lf::mean(i, lf::mean(c, lf::mean(j, lf::sum(d, q(j, d))) + lf::square(q(i, c))));
  constexpr auto with_class = lf::sum(i, lf::mean(c, lf::square(lf::sum(j, q(j, c))) + q(i, c)));
  using global_free = lf::detail::free_indices_t<std::remove_cvref_t<decltype(lf::grad(with_global, q))>>;
  using class_free = lf::detail::free_indices_t<std::remove_cvref_t<decltype(lf::grad(with_class, q))>>;
  STATIC_REQUIRE(global_free::size == 2);
  STATIC_REQUIRE(lf::detail::filter_t<global_free, lf::detail::is_bound_kind>::size == 0);  // no i, c, j or d
  STATIC_REQUIRE(class_free::size == 2);
  STATIC_REQUIRE(lf::detail::filter_t<class_free, lf::detail::is_bound_kind>::size == 0);
  std::vector<double> const values{0.3, -0.8, 1.1, 0.45, -0.2, 0.9};
  auto with = [&](auto view) { return lf::bind(q = view); };
  check_tensor_gradient<double>(with_global, q, values, {2, 3}, with);
  check_tensor_gradient<double>(with_class, q, values, {2, 3}, with);
}
