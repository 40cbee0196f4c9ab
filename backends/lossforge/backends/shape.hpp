#pragma once
// Shapes of bound tensors as the host sees them, and how errors print them. Shared by every backend.
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace lossforge {

using shape_t = std::vector<std::ptrdiff_t>;

inline std::string shape_string(shape_t const& shape) {
  std::ostringstream out;
  out << '[';
  for (std::size_t k = 0; k < shape.size(); ++k) out << (k ? "," : "") << shape[k];
  out << ']';
  return out.str();
}

inline std::ptrdiff_t element_count(shape_t const& shape) {
  std::ptrdiff_t n = 1;
  for (auto e : shape) n *= e;
  return n;
}

}  // namespace lossforge
