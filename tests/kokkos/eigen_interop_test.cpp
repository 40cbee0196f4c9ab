// lf::kokkos::view_of: Eigen objects of either storage order, Maps, Refs and blocks bind as Views of their own memory
// (no copy), read as x[row, column], and gradients are written back into Eigen objects.
#include <Eigen/Core>
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/kokkos/eigen.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <type_traits>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr auto ce = lf::kokkos::compile(L::cross_entropy(x, t, L::sum), lf::wrt(x));

// Cross entropy (sum) and its gradient softmax - onehot, by hand, for logits read as logits(r, c).
template <class M>
double expected_loss(M const& logits, Eigen::VectorXi const& labels) {
  double total = 0;
  for (Eigen::Index r = 0; r < logits.rows(); ++r) {
    double s = 0;
    for (Eigen::Index c = 0; c < logits.cols(); ++c) s += std::exp(double(logits(r, c)));
    total += std::log(s) - double(logits(r, labels(r)));
  }
  return total;
}
}  // namespace

TEST_CASE("Eigen matrices, Maps, Refs and blocks bind without a copy, in either storage order", "[kokkos][eigen]") {
  Eigen::VectorXi labels(3);
  labels << 2, 0, 1;
  Eigen::MatrixXd column_major(3, 4);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) column_major(r, c) = std::sin(1.0 + r + 2 * c);
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> const row_major = column_major;
  double const want = expected_loss(column_major, labels);

  Eigen::MatrixXd gradient(3, 4);
  auto const out = lf::kokkos::view_of(gradient);
  CHECK(out.data() == gradient.data());  // the gradient lands in the matrix itself
  auto const labels_view = lf::kokkos::view_of(labels);

  Eigen::MatrixXd const& read_only = column_major;
  auto const in = lf::kokkos::view_of(read_only);
  STATIC_REQUIRE(std::is_const_v<typename decltype(in)::value_type>);
  CHECK(in.data() == column_major.data());
  CHECK(std::abs(ce(lf::bind(x = in, t = labels_view), out) - want) < 1e-12);
  double s0 = 0;
  for (int c = 0; c < 4; ++c) s0 += std::exp(column_major(0, c));
  CHECK(std::abs(gradient(0, 1) - std::exp(column_major(0, 1)) / s0) < 1e-12);
  CHECK(std::abs(gradient(0, 2) - (std::exp(column_major(0, 2)) / s0 - 1)) < 1e-12);

  // The same logits through a row-major matrix, a Map over its storage, a Ref, and a block of a larger matrix.
  Eigen::MatrixXd const from_row_major = gradient;
  CHECK(std::abs(ce(lf::bind(x = lf::kokkos::view_of(row_major), t = labels_view), out) - want) < 1e-12);
  CHECK(gradient.isApprox(from_row_major, 1e-14));
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> const> map(row_major.data(), 3, 4);
  CHECK(std::abs(ce(lf::bind(x = lf::kokkos::view_of(map), t = labels_view), out) - want) < 1e-12);
  Eigen::Ref<Eigen::MatrixXd const> ref(column_major);
  CHECK(std::abs(ce(lf::bind(x = lf::kokkos::view_of(ref), t = labels_view), out) - want) < 1e-12);
  Eigen::MatrixXd larger = Eigen::MatrixXd::Zero(5, 7);
  larger.block(1, 2, 3, 4) = column_major;
  auto const block = larger.block(1, 2, 3, 4);
  CHECK(std::abs(ce(lf::bind(x = lf::kokkos::view_of(block), t = labels_view), out) - want) < 1e-12);
  CHECK(gradient.isApprox(from_row_major, 1e-14));
}
