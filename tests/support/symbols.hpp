#pragma once
// The symbols the unit tests share: predictions p and truth g used bare, logits x[i, c] with integer targets t[i],
// a runtime weight w, and cross-entropy over them (written out, not taken from a library catalogue).
#include <lossforge/lossforge.hpp>

namespace lossforge::test::symbols {
inline constexpr tensor<"p"> p;
inline constexpr tensor<"g"> g;
inline constexpr tensor<"x", 2> x;
inline constexpr int_tensor<"t", 1> t;
inline constexpr index<"i"> i;
inline constexpr index<"c"> c;
inline constexpr scalar<"w"> w;
inline constexpr auto cross_entropy = mean(i, logsumexp(c, x(i, c)) - x(i, t(i)));
}  // namespace lossforge::test::symbols
