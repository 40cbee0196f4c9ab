// Every elementwise op: its value against the standard library (or a naive long-double formula), its derivative
// against a central finite difference of that reference in double, in float and double. Kinks are pinned to
// PyTorch's subgradient convention separately, since a finite difference across a kink means nothing.
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <tests/support/tolerance.hpp>

namespace lf = lossforge;
using lf::test::central_difference;
using lf::test::close;
using lf::test::tolerance;

namespace {
constexpr lf::scalar<"x"> x;
constexpr lf::scalar<"y"> y;

template <class T, class Build, class Reference>
void check_unary(Build build, Reference reference, std::initializer_list<double> points) {
  auto const e = build(x);
  auto const de = lf::grad(e, x);
  for (double point : points) {
    T const v = T(point);
    auto const b = lf::bind(x = v);
    double const expected = double(reference(double(v)));
    INFO(lf::to_text(e) << " at x = " << double(v));
    CHECK(close(lf::reference::evaluate<T>(e, b), expected, tolerance<T>::value));
    double const slope = central_difference([&](double s) { return double(reference(s)); }, double(v));
    INFO("derivative " << lf::to_text(de));
    CHECK(close(lf::reference::evaluate<T>(de, b), slope, tolerance<T>::finite_difference));
  }
}

template <class T, class Build, class Reference>
void check_binary(Build build, Reference reference, std::initializer_list<std::pair<double, double>> points) {
  auto const e = build(x, y);
  auto const [dx, dy] = lf::grad(e, x, y);
  for (auto [px, py] : points) {
    T const vx = T(px), vy = T(py);
    auto const b = lf::bind(x = vx, y = vy);
    INFO(lf::to_text(e) << " at x = " << double(vx) << ", y = " << double(vy));
    CHECK(close(lf::reference::evaluate<T>(e, b), double(reference(double(vx), double(vy))), tolerance<T>::value));
    double const sx = central_difference([&](double s) { return double(reference(s, double(vy))); }, double(vx));
    double const sy = central_difference([&](double s) { return double(reference(double(vx), s)); }, double(vy));
    INFO("d/dx " << lf::to_text(dx) << ", d/dy " << lf::to_text(dy));
    CHECK(close(lf::reference::evaluate<T>(dx, b), sx, tolerance<T>::finite_difference));
    CHECK(close(lf::reference::evaluate<T>(dy, b), sy, tolerance<T>::finite_difference));
  }
}

using ld = long double;
}  // namespace

TEMPLATE_TEST_CASE("arithmetic ops", "[ops]", float, double) {
  std::initializer_list<std::pair<double, double>> points{{1.5, -2.25}, {-0.75, 0.5}, {3.0, 7.0}, {-4.0, -0.125}};
  check_binary<TestType>([](auto a, auto b) { return a + b; }, [](double a, double b) { return a + b; }, points);
  check_binary<TestType>([](auto a, auto b) { return a - b; }, [](double a, double b) { return a - b; }, points);
  check_binary<TestType>([](auto a, auto b) { return a * b; }, [](double a, double b) { return a * b; }, points);
  check_binary<TestType>([](auto a, auto b) { return a / b; }, [](double a, double b) { return a / b; }, points);
  check_unary<TestType>([](auto a) { return -a; }, [](double a) { return -a; }, {-2.0, 0.0, 3.5});
  check_unary<TestType>([](auto a) { return lf::square(a); }, [](double a) { return a * a; }, {-2.0, 0.0, 3.5});
  check_unary<TestType>([](auto a) { return lf::pow<3>(a); }, [](double a) { return std::pow(a, 3.0); },
                        {-2.0, 0.5, 3.5});
  check_unary<TestType>([](auto a) { return lf::pow<-2>(a); }, [](double a) { return std::pow(a, -2.0); },
                        {-2.0, 0.5, 3.5});
  check_binary<TestType>([](auto a, auto b) { return lf::pow(a, b); },
                         [](double a, double b) { return std::pow(a, b); }, {{1.5, 2.5}, {0.25, -0.5}, {3.0, 0.3}});
}

TEMPLATE_TEST_CASE("transcendental ops", "[ops]", float, double) {
  check_unary<TestType>([](auto a) { return lf::log(a); }, [](double a) { return std::log(a); },
                        {1e-3, 0.5, 1.0, 7.0, 1e4});
  check_unary<TestType>([](auto a) { return lf::log1p(a); }, [](double a) { return std::log1p(a); },
                        {-0.9, -1e-6, 0.0, 2.0, 50.0});
  check_unary<TestType>([](auto a) { return lf::exp(a); }, [](double a) { return std::exp(a); },
                        {-20.0, -1.0, 0.0, 0.5, 30.0});
  check_unary<TestType>([](auto a) { return lf::expm1(a); }, [](double a) { return std::expm1(a); },
                        {-5.0, -1e-6, 0.0, 2.0});
  check_unary<TestType>([](auto a) { return lf::sqrt(a); }, [](double a) { return std::sqrt(a); },
                        {1e-4, 0.5, 2.0, 900.0});
  check_unary<TestType>([](auto a) { return lf::tanh(a); }, [](double a) { return std::tanh(a); },
                        {-4.0, -0.5, 0.0, 0.3, 6.0});
  auto sigmoid = [](double a) { return 1 / (1 + std::exp(ld(-a))); };
  check_unary<TestType>([](auto a) { return lf::sigmoid(a); }, sigmoid, {-40.0, -3.0, 0.0, 0.4, 5.0, 40.0});
  check_unary<TestType>([](auto a) { return lf::softplus(a); }, [](double a) { return std::log(1 + std::exp(ld(a))); },
                        {-40.0, -3.0, 0.0, 0.4, 5.0, 40.0});
  check_unary<TestType>([](auto a) { return lf::log_sigmoid(a); },
                        [](double a) { return std::log(1 / (1 + std::exp(ld(-a)))); },
                        {-40.0, -3.0, 0.0, 0.4, 5.0, 40.0});
  // bce_with_logits(x, y, c) = (1 - y) x + c log(1 + e^-x): with respect to x and y at c = 1.5, then x and c.
  auto softplus_minus = [](double a) { return std::log(1 + std::exp(ld(-a))); };
  check_binary<TestType>([](auto a, auto b) { return lf::bce_with_logits(a, b, 1.5); },
                         [&](double a, double b) { return (1 - b) * a + 1.5 * softplus_minus(a); },
                         {{-30.0, 0.25}, {-2.0, 1.0}, {0.0, 0.5}, {3.0, 0.0}, {30.0, 0.75}});
  check_binary<TestType>([](auto a, auto b) { return lf::bce_with_logits(a, 0.25, b); },
                         [&](double a, double b) { return 0.75 * a + b * softplus_minus(a); },
                         {{-3.0, 1.0}, {0.5, 2.5}, {4.0, 0.5}});
}

TEMPLATE_TEST_CASE("piecewise ops away from their kinks", "[ops]", float, double) {
  check_unary<TestType>([](auto a) { return lf::abs(a); }, [](double a) { return std::abs(a); },
                        {-3.0, -0.5, 0.25, 8.0});
  check_unary<TestType>([](auto a) { return lf::sign(a); }, [](double a) { return double((a > 0) - (a < 0)); },
                        {-3.0, 0.25});
  check_unary<TestType>([](auto a) { return lf::relu(a); }, [](double a) { return a > 0 ? a : 0.0; },
                        {-3.0, -0.5, 0.25, 8.0});
  std::initializer_list<std::pair<double, double>> points{{1.5, -2.25}, {-0.75, 0.5}, {3.0, 7.0}};
  check_binary<TestType>([](auto a, auto b) { return lf::min(a, b); },
                         [](double a, double b) { return std::min(a, b); }, points);
  check_binary<TestType>([](auto a, auto b) { return lf::max(a, b); },
                         [](double a, double b) { return std::max(a, b); }, points);
  check_binary<TestType>([](auto a, auto b) { return lf::clamp(a, -1, b); },
                         [](double a, double b) { return std::min(std::max(a, -1.0), b); },
                         {{-3.0, 2.0}, {0.5, 2.0}, {4.0, 2.0}});
}

TEMPLATE_TEST_CASE("subgradients at kinks follow PyTorch", "[ops][kink]", float, double) {
  using T = TestType;
  auto at = [](auto const& e, T vx, T vy = T(0)) { return lf::reference::evaluate<T>(e, lf::bind(x = vx, y = vy)); };
  CHECK(at(lf::grad(lf::abs(x), x), 0) == 0);   // abs'(0) = 0
  CHECK(at(lf::grad(lf::relu(x), x), 0) == 0);  // relu'(0) = 0
  CHECK(at(lf::grad(lf::sign(x), x), 0) == 0);
  auto const [dmin_x, dmin_y] = lf::grad(lf::min(x, y), x, y);
  CHECK(at(dmin_x, 2, 2) == T(0.5));  // ties split one half each
  CHECK(at(dmin_y, 2, 2) == T(0.5));
  auto const [dmax_x, dmax_y] = lf::grad(lf::max(x, y), x, y);
  CHECK(at(dmax_x, -1, -1) == T(0.5));
  CHECK(at(dmax_y, -1, -1) == T(0.5));
  auto const dclamp = lf::grad(lf::clamp(x, -1, 1), x);
  CHECK(at(dclamp, -1) == 1);  // clamp passes the gradient at its bounds
  CHECK(at(dclamp, 1) == 1);
  CHECK(at(dclamp, T(1.5)) == 0);
}

TEMPLATE_TEST_CASE("comparisons and where", "[ops]", float, double) {
  using T = TestType;
  auto at = [](auto const& e, T vx, T vy) { return lf::reference::evaluate<T>(e, lf::bind(x = vx, y = vy)); };
  CHECK(at(x < y, 1, 2) == 1);
  CHECK(at(x < y, 2, 2) == 0);
  CHECK(at(x <= y, 2, 2) == 1);
  CHECK(at(x > y, 3, 2) == 1);
  CHECK(at(x >= y, 1, 2) == 0);
  CHECK(at(x == y, 2, 2) == 1);
  CHECK(at(x != y, 2, 2) == 0);
  auto const w = lf::where(x > 0, lf::log(x), y * y);
  CHECK(close(at(w, 2, 3), std::log(2.0), tolerance<T>::value));
  CHECK(at(w, -1, 3) == 9);  // log(-1) is never evaluated
  auto const [dx, dy] = lf::grad(w, x, y);
  CHECK(close(at(dx, 2, 3), 0.5, tolerance<T>::value));
  CHECK(at(dy, 2, 3) == 0);
  CHECK(at(dx, 0, 3) == 0);  // 1/x at x = 0 is infinite, but the branch is not taken: exactly 0, not NaN
  CHECK(at(dy, -1, 3) == 6);
}

TEMPLATE_TEST_CASE("NaN and infinities propagate through every op", "[ops][ieee]", float, double) {
  using T = TestType;
  T const nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
  auto at = [](auto const& e, T v) { return lf::reference::evaluate<T>(e, lf::bind(x = v)); };
  CHECK(std::isnan(at(lf::log(x), nan)));
  CHECK(std::isnan(at(lf::sigmoid(x), nan)));
  CHECK(std::isnan(at(lf::softplus(x), nan)));
  CHECK(std::isnan(at(lf::log_sigmoid(x), nan)));
  CHECK(std::isnan(at(lf::relu(x), nan)));
  CHECK(std::isnan(at(lf::abs(x), nan)));
  CHECK(std::isnan(at(lf::sign(x), nan)));
  CHECK(std::isnan(at(lf::min(x, 1), nan)));
  CHECK(std::isnan(at(lf::max(1, x), nan)));
  CHECK(std::isnan(at(lf::clamp(x, 0, 1), nan)));
  CHECK(at(lf::sigmoid(x), inf) == 1);
  CHECK(at(lf::sigmoid(x), -inf) == 0);
  CHECK(at(lf::softplus(x), inf) == inf);
  CHECK(at(lf::softplus(x), -inf) == 0);
  CHECK(at(lf::log_sigmoid(x), -inf) == -inf);
  CHECK(at(lf::log(x), 0) == -inf);
  CHECK(at(lf::clamp(x, 0, 1), inf) == 1);
}
