// The per-class losses' sums and formulas, computed directly from their definitions, a check of a per-class kernel's
// value and gradient against such a formula by central differences in double, and the small batch their target and
// pass checks run on. The tests that use them are one loss per file, which keeps each unit's compile short.
#pragma once
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace lossforge::test {
// The per-class sums of the formulas, written here: softmax over the classes of x [N, C, S] (S positions per
// sample), one-hot targets t [N, S]; for each class the intersection sum(P_c G_c), sum(P_c), sum(P_c^2), the count
// sum(G_c), the false positives sum(P_c (1 - G_c)) and false negatives sum((1 - P_c) G_c).
struct class_totals {
  std::vector<double> intersection, probability, squares, count, false_positive, false_negative;
  class_totals(std::vector<double> const& x, std::vector<int> const& t, int n, int classes, int positions) {
    for (auto* v : {&intersection, &probability, &squares, &count, &false_positive, &false_negative})
      v->assign(std::size_t(classes), 0.0);
    for (int a = 0; a < n; ++a)
      for (int q = 0; q < positions; ++q) {
        auto at = [&](int k) { return x[std::size_t((a * classes + k) * positions + q)]; };
        double top = at(0), z = 0;
        for (int k = 1; k < classes; ++k) top = std::max(top, at(k));
        for (int k = 0; k < classes; ++k) z += std::exp(at(k) - top);
        for (int k = 0; k < classes; ++k) {
          auto const c = std::size_t(k);
          double const prob = std::exp(at(k) - top) / z, is_target = t[std::size_t(a * positions + q)] == k;
          intersection[c] += prob * is_target, probability[c] += prob, squares[c] += prob * prob;
          count[c] += is_target, false_positive[c] += prob * (1 - is_target);
          false_negative[c] += (1 - prob) * is_target;
        }
      }
  }
  std::size_t classes() const { return count.size(); }
};

inline double per_class_dice(class_totals const& s, double smooth) {
  double mean = 0;
  for (std::size_t c = 0; c < s.classes(); ++c)
    mean += (2 * s.intersection[c] + smooth) / (s.squares[c] + s.count[c] + smooth);
  return 1 - mean / double(s.classes());
}
// Sudre et al.'s weights 1 / n_c^2; an absent class weighs as the heaviest present one.
inline double generalized_dice(class_totals const& s, double smooth_numerator, double smooth_denominator) {
  double heaviest = 0, numerator = 0, denominator = 0;
  for (double n : s.count)
    if (n > 0) heaviest = std::max(heaviest, 1 / (n * n));
  for (std::size_t c = 0; c < s.classes(); ++c) {
    double const w = s.count[c] > 0 ? 1 / (s.count[c] * s.count[c]) : heaviest;
    numerator += w * s.intersection[c], denominator += w * (s.probability[c] + s.count[c]);
  }
  return 1 - (2 * numerator + smooth_numerator) / (denominator + smooth_denominator);
}
// mean_c (1 - TI_c)^gamma.
inline double focal_tversky(class_totals const& s, double alpha, double beta, double gamma, double smooth) {
  double mean = 0;
  for (std::size_t c = 0; c < s.classes(); ++c) {
    double const tp = s.intersection[c];
    mean +=
        std::pow(1 - (tp + smooth) / (tp + alpha * s.false_positive[c] + beta * s.false_negative[c] + smooth), gamma);
  }
  return mean / double(s.classes());
}

inline double per_class_dice(std::vector<double> const& x, std::vector<int> const& t, int n, int classes, int positions,
                             double s) {
  return per_class_dice(class_totals(x, t, n, classes, positions), s);
}

// Logits [2, 4, 3, 2] (class 3 absent from the targets unless every_class) and a kernel's value and gradient against
// formula(logits), the formula's central differences in double.
template <class Kernel, class Bind, class Formula>
void check_per_class_loss(Kernel const& kernel, Bind const& bind, Formula const& formula, bool every_class) {
  int const n = 2, classes = 4, height = 3, width = 2, positions = height * width;
  std::vector<double> logits;
  std::vector<int> targets;
  for (int k = 0; k < n * classes * positions; ++k) logits.push_back(2 * std::sin(0.7 * k + 0.2));
  for (int k = 0; k < n * positions; ++k) targets.push_back((5 * k + 2) % (every_class ? 4 : 3));
  Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace> xv("x", n, classes, height, width),
      dx("dx", n, classes, height, width);
  Kokkos::View<int***, Kokkos::LayoutRight, Kokkos::HostSpace> tv("t", n, height, width);
  std::copy(logits.begin(), logits.end(), xv.data());
  std::copy(targets.begin(), targets.end(), tv.data());
  auto at = [&](std::vector<double> const& x) { return formula(class_totals(x, targets, n, classes, positions)); };
  double const loss = kernel(bind(xv, tv), dx);
  CHECK(std::abs(loss - at(logits)) < 1e-14);
  for (int k = 0; k < n * classes * positions; ++k) {
    double const h = 1e-6;
    std::vector<double> up = logits, down = logits;
    up[std::size_t(k)] += h, down[std::size_t(k)] -= h;
    CHECK(std::abs(dx.data()[k] - (at(up) - at(down)) / (2 * h)) < 1e-8);
  }
}

// Logits [2, 3, 2, 2] and targets [2, 2, 2] (zeros until set) for a per-class kernel's target and pass checks.
struct small_batch {
  Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace> x{"x", 2, 3, 2, 2}, dx{"dx", 2, 3, 2, 2};
  Kokkos::View<int***, Kokkos::LayoutRight, Kokkos::HostSpace> t{"t", 2, 2, 2};

  // run() with one target set to value, outside the 3 classes, is an error naming it and x's class dimension; the
  // target is class 2 after.
  template <class Run>
  void check_target_out_of_range(Run const& run, int value) {
    t(1, 0, 1) = value;
    CHECK_THROWS_WITH(run(), Catch::Matchers::ContainsSubstring("index " + std::to_string(value) +
                                                                " is out of range for dimension 1 of 'x'"));
    t(1, 0, 1) = 2;
  }
};
}  // namespace lossforge::test
