#pragma once
// What a kernel holds of a bound View: its data pointer, extents and element strides, for any layout (Left,
// Right, Stride) and rank. Reading by row-major position over all elements (a bare tensor) is a plain offset when
// the View is contiguous row-major, and a decomposition by the extents otherwise.
#include <cstddef>
#include <type_traits>

#include <lossforge/backends/shape.hpp>
#include <lossforge/config.hpp>

namespace lossforge::executor {

template <class Value, int Rank>
struct accessor {
  static constexpr int rank = Rank;
  Value* data = nullptr;
  std::ptrdiff_t extent[Rank > 0 ? Rank : 1] = {};
  std::ptrdiff_t stride[Rank > 0 ? Rank : 1] = {};
  bool row_major = true;

  LOSSFORGE_FUNCTION std::ptrdiff_t offset_of_flat(std::ptrdiff_t flat) const {
    if (row_major) return flat;
    std::ptrdiff_t offset = 0;
    for (int d = Rank; d-- > 0;) {
      offset += (flat % extent[d]) * stride[d];
      flat /= extent[d];
    }
    return offset;
  }
  LOSSFORGE_FUNCTION std::ptrdiff_t offset_of(std::ptrdiff_t const* position) const {
    std::ptrdiff_t offset = 0;
    for (int d = 0; d < Rank; ++d) offset += position[d] * stride[d];
    return offset;
  }
  LOSSFORGE_FUNCTION std::ptrdiff_t size() const {
    std::ptrdiff_t n = 1;
    for (int d = 0; d < Rank; ++d) n *= extent[d];
    return n;
  }
};

// Makes a read a by row-major position over `read`, a shape its View broadcasts to (aligned at the last dimension):
// a dimension of 1 reads its one element all along, and the positions of missing leading dimensions are skipped.
template <class Value, int Rank>
void stretch(accessor<Value, Rank>& a, shape_t const& read) {
  std::size_t const lead = read.size() - std::size_t(Rank);
  for (int d = 0; d < Rank; ++d) {
    std::ptrdiff_t const along = read[lead + std::size_t(d)];
    if (a.extent[d] != along) a.stride[d] = 0;  // a dimension of 1, stretched
    a.extent[d] = along;
  }
  a.row_major = false;
}

template <class View>
auto make_accessor(View const& view) {
  constexpr int rank = int(View::rank);
  accessor<typename View::value_type, rank> a;
  a.data = view.data();
  std::ptrdiff_t expected = 1;
  for (int d = rank; d-- > 0;) {
    a.extent[d] = std::ptrdiff_t(view.extent(d));
    a.stride[d] = std::ptrdiff_t(view.stride(d));
    if (a.extent[d] > 1 && a.stride[d] != expected) a.row_major = false;
    expected *= a.extent[d];
  }
  return a;
}

}  // namespace lossforge::executor
