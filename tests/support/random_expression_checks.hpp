#pragma once
// Checks for the randomized-expression tests (tests/unit/simplify/random_expressions_*_test.cpp): the simplified
// expression evaluates equal to the original wherever the original is finite, simplify is idempotent, and grad()
// agrees with central finite differences of the original.
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <tests/support/tolerance.hpp>
#include <type_traits>
#include <vector>

namespace lossforge::test::random_expressions {
namespace lf = lossforge;
using namespace lf::literals;

constexpr lf::scalar<"x"> x;
constexpr lf::scalar<"y"> y;
constexpr lf::tensor<"p"> p;

// Rewrites change rounding (log1p for log(1 + .), folded constants), so values agree to a few hundred ulps.
constexpr double rewrite_tolerance = 1e-12;
std::vector<std::pair<double, double>> const points{{0.3, -0.7}, {-1.2, 0.45}, {2.1, 1.3}};
std::vector<double> const tensor_data{0.25, -0.5, 1.5, 0.75};

inline int checked = 0;

// Make returns the expression; simplify and grad run at compile time, so only evaluation is compiled to code.
template <class Make>
void check_scalar(Make) {
  constexpr auto e = Make{}();
  constexpr auto simplified = lf::simplify(e);
  STATIC_REQUIRE(std::is_same_v<decltype(lf::simplify(simplified)), std::remove_cvref_t<decltype(simplified)>>);
  constexpr auto dx = lf::grad(e, x);
  constexpr auto dy = lf::grad(e, y);
  for (auto [vx, vy] : points) {
    auto at = [&](auto const& f, double a, double b) { return lf::reference::evaluate(f, lf::bind(x = a, y = b)); };
    double const original = at(e, vx, vy);
    if (!std::isfinite(original)) continue;
    INFO(lf::to_text(e) << "\nat x = " << vx << ", y = " << vy);
    CHECK(close(at(simplified, vx, vy), original, rewrite_tolerance));
    CHECK(close(at(dx, vx, vy), central_difference([&](double v) { return at(e, v, vy); }, vx), 1e-6));
    CHECK(close(at(dy, vx, vy), central_difference([&](double v) { return at(e, vx, v); }, vy), 1e-6));
    ++checked;
  }
}

template <class Make>
void check_tensor(Make) {
  constexpr auto e = Make{}();
  constexpr auto simplified = lf::simplify(e);
  STATIC_REQUIRE(std::is_same_v<decltype(lf::simplify(simplified)), std::remove_cvref_t<decltype(simplified)>>);
  constexpr auto dp = lf::grad(e, p);
  for (auto [vx, vy] : points) {
    auto at = [&](auto const& f, std::vector<double> const& data) {
      return lf::reference::evaluate(f, lf::bind(p = lf::host_view(data, {4}), x = vx, y = vy));
    };
    double const original = at(e, tensor_data);
    if (!std::isfinite(original)) continue;
    INFO(lf::to_text(e));
    CHECK(close(at(simplified, tensor_data), original, rewrite_tolerance));
    auto const gradient = at(dp, tensor_data);
    for (std::size_t k = 0; k < tensor_data.size(); ++k) {
      auto moved = [&](double v) {
        auto data = tensor_data;
        data[k] = v;
        return at(e, data);
      };
      CHECK(close(gradient.values[k], central_difference(moved, tensor_data[k]), 1e-6));
    }
    ++checked;
  }
}
}  // namespace lossforge::test::random_expressions
