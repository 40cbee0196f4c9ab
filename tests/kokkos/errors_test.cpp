// The Kokkos backend's contract for bad and unusual input (reliability.md section 7): errors name the values,
// nothing is read out of bounds, inputs are never written, strided Views give the contiguous results, NaN
// propagates, empty batches have the documented values.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <stdexcept>

namespace lf = lossforge;
namespace L = lf::losses;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::MessageMatches;

namespace {
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::scalar<"ignore"> ignore;
using host_vector = Kokkos::View<double*, Kokkos::HostSpace>;
using host_matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;

constexpr auto mse = L::mse(p, g, L::mean);
constexpr auto mse_none = L::mse(p, g, L::none);
constexpr auto ce = L::cross_entropy(x, t, L::cross_entropy_options<>{}.ignore_index(ignore), L::sum);
constexpr auto ce_mean = L::cross_entropy(x, t, L::cross_entropy_options<>{}.ignore_index(ignore), L::mean);
constexpr auto mse_kernel = lf::kokkos::compile(mse, lf::wrt(p));
constexpr auto ce_kernel = lf::kokkos::compile(ce, lf::wrt(x));
}  // namespace

TEST_CASE("shape mismatches name both shapes", "[kokkos][errors]") {
  host_vector a("a", 5), b("b", 6), d("d", 5), d_wrong("d", 6);
  CHECK_THROWS_MATCHES(mse_kernel(lf::bind(p = a, g = b), d), std::invalid_argument,
                       MessageMatches(ContainsSubstring("[5]") && ContainsSubstring("[6]")));
  host_vector b5("b", 5);
  CHECK_THROWS_MATCHES(mse_kernel(lf::bind(p = a, g = b5), d_wrong), std::invalid_argument,
                       MessageMatches(ContainsSubstring("gradient with respect to 'p'") && ContainsSubstring("[6]")));
}

TEST_CASE("a kernel fusing several sums checks the tensors of every sum, not only its first", "[kokkos][errors]") {
  // The three sums meet at m and run in one kernel, whose rows are m's elements: whichever sum comes first, the other
  // two read h or q at every position of m.
  constexpr lf::tensor<"m"> m;
  constexpr lf::tensor<"h"> h;
  constexpr lf::tensor<"q"> q;
  static constexpr auto kernel = lf::kokkos::compile(lf::sum(m) + lf::sum(h * m) + lf::sum(q * m), lf::wrt(h, q));
  host_vector m7("m", 7), h7("h", 7), h5("h", 5), q7("q", 7), dh7("dh", 7), dh5("dh", 5), dq("dq", 7);
  CHECK_THROWS_MATCHES(kernel(lf::bind(m = m7, h = h5, q = q7), dh5, dq), std::invalid_argument,
                       MessageMatches(ContainsSubstring("[5]") && ContainsSubstring("[7]")));
  Kokkos::deep_copy(m7, 2.0), Kokkos::deep_copy(h7, 1.0), Kokkos::deep_copy(q7, 3.0);
  CHECK(kernel(lf::bind(m = m7, h = h7, q = q7), dh7, dq) == 7 * (2 + 2 + 6));
  CHECK(dh7(6) == 2);
  CHECK(dq(6) == 2);
}

TEST_CASE("class indices out of range throw naming the index; ignored ones are never read", "[kokkos][errors]") {
  host_matrix logits("x", 3, 4), dx("dx", 3, 4);
  Kokkos::deep_copy(logits, 0.5);
  Kokkos::View<long*, Kokkos::HostSpace> targets("t", 3);
  targets(0) = 1, targets(1) = 4, targets(2) = 0;
  CHECK_THROWS_MATCHES(ce_kernel(lf::bind(x = logits, t = targets, ignore = -100), dx), std::out_of_range,
                       MessageMatches(ContainsSubstring("index 4") && ContainsSubstring("[3,4]")));
  targets(1) = -5;
  CHECK_THROWS_MATCHES(ce_kernel(lf::bind(x = logits, t = targets, ignore = -100), dx), std::out_of_range,
                       MessageMatches(ContainsSubstring("index -5")));
  targets(1) = -100;  // ignored: no gather, zero gradient row
  double const loss = ce_kernel(lf::bind(x = logits, t = targets, ignore = -100), dx);
  CHECK(std::abs(loss - 2 * std::log(4.0)) < 1e-12);
  for (int c = 0; c < 4; ++c) CHECK(dx(1, c) == 0);
}

TEST_CASE("all targets ignored: sum 0, mean NaN, and a zero gradient for both (as PyTorch)", "[kokkos][errors]") {
  host_matrix logits("x", 2, 3), dx("dx", 2, 3);
  Kokkos::deep_copy(dx, 1.0);
  Kokkos::View<long*, Kokkos::HostSpace> targets("t", 2);
  Kokkos::deep_copy(targets, -100);
  CHECK(ce_kernel(lf::bind(x = logits, t = targets, ignore = -100), dx) == 0);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) CHECK(dx(r, c) == 0);
  static constexpr auto mean_kernel = lf::kokkos::compile(ce_mean, lf::wrt(x));
  Kokkos::deep_copy(dx, 1.0);
  CHECK(std::isnan(mean_kernel(lf::bind(x = logits, t = targets, ignore = -100), dx)));
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) CHECK(dx(r, c) == 0);
}

TEST_CASE("a gradient View overlapping an input is rejected", "[kokkos][errors]") {
  host_vector a("a", 5), b("b", 5);
  CHECK_THROWS_MATCHES(mse_kernel(lf::bind(p = a, g = b), b), std::invalid_argument,
                       MessageMatches(ContainsSubstring("overlaps the input 'g'")));
}

TEST_CASE("inputs are not written; strided and column-major Views give the contiguous results", "[kokkos][views]") {
  int const n = 4, c = 3;
  host_matrix dense("x", n, c), dx_dense("dx", n, c);
  Kokkos::View<double**, Kokkos::LayoutLeft, Kokkos::HostSpace> left("x", n, c), dx_left("dx", n, c);
  Kokkos::View<double***, Kokkos::LayoutRight, Kokkos::HostSpace> padded("padded", n, c, 2);
  auto strided = Kokkos::subview(padded, Kokkos::ALL, Kokkos::ALL, 1);  // LayoutStride, every other element
  Kokkos::View<long*, Kokkos::HostSpace> targets("t", n);
  for (int i = 0; i < n; ++i) {
    targets(i) = i % c;
    for (int k = 0; k < c; ++k) {
      dense(i, k) = left(i, k) = strided(i, k) = std::sin(3.0 * i + k);
      padded(i, k, 0) = NAN;  // interleaved NaN must never be read
    }
  }
  double const want = ce_kernel(lf::bind(x = dense, t = targets, ignore = -100), dx_dense);
  CHECK(ce_kernel(lf::bind(x = left, t = targets, ignore = -100), dx_left) == want);
  Kokkos::View<double**, Kokkos::LayoutStride, Kokkos::HostSpace> dx_strided =
      Kokkos::subview(Kokkos::View<double***, Kokkos::HostSpace>("dx_padded", n, c, 2), Kokkos::ALL, Kokkos::ALL, 0);
  CHECK(ce_kernel(lf::bind(x = strided, t = targets, ignore = -100), dx_strided) == want);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < c; ++k) {
      CHECK(dx_left(i, k) == dx_dense(i, k));
      CHECK(dx_strided(i, k) == dx_dense(i, k));
      CHECK(dense(i, k) == std::sin(3.0 * i + k));
    }
}

TEST_CASE("NaN propagates; an empty batch gives sum 0 and mean NaN", "[kokkos][errors]") {
  host_vector a("a", 4), b("b", 4), d("d", 4);
  Kokkos::deep_copy(a, 1.0);
  b(2) = NAN;
  CHECK(std::isnan(mse_kernel(lf::bind(p = a, g = b), d)));
  CHECK(std::isnan(d(2)));
  CHECK(d(0) == 0.5);
  host_vector empty("empty", 0), d_empty("d", 0);
  CHECK(std::isnan(mse_kernel(lf::bind(p = empty, g = empty), d_empty)));
  static constexpr auto none_kernel = lf::kokkos::compile(mse_none, lf::wrt(p));
  none_kernel(lf::bind(p = empty, g = empty), empty, d_empty);  // reduction none: nothing to write, no error
}
