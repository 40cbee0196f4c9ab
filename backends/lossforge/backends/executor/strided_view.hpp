#pragma once
// A non-owning view of host memory with a rank fixed at compile time, extents and element strides (row-major when
// strides are not given): what the serial executor binds and writes, and its buffers for intermediates. It has the
// part of Kokkos::View's interface the executor reads (rank, value_type, data, extent, stride, size, span), so the
// executor treats the two alike.
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace lossforge {

template <class T, std::size_t Rank>
class strided_view {
 public:
  static constexpr std::size_t rank = Rank;
  using value_type = T;
  using extents_type = std::array<std::ptrdiff_t, Rank>;

  strided_view() = default;
  // A view of T is a view of T const too.
  template <class U>
  requires(std::is_same_v<T, U const> && !std::is_same_v<T, U>) strided_view(strided_view<U, Rank> const& v)
      : data_(v.data()) {
    for (std::size_t d = 0; d < Rank; ++d) {
      extent_[d] = std::ptrdiff_t(v.extent(d));
      stride_[d] = std::ptrdiff_t(v.stride(d));
    }
  }
  // Row-major over `extents`.
  strided_view(T* data, extents_type const& extents) : data_(data), extent_(extents) {
    std::ptrdiff_t s = 1;
    for (std::size_t d = Rank; d-- > 0;) {
      if (extent_[d] < 0)
        throw std::invalid_argument("lossforge::strided_view: extent " + std::to_string(extent_[d]) +
                                    " of dimension " + std::to_string(d) + " is negative");
      stride_[d] = s;
      s *= extent_[d];
    }
  }
  // With element strides: any layout (column-major, a slice of a larger array).
  strided_view(T* data, extents_type const& extents, extents_type const& strides)
      : data_(data), extent_(extents), stride_(strides) {
    for (std::size_t d = 0; d < Rank; ++d)
      if (extent_[d] < 0 || stride_[d] < 0)
        throw std::invalid_argument("lossforge::strided_view: dimension " + std::to_string(d) + " has extent " +
                                    std::to_string(extent_[d]) + " and stride " + std::to_string(stride_[d]) +
                                    "; both must be non-negative");
  }

  T* data() const { return data_; }
  // Beyond the rank, extent 1 and stride 0 (as Kokkos::View::extent).
  std::size_t extent(std::size_t d) const { return d < Rank ? std::size_t(extent_[d]) : 1; }
  std::size_t stride(std::size_t d) const { return d < Rank ? std::size_t(stride_[d]) : 0; }
  // The number of elements.
  std::size_t size() const {
    std::size_t n = 1;
    for (std::size_t d = 0; d < Rank; ++d) n *= std::size_t(extent_[d]);
    return n;
  }
  // The number of elements from the first to one past the last (as Kokkos::View::span): what the view touches.
  std::size_t span() const {
    if (size() == 0) return 0;
    std::size_t last = 0;
    for (std::size_t d = 0; d < Rank; ++d) last += std::size_t((extent_[d] - 1) * stride_[d]);
    return last + 1;
  }
  T& operator()(auto... position) const
    requires(sizeof...(position) == Rank)
  {
    std::size_t d = 0;
    std::ptrdiff_t offset = 0;
    ((offset += std::ptrdiff_t(position) * stride_[d++]), ...);
    return data_[offset];
  }

 private:
  T* data_ = nullptr;
  extents_type extent_{};
  extents_type stride_{};
};

}  // namespace lossforge
