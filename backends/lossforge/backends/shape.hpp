#pragma once
// Shapes of bound tensors as the host sees them, and how errors print them. Shared by every backend.
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#include <lossforge/print/print.hpp>

namespace lossforge {

using shape_t = std::vector<std::ptrdiff_t>;

// The shape of a View (anything with a rank and extent(d)).
template <class View>
shape_t shape_of(View const& view) {
  shape_t shape(std::size_t{View::rank});
  for (std::size_t d = 0; d < shape.size(); ++d) shape[d] = std::ptrdiff_t(view.extent(d));
  return shape;
}

inline std::string shape_string(shape_t const& shape) {
  std::ostringstream out;
  out << '[';
  for (std::size_t k = 0; k < shape.size(); ++k) out << (k ? "," : "") << shape[k];
  out << ']';
  return out.str();
}

// The error for an index outside dimension `dimension` of tensor `name`. A target of -100 is ignored by PyTorch's
// cross_entropy and nll_loss by default; lossforge ignores a class only when told, and the message says how.
inline std::string index_out_of_range_message(double index, std::size_t dimension, std::string const& name,
                                              shape_t const& shape) {
  std::string message = "lossforge: index " + print::number(index) + " is out of range for dimension " +
                        std::to_string(dimension) + " of '" + name + "' with shape " + shape_string(shape);
  if (index == -100)
    message +=
        " (PyTorch's cross_entropy and nll_loss ignore targets of -100 by default; lossforge ignores none "
        "unless told: .ignore_index(-100) ignores them as PyTorch does)";
  return message;
}

inline std::ptrdiff_t element_count(shape_t const& shape) {
  std::ptrdiff_t n = 1;
  for (auto e : shape) n *= e;
  return n;
}

}  // namespace lossforge
