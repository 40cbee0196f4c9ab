#pragma once
// One work item per row of each image plane: the launch of the image kernels (the perceptual loss's convolutions,
// SSIM's passes), which loop over a row's columns inside the work item.
#include <cstdint>

#include <lossforge/config/kokkos_compat.hpp>

namespace lossforge::kokkos::detail {

// f(n, c, r) for each row r < rows of each plane (n, c) of images [images, channels, ...], one work item each.
template <class Exec, class F>
void for_each_plane_row(Exec const& exec, char const* label, std::int64_t images, std::int64_t channels,
                        std::int64_t rows, F const& f) {
  Kokkos::parallel_for(
      label, Kokkos::RangePolicy<Exec, Kokkos::IndexType<std::int64_t>>(exec, 0, images * channels * rows),
      KOKKOS_LAMBDA(std::int64_t e) { f(e / rows / channels, e / rows % channels, e % rows); });
}

}  // namespace lossforge::kokkos::detail
