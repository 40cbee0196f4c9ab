#pragma once
// What the device check's translation units share: one loss per kind of plan, the inputs on the host, and the
// reference evaluator's values for them (device_reference.cpp: host code in a unit of its own, which the CUDA build in
// CI leaves out; scripts/device-check.sh compiles it like the others, so every unit sees the same definitions).
#include <string>
#include <vector>

#include <lossforge/losses.hpp>

namespace lossforge::device_check {
namespace L = losses;

constexpr tensor<"p", 2> p;
constexpr tensor<"g", 2> g;
constexpr tensor<"cw", 1> cw;
constexpr int_tensor<"t", 1> t;
constexpr scalar<"eps"> eps;
constexpr index<"i"> i;
constexpr index<"c"> c;

// Rows in blocks (Combo), rows along a class axis (label-smoothed cross entropy; with class weights and ignored rows,
// a prelude), intermediates (per-class Dice), a per-element loss, and a scalar symbol's gradient (the examples'
// Charbonnier loss).
constexpr auto combo = L::combo(p, g, 1.0, 0.5);
constexpr auto smoothed = L::cross_entropy(p, t, L::cross_entropy_options<>{}.label_smoothing(0.1), L::mean);
constexpr auto weighted = L::cross_entropy(p, t, L::cross_entropy_options<>{}.weight(cw).ignore_index(-100), L::mean);
constexpr auto per_class_dice = mean(c, 1 - 2 * sum(i, p(i, c) * g(i, c)) / (sum(i, p(i, c)) + sum(i, g(i, c))));
constexpr auto per_element = L::mse(p, g, L::none);
constexpr auto charbonnier = mean(sqrt(square(p - g) + square(eps)));
constexpr double charbonnier_eps = 1e-3;

enum class loss_kind { combo, smoothed, weighted, per_class_dice, per_element, charbonnier };

// Row-major [rows, classes] p in (0, 1) and g in [0, 1]; labels t, and t_ignored with every fifth row -100.
struct inputs {
  int rows, classes;
  std::vector<double> p, g, cw;
  std::vector<int> t, t_ignored;
};
inputs make_inputs(int rows, int classes);

// The loss (one number, or the per-element losses), the gradient wrt p of the loss (of the summed per-element
// losses for reduction none) and, for Charbonnier, wrt eps.
struct reference_values {
  std::vector<double> loss, dp, deps;
};
reference_values reference(loss_kind kind, inputs const& in);

}  // namespace lossforge::device_check
