#pragma once
// A non-owning view of host data with a shape and element strides (row-major when strides are not given), and the
// owning result of an evaluation. The reference evaluator reads bindings through these.
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <lossforge/backends/shape.hpp>

namespace lossforge {

template <class T>
struct host_tensor {
  T const* data = nullptr;
  shape_t shape;
  shape_t strides;  // in elements

  std::ptrdiff_t size() const { return element_count(shape); }
  int rank() const { return int(shape.size()); }
  T at(std::ptrdiff_t const* position) const {
    std::ptrdiff_t offset = 0;
    for (std::size_t d = 0; d < shape.size(); ++d) offset += position[d] * strides[d];
    return data[offset];
  }
  // The element at a row-major position over all elements of `read`, the shape it is read at: its own, or one it
  // broadcasts to (aligned at the last dimension; a dimension of 1 reads its one element all along).
  T at_flat(std::ptrdiff_t flat, shape_t const& read) const {
    std::ptrdiff_t offset = 0;
    std::size_t const lead = read.size() - shape.size();
    for (std::size_t d = shape.size(); d-- > 0;) {
      std::ptrdiff_t const along = read[lead + d];
      if (shape[d] != 1) offset += (flat % along) * strides[d];
      flat /= along;
    }
    return data[offset];
  }
};

inline shape_t row_major_strides(shape_t const& shape) {
  shape_t strides(shape.size());
  std::ptrdiff_t s = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

// A row-major view of contiguous data; throws if the span's length does not fit the shape.
template <class T>
host_tensor<std::remove_const_t<T>> host_view(std::span<T> data, shape_t shape) {
  if (element_count(shape) != std::ptrdiff_t(data.size()))
    throw std::invalid_argument("lossforge::host_view: " + std::to_string(data.size()) + " elements do not fit shape " +
                                shape_string(shape));
  auto strides = row_major_strides(shape);
  return {data.data(), std::move(shape), std::move(strides)};
}
template <class T>
host_tensor<T> host_view(std::vector<T> const& data, shape_t shape) {
  return host_view(std::span<T const>(data), std::move(shape));
}
template <class T>
host_tensor<T> host_view(std::vector<T> const& data) {
  return host_view(std::span<T const>(data), shape_t{std::ptrdiff_t(data.size())});
}
// A strided view; strides are in elements.
template <class T>
host_tensor<T> host_view(T const* data, shape_t shape, shape_t strides) {
  if (shape.size() != strides.size())
    throw std::invalid_argument("lossforge::host_view: shape " + shape_string(shape) + " and strides " +
                                shape_string(strides) + " differ in rank");
  return {data, std::move(shape), std::move(strides)};
}

// The owning result of evaluating an expression with free indices, row-major.
template <class T>
struct host_array {
  shape_t shape;
  std::vector<T> values;
};

}  // namespace lossforge
