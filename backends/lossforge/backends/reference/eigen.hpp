#pragma once
// Eigen interop for the reference evaluator: host_view over any Eigen dense object with direct access (Matrix,
// Array, Map, Ref, blocks), without a copy. Column vectors become rank-1 tensors; everything else rank 2 with the
// object's own strides, so a column-major matrix is read as x[row, column] whatever its storage order.
#include <Eigen/Core>

#include <lossforge/backends/reference/host_tensor.hpp>

namespace lossforge {

template <class Derived>
requires(bool(Eigen::internal::traits<Derived>::Flags& Eigen::DirectAccessBit))
    host_tensor<typename Derived::Scalar> host_view(Eigen::DenseBase<Derived> const& object) {
  Derived const& d = object.derived();
  auto const inner = std::ptrdiff_t(d.innerStride()), outer = std::ptrdiff_t(d.outerStride());
  if constexpr (Derived::ColsAtCompileTime == 1 || Derived::RowsAtCompileTime == 1) {
    return {d.data(), {std::ptrdiff_t(d.size())}, {inner}};
  } else if constexpr (Derived::IsRowMajor) {
    return {d.data(), {std::ptrdiff_t(d.rows()), std::ptrdiff_t(d.cols())}, {outer, inner}};
  } else {
    return {d.data(), {std::ptrdiff_t(d.rows()), std::ptrdiff_t(d.cols())}, {inner, outer}};
  }
}

}  // namespace lossforge
