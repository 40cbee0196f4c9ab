#pragma once
// Eigen interop for the Kokkos backend: lf::kokkos::view_of(object) is an unmanaged host View over the memory of
// any Eigen dense object with direct access (Matrix, Array, Map, Ref, blocks), so Eigen data goes into a kernel and
// gradients come back into Eigen without a copy.
//
//   Eigen::MatrixXf logits(n, c), dlogits(n, c);      // column-major
//   kernel(lf::bind(x = lf::kokkos::view_of(logits), ...), lf::kokkos::view_of(dlogits));
//
// Vectors become rank-1 Views, everything else a rank-2 LayoutStride View read as x[row, column] whatever the
// storage order. The View's elements are const when the object's are (a const object, Map<const ...>): such a View
// is an input only.
#include <type_traits>

#include <Eigen/Core>
#include <Kokkos_Core.hpp>

namespace lossforge::kokkos {

template <class Object>
auto view_of(Object&& object) {
  auto&& d = object.derived();
  using D = std::remove_cvref_t<decltype(d)>;
  static_assert(bool(Eigen::internal::traits<D>::Flags & Eigen::DirectAccessBit),
                "lossforge: view_of needs an Eigen object that owns or maps memory (a Matrix, Array, Map, Ref or a "
                "block of one), not an expression; evaluate the expression into a Matrix first");
  using value = std::remove_pointer_t<decltype(d.data())>;  // const when the object's elements are
  using unmanaged = Kokkos::MemoryTraits<Kokkos::Unmanaged>;
  auto const inner = std::size_t(d.innerStride()), outer = std::size_t(d.outerStride());
  auto const rows = std::size_t(d.rows()), cols = std::size_t(d.cols());
  if constexpr (D::ColsAtCompileTime == 1 || D::RowsAtCompileTime == 1) {
    return Kokkos::View<value*, Kokkos::LayoutStride, Kokkos::HostSpace, unmanaged>(
        d.data(), Kokkos::LayoutStride(std::size_t(d.size()), inner));
  } else {
    auto const row_stride = D::IsRowMajor ? outer : inner, col_stride = D::IsRowMajor ? inner : outer;
    return Kokkos::View<value**, Kokkos::LayoutStride, Kokkos::HostSpace, unmanaged>(
        d.data(), Kokkos::LayoutStride(rows, row_stride, cols, col_stride));
  }
}

}  // namespace lossforge::kokkos
