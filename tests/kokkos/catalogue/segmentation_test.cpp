// Tversky and soft IoU: their identities with Dice and with each other, empty masks, and the two passes of a loss
// of global sums (the sums, then the gradient that reads them). Per-class Dice over softmax probabilities and class
// indices at every rank it takes, and its targets checked. Expected values are computed here.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <stdexcept>
#include <string>
#include <tests/support/kokkos_events.hpp>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
constexpr lf::scalar<"alpha"> alpha;
constexpr lf::scalar<"beta"> beta;
constexpr lf::scalar<"s"> smooth;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;

struct masks {
  static constexpr int n = 37;  // full SIMD blocks and a remainder
  vector p{"p", n}, g{"g", n}, dp{"dp", n}, reference_dp{"dp_ref", n};
  double sp = 0, sg = 0, spg = 0;
  masks() {
    for (int k = 0; k < n; ++k) {
      p(k) = 0.5 + 0.45 * std::sin(1.3 * k), g(k) = k % 3 == 0;
      sp += p(k), sg += g(k), spg += p(k) * g(k);
    }
  }
};
}  // namespace

TEST_CASE("Tversky: alpha = beta = 1/2 is the Dice of sum(p) + sum(g), alpha = beta = 1 is soft IoU", "[overlap]") {
  static constexpr auto tversky = lf::kokkos::compile(L::tversky(p, g, alpha, beta, smooth), lf::wrt(p));
  static constexpr auto iou = lf::kokkos::compile(L::soft_iou(p, g, smooth), lf::wrt(p));
  masks m;
  double loss = 0;
  // Pass 1 accumulates the three sums; pass 2 writes the gradient, which reads them.
  CHECK(lf::test::kernels_launched(
            [&] { loss = tversky(lf::bind(p = m.p, g = m.g, alpha = 0.5, beta = 0.5, smooth = 0.0), m.dp); }) == 2);
  double const dice = 1 - 2 * m.spg / (m.sp + m.sg);
  CHECK(std::abs(loss - dice) < 1e-14);
  for (int k = 0; k < m.n; ++k)  // d/dp_k of 1 - 2 I / S: -2 (g_k S - I) / S^2
    CHECK(std::abs(m.dp(k) - (-2 * (m.g(k) * (m.sp + m.sg) - m.spg) / ((m.sp + m.sg) * (m.sp + m.sg)))) < 1e-14);

  double const with_ones = tversky(lf::bind(p = m.p, g = m.g, alpha = 1.0, beta = 1.0, smooth = 0.5), m.dp);
  CHECK(lf::test::kernels_launched([&] { loss = iou(lf::bind(p = m.p, g = m.g, smooth = 0.5), m.reference_dp); }) ==
        2);
  CHECK(std::abs(loss - (1 - (m.spg + 0.5) / (m.sp + m.sg - m.spg + 0.5))) < 1e-14);
  CHECK(std::abs(with_ones - loss) < 1e-14);
  for (int k = 0; k < m.n; ++k) CHECK(std::abs(m.dp(k) - m.reference_dp(k)) < 1e-14);
}

TEST_CASE("empty masks: 0 with smoothing, 1 - s / (w + s) for an empty prediction of a full mask", "[overlap]") {
  static constexpr auto tversky = lf::kokkos::compile(L::tversky(p, g, alpha, beta, smooth), lf::wrt(p));
  vector zeros("p", 4), ones("g", 4), dp("dp", 4);
  Kokkos::deep_copy(ones, 1.0);
  auto const empty = lf::bind(p = zeros, g = zeros, alpha = 0.3, beta = 0.7, smooth = 1.0);
  CHECK(tversky(empty, dp) == 0);
  // FN = 4: 1 - 1 / (0.7 * 4 + 1).
  CHECK(std::abs(tversky(lf::bind(p = zeros, g = ones, alpha = 0.3, beta = 0.7, smooth = 1.0), dp) - (1 - 1 / 3.8)) <
        1e-15);
  for (int k = 0; k < 4; ++k) CHECK(std::isfinite(dp(k)));
  // Without smoothing two empty masks are 0 / 0: NaN, as the formula says, never a made-up value.
  CHECK(std::isnan(tversky(lf::bind(p = zeros, g = zeros, alpha = 0.3, beta = 0.7, smooth = 0.0), dp)));
  CHECK_THROWS_AS(tversky(lf::bind(p = zeros, g = zeros, alpha = -0.3, beta = 0.7, smooth = 1.0), dp),
                  std::invalid_argument);
  vector short_mask("g", 3);
  CHECK_THROWS_AS(tversky(lf::bind(p = zeros, g = short_mask, alpha = 0.3, beta = 0.7, smooth = 1.0), dp),
                  std::invalid_argument);
}

namespace {
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

double per_class_dice(class_totals const& s, double smooth) {
  double mean = 0;
  for (std::size_t c = 0; c < s.classes(); ++c)
    mean += (2 * s.intersection[c] + smooth) / (s.squares[c] + s.count[c] + smooth);
  return 1 - mean / double(s.classes());
}
// Sudre et al.'s weights 1 / n_c^2; an absent class weighs as the heaviest present one.
double generalized_dice(class_totals const& s, double smooth_numerator, double smooth_denominator) {
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
double focal_tversky(class_totals const& s, double alpha, double beta, double gamma, double smooth) {
  double mean = 0;
  for (std::size_t c = 0; c < s.classes(); ++c) {
    double const tp = s.intersection[c];
    mean += std::pow(
        1 - (tp + smooth) / (tp + alpha * s.false_positive[c] + beta * s.false_negative[c] + smooth), gamma);
  }
  return mean / double(s.classes());
}

double per_class_dice(std::vector<double> const& x, std::vector<int> const& t, int n, int classes, int positions,
                      double s) {
  return per_class_dice(class_totals(x, t, n, classes, positions), s);
}
}  // namespace

TEST_CASE("per-class Dice over logits [N, C] and [N, C, D, H, W]: the formula's value, its gradient by differences",
          "[overlap]") {
  constexpr lf::tensor<"x", 2> x2;
  constexpr lf::int_tensor<"t", 1> t1;
  constexpr lf::tensor<"x", 5> x5;
  constexpr lf::int_tensor<"t", 4> t4;
  static constexpr auto rows = lf::kokkos::compile(L::dice_per_class(x2, t1, smooth), lf::wrt(x2));
  static constexpr auto volumes = lf::kokkos::compile(L::dice_per_class(x5, t4, smooth), lf::wrt(x5));
  int const n = 2, classes = 4, depth = 2, height = 3, width = 2, positions = depth * height * width;
  std::vector<double> logits;
  std::vector<int> targets;
  for (int k = 0; k < n * classes * positions; ++k) logits.push_back(2 * std::sin(0.9 * k + 0.3));
  for (int k = 0; k < n * positions; ++k) targets.push_back((5 * k + 2) % 3);  // class 3 absent
  Kokkos::View<double*****, Kokkos::LayoutRight, Kokkos::HostSpace> xv("x", n, classes, depth, height, width),
      dx("dx", n, classes, depth, height, width);
  Kokkos::View<int****, Kokkos::LayoutRight, Kokkos::HostSpace> tv("t", n, depth, height, width);
  std::copy(logits.begin(), logits.end(), xv.data());
  std::copy(targets.begin(), targets.end(), tv.data());
  for (double s : {0.0, 1.0}) {
    double const loss = volumes(lf::bind(x5 = xv, t4 = tv, smooth = s), dx);
    CHECK(std::abs(loss - per_class_dice(logits, targets, n, classes, positions, s)) < 1e-14);
    for (int k = 0; k < n * classes * positions; k += 5) {  // central differences of the formula, in double
      double const h = 1e-6;
      std::vector<double> up = logits, down = logits;
      up[std::size_t(k)] += h, down[std::size_t(k)] -= h;
      double const difference = (per_class_dice(up, targets, n, classes, positions, s) -
                                  per_class_dice(down, targets, n, classes, positions, s)) /
                                 (2 * h);
      CHECK(std::abs(dx.data()[k] - difference) < 1e-8);
    }
  }
  // Rows: one position per sample.
  int const samples = 2 * positions;
  Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace> xr("x", samples, classes), dxr("dx", samples, classes);
  Kokkos::View<int*, Kokkos::HostSpace> tr("t", samples);
  std::vector<double> by_rows(std::size_t(samples * classes));
  for (int a = 0; a < samples; ++a) {
    tr(a) = targets[std::size_t(a)];
    for (int k = 0; k < classes; ++k) xr(a, k) = by_rows[std::size_t(a * classes + k)] = logits[std::size_t(a + k)];
  }
  double const loss = rows(lf::bind(x2 = xr, t1 = tr, smooth = 0.5), dxr);
  CHECK(std::abs(loss - per_class_dice(by_rows, targets, samples, classes, 1, 0.5)) < 1e-14);
}

TEST_CASE("per-class Dice: a target outside the classes is an error naming x's class dimension", "[overlap]") {
  constexpr lf::tensor<"x", 4> x;
  constexpr lf::int_tensor<"t", 3> t;
  static constexpr auto kernel = lf::kokkos::compile(L::dice_per_class(x, t, smooth), lf::wrt(x));
  Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace> xv("x", 2, 3, 2, 2), dx("dx", 2, 3, 2, 2);
  Kokkos::View<int***, Kokkos::LayoutRight, Kokkos::HostSpace> tv("t", 2, 2, 2);
  for (int value : {3, -1, 255}) {
    tv(1, 0, 1) = value;
    CHECK_THROWS_WITH(kernel(lf::bind(x = xv, t = tv, smooth = 1.0), dx),
                      Catch::Matchers::ContainsSubstring("index " + std::to_string(value) +
                                                         " is out of range for dimension 1 of 'x'"));
  }
  tv(1, 0, 1) = 2;
  // Four passes: each position's log-sum-exp and target probability; each class's sums; each position's sums over
  // the classes of what the gradient reads; the gradient (the third pass launches two kernels).
  CHECK(kernel.plan.pass_count == 4);
  double loss = 0;
  CHECK(lf::test::kernels_launched([&] { loss = kernel(lf::bind(x = xv, t = tv, smooth = 1.0), dx); }) == 5);
  CHECK(std::isfinite(loss));
}

namespace {
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
}  // namespace

TEST_CASE("generalized Dice: weights 1 / n_c^2, an absent class weighs as the heaviest present one", "[overlap]") {
  constexpr lf::tensor<"x", 4> x;
  constexpr lf::int_tensor<"t", 3> t;
  constexpr lf::scalar<"sn"> sn;
  constexpr lf::scalar<"sd"> sd;
  static constexpr auto kernel = lf::kokkos::compile(L::generalized_dice(x, t, sn, sd), lf::wrt(x));
  for (bool every_class : {true, false})
    for (auto [a, b] : {std::pair{0.0, 0.0}, std::pair{1e-5, 1e-5}, std::pair{1.0, 0.5}}) {
      CAPTURE(every_class, a, b);
      check_per_class_loss(
          kernel, [&](auto const& xv, auto const& tv) { return lf::bind(x = xv, t = tv, sn = a, sd = b); },
          [&](class_totals const& s) { return generalized_dice(s, a, b); }, every_class);
    }
}

TEST_CASE("per-class Tversky and focal Tversky: the formula's value, its gradient by differences; gamma 1 is Tversky",
          "[overlap]") {
  constexpr lf::tensor<"x", 4> x;
  constexpr lf::int_tensor<"t", 3> t;
  constexpr lf::scalar<"gamma"> gamma;
  static constexpr auto tversky = lf::kokkos::compile(L::tversky_per_class(x, t, alpha, beta, smooth), lf::wrt(x));
  static constexpr auto focal =
      lf::kokkos::compile(L::focal_tversky(x, t, alpha, beta, gamma, smooth), lf::wrt(x));
  for (bool every_class : {true, false})
    for (auto [a, b, s] : {std::tuple{0.3, 0.7, 1.0}, std::tuple{0.5, 0.5, 0.0}, std::tuple{0.7, 0.3, 1e-5}}) {
      CAPTURE(every_class, a, b, s);
      check_per_class_loss(
          tversky,
          [&](auto const& xv, auto const& tv) { return lf::bind(x = xv, t = tv, alpha = a, beta = b, smooth = s); },
          [&](class_totals const& c) { return focal_tversky(c, a, b, 1.0, s); }, every_class);
      for (double y : {0.75, 1.0, 2.0})
        check_per_class_loss(
            focal,
            [&](auto const& xv, auto const& tv) {
              return lf::bind(x = xv, t = tv, alpha = a, beta = b, gamma = y, smooth = s);
            },
            [&](class_totals const& c) { return focal_tversky(c, a, b, y, s); }, every_class);
    }
}

TEST_CASE("generalized Dice and per-class Tversky: targets checked, parameters in range, passes pinned",
          "[overlap]") {
  constexpr lf::tensor<"x", 4> x;
  constexpr lf::int_tensor<"t", 3> t;
  constexpr lf::scalar<"gamma"> gamma;
  constexpr lf::scalar<"sn"> sn;
  constexpr lf::scalar<"sd"> sd;
  static constexpr auto generalized = lf::kokkos::compile(L::generalized_dice(x, t, sn, sd), lf::wrt(x));
  static constexpr auto focal =
      lf::kokkos::compile(L::focal_tversky(x, t, alpha, beta, gamma, smooth), lf::wrt(x));
  Kokkos::View<double****, Kokkos::LayoutRight, Kokkos::HostSpace> xv("x", 2, 3, 2, 2), dx("dx", 2, 3, 2, 2);
  Kokkos::View<int***, Kokkos::LayoutRight, Kokkos::HostSpace> tv("t", 2, 2, 2);
  auto const focal_bind = [&](double a, double y) {
    return lf::bind(x = xv, t = tv, alpha = a, beta = 0.7, gamma = y, smooth = 1.0);
  };
  tv(1, 0, 1) = 3;
  auto const out_of_range = Catch::Matchers::ContainsSubstring("index 3 is out of range for dimension 1 of 'x'");
  auto const generalized_bind = [&] { return lf::bind(x = xv, t = tv, sn = 1e-5, sd = 1e-5); };
  CHECK_THROWS_WITH(generalized(generalized_bind(), dx), out_of_range);
  CHECK_THROWS_WITH(focal(focal_bind(0.3, 0.75), dx), out_of_range);
  tv(1, 0, 1) = 2;
  CHECK_THROWS_WITH(focal(focal_bind(-0.3, 0.75), dx), Catch::Matchers::ContainsSubstring("alpha"));
  CHECK_THROWS_WITH(focal(focal_bind(0.3, 0.0), dx), Catch::Matchers::ContainsSubstring("gamma"));
  // Four passes each: each position's log-sum-exp and target probability (and, for the generalized Dice, the
  // heaviest class weight); each class's sums; what the gradient reads per position; the gradient.
  CHECK(generalized.plan.pass_count == 4);
  CHECK(focal.plan.pass_count == 4);
  double loss = 0;
  CHECK(lf::test::kernels_launched([&] { loss = generalized(generalized_bind(), dx); }) == 6);
  CHECK(std::isfinite(loss));
  CHECK(lf::test::kernels_launched([&] { loss = focal(focal_bind(0.3, 0.75), dx); }) == 4);
  CHECK(std::isfinite(loss));
}
