// Edge cases that the conformance cases do not pin, numbered as in the project's list of known failure modes. Expected
// values are closed forms, PyTorch's documented behaviour, or the Keras documentation's example values.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::tensor<"w", 1> w;
constexpr lf::tensor<"v", 1> v;
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"y"> y;
constexpr lf::index<"i"> i;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;
using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;
using labels = Kokkos::View<int*, Kokkos::HostSpace>;

// Logits [3, 4] with targets 0, 1, 2 and the softmax of each row computed here, for closed-form gradients.
struct batch {
  matrix logits{"x", 3, 4}, dx{"dx", 3, 4};
  labels targets{"t", 3};
  batch() {
    for (int r = 0; r < 3; ++r) {
      targets(r) = r;
      for (int c = 0; c < 4; ++c) logits(r, c) = std::sin(1.0 + 3 * r + c);
    }
  }
  double softmax(int r, int c) const {
    double s = 0;
    for (int k = 0; k < 4; ++k) s += std::exp(logits(r, k));
    return std::exp(logits(r, c)) / s;
  }
};
}  // namespace

TEST_CASE("8: class weights all zero: sum 0, none zeros, mean NaN with a zero gradient", "[edge]") {
  batch b;
  vector weights("w", 4);  // all zero
  auto const options = L::cross_entropy_options<>{}.weight(w);
  static constexpr auto sum_kernel = lf::kokkos::compile(L::cross_entropy(x, t, options, L::sum), lf::wrt(x));
  static constexpr auto mean_kernel = lf::kokkos::compile(L::cross_entropy(x, t, options, L::mean), lf::wrt(x));
  static constexpr auto none_kernel = lf::kokkos::compile(L::cross_entropy(x, t, options, L::none), lf::wrt(x));
  auto const bindings = lf::bind(x = b.logits, t = b.targets, w = weights);
  CHECK(sum_kernel(bindings, b.dx) == 0);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) CHECK(b.dx(r, c) == 0);
  vector per_row("l", 3);
  Kokkos::deep_copy(per_row, 1.0);
  none_kernel(bindings, per_row, b.dx);
  for (int r = 0; r < 3; ++r) CHECK(per_row(r) == 0);
  // PyTorch's mean is NaN here too, with a NaN gradient (0 / 0); lossforge's gradient is 0, as for ignored rows.
  CHECK(std::isnan(mean_kernel(bindings, b.dx)));
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) CHECK(b.dx(r, c) == 0);
}

TEST_CASE("11: the upstream gradient is honoured: 3 x loss, and per-row weights of a reduction-none loss", "[edge]") {
  batch b;
  static constexpr auto tripled = lf::kokkos::compile(3 * L::cross_entropy(x, t, L::mean), lf::wrt(x));
  CHECK(std::abs(tripled(lf::bind(x = b.logits, t = b.targets), b.dx) -
                 3 * (-std::log(b.softmax(0, 0)) - std::log(b.softmax(1, 1)) - std::log(b.softmax(2, 2))) / 3) < 1e-14);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) CHECK(std::abs(b.dx(r, c) - (b.softmax(r, c) - (c == r))) < 1e-14);

  // A vector-Jacobian product with grad_output v over the rows is the gradient of sum_i v[i] l[i]; row 1 ignored.
  constexpr lf::scalar<"ignore"> ignore;
  constexpr auto per_row = L::cross_entropy(x, t, L::cross_entropy_options<>{}.ignore_index(ignore), L::none);
  static constexpr auto vjp = lf::kokkos::compile(lf::sum(i, v(i) * per_row), lf::wrt(x));
  vector upstream("v", 3);
  upstream(0) = 0.5, upstream(1) = -2, upstream(2) = 4;
  b.targets(1) = -100;
  vjp(lf::bind(x = b.logits, t = b.targets, v = upstream, ignore = -100), b.dx);
  for (int c = 0; c < 4; ++c) {
    CHECK(std::abs(b.dx(0, c) - 0.5 * (b.softmax(0, c) - (c == 0))) < 1e-14);
    CHECK(b.dx(1, c) == 0);
    CHECK(std::abs(b.dx(2, c) - 4 * (b.softmax(2, c) - (c == 2))) < 1e-14);
  }
}

TEST_CASE("14: BCE outside [0, 1] or NaN gives NaN, never a silent finite value (PyTorch raises instead)", "[edge]") {
  static constexpr auto none_kernel = lf::kokkos::compile(L::binary_cross_entropy(p, y, L::none), lf::wrt(p));
  static constexpr auto mean_kernel = lf::kokkos::compile(L::binary_cross_entropy(p, y, L::mean), lf::wrt(p));
  vector probabilities("p", 4), targets("y", 4), loss("l", 4), dp("dp", 4);
  probabilities(0) = -0.1, probabilities(1) = 1.1, probabilities(2) = NAN, probabilities(3) = 0.25;
  Kokkos::deep_copy(targets, 1.0);
  none_kernel(lf::bind(p = probabilities, y = targets), loss, dp);
  CHECK(std::isnan(loss(0)));
  CHECK(std::isnan(loss(1)));
  CHECK(std::isnan(loss(2)));
  CHECK(std::abs(loss(3) - std::log(4.0)) < 1e-15);
  CHECK(std::isnan(mean_kernel(lf::bind(p = probabilities, y = targets), dp)));
}

TEST_CASE("16: BCE with logits equals BCE of the sigmoid where the sigmoid is representable", "[edge]") {
  constexpr lf::tensor<"z"> z;
  static constexpr auto with_logits =
      lf::kokkos::compile(L::binary_cross_entropy_with_logits(z, y, L::none), lf::wrt(z));
  static constexpr auto of_sigmoid =
      lf::kokkos::compile(L::binary_cross_entropy(lf::sigmoid(z), y, L::none), lf::wrt(z));
  int const n = 201;
  vector logits("z", n), targets("y", n), a("a", n), b("b", n), da("da", n), db("db", n);
  for (int k = 0; k < n; ++k) logits(k) = -10 + 0.1 * k, targets(k) = (k % 3) / 2.0;  // 0, 0.5, 1
  with_logits(lf::bind(z = logits, y = targets), a, da);
  of_sigmoid(lf::bind(z = logits, y = targets), b, db);
  for (int k = 0; k < n; ++k) {
    // 1 - sigmoid(10) = 4.5e-5 keeps ~11 digits in double: compare to 1e-9 relative.
    CHECK(std::abs(a(k) - b(k)) <= 1e-9 * std::abs(a(k)) + 1e-12);
    CHECK(std::abs(da(k) - db(k)) <= 1e-9 * std::abs(da(k)) + 1e-12);
  }
}

TEST_CASE("26: Dice against the Keras documentation's example", "[edge]") {
  // Keras: y = [[1,1],[0,0]] twice, p = [[0,1],[0,1]] and [[0.4,0],[0,0.9]]; Dice with linear denominators per image
  // is [0.5, 0.757576] and 0.616438 over everything. The catalogue's dice squares the denominators (LOSSES.md),
  // which agrees for binary p (the first image); the Keras form is one line of DSL.
  constexpr lf::tensor<"P", 2> images_p;
  constexpr lf::tensor<"G", 2> images_g;
  constexpr lf::index<"j"> j;
  constexpr auto keras_per_image =
      1 - 2 * lf::sum(j, images_p(i, j) * images_g(i, j)) / (lf::sum(j, images_p(i, j)) + lf::sum(j, images_g(i, j)));
  constexpr auto keras_overall = 1 - 2 * lf::sum(p * y) / (lf::sum(p) + lf::sum(y));
  static constexpr auto per_image = lf::kokkos::compile(keras_per_image);
  static constexpr auto overall = lf::kokkos::compile(keras_overall);
  static constexpr auto catalogue = lf::kokkos::compile(L::dice(p, y));
  matrix predictions("P", 2, 4), masks("G", 2, 4);
  double const pv[2][4] = {{0, 1, 0, 1}, {0.4, 0, 0, 0.9}}, gv[2][4] = {{1, 1, 0, 0}, {1, 1, 0, 0}};
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 4; ++c) predictions(r, c) = pv[r][c], masks(r, c) = gv[r][c];
  vector result("dice", 2);
  per_image(lf::bind(images_p = predictions, images_g = masks), result);
  CHECK(std::abs(result(0) - 0.5) < 1e-6);
  CHECK(std::abs(result(1) - 0.757576) < 1e-6);
  vector flat_p(predictions.data(), 8), flat_g(masks.data(), 8);
  CHECK(std::abs(overall(lf::bind(p = flat_p, y = flat_g)) - 0.616438) < 1e-6);
  vector first_p(predictions.data(), 4), first_g(masks.data(), 4);
  CHECK(std::abs(catalogue(lf::bind(p = first_p, y = first_g)) - 0.5) < 1e-15);
}

TEST_CASE("36: a NaN in any input, target or weight slot reaches the loss and only the affected gradients", "[edge]") {
  batch b;
  static constexpr auto ce = lf::kokkos::compile(L::cross_entropy(x, t, L::mean), lf::wrt(x));
  b.logits(1, 3) = NAN;  // a logit: its row's loss and gradient are NaN, the other rows stay finite
  CHECK(std::isnan(ce(lf::bind(x = b.logits, t = b.targets), b.dx)));
  for (int c = 0; c < 4; ++c) {
    CHECK(std::isnan(b.dx(1, c)));
    CHECK(std::isfinite(b.dx(0, c)));
    CHECK(std::isfinite(b.dx(2, c)));
  }
  b = batch{};
  vector weights("w", 4);
  Kokkos::deep_copy(weights, 1.0);
  weights(2) = NAN;  // a class weight: every row whose target is class 2, and the weighted mean's denominator
  static constexpr auto weighted =
      lf::kokkos::compile(L::cross_entropy(x, t, L::cross_entropy_options<>{}.weight(w), L::sum), lf::wrt(x));
  CHECK(std::isnan(weighted(lf::bind(x = b.logits, t = b.targets, w = weights), b.dx)));
  CHECK(std::isnan(b.dx(2, 0)));
  CHECK(std::isfinite(b.dx(0, 0)));
  // A target: BCE with a NaN target, and a NaN probability under the -100 clamp of the log.
  static constexpr auto bce = lf::kokkos::compile(L::binary_cross_entropy(p, y, L::sum), lf::wrt(p));
  vector probabilities("p", 2), targets("y", 2), dp("dp", 2);
  probabilities(0) = 0.3, probabilities(1) = 0.6, targets(0) = NAN, targets(1) = 1;
  CHECK(std::isnan(bce(lf::bind(p = probabilities, y = targets), dp)));
  CHECK(std::isnan(dp(0)));
  CHECK(std::abs(dp(1) + 1 / 0.6) < 1e-12);
  targets(0) = 0, probabilities(0) = NAN;
  CHECK(std::isnan(bce(lf::bind(p = probabilities, y = targets), dp)));
}

TEST_CASE("a tensor that simplification takes out of the loss has a zero gradient, as PyTorch's backward gives",
          "[edge]") {
  // sum(p - p + y): p cancels, yet the user wrote it, so its gradient is zeros of its shape (not a compile error).
  static constexpr auto kernel = lf::kokkos::compile(lf::sum(p - p + y), lf::wrt(p, y));
  vector pv("p", 3), yv("y", 3), dp("dp", 3), dy("dy", 3);
  for (int k = 0; k < 3; ++k) {
    pv(k) = 1.5 * k;
    yv(k) = 0.25 + k;
    dp(k) = 7;  // overwritten
  }
  CHECK(kernel(lf::bind(p = pv, y = yv), dp, dy) == 0.25 + 1.25 + 2.25);
  for (int k = 0; k < 3; ++k) {
    CHECK(dp(k) == 0.0);
    CHECK(dy(k) == 1.0);
  }
}
