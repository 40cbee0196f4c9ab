// SSIM written with windows: the Gaussian window g(u) g(v) over two batches of images, local means, variances and the
// covariance as weighted population moments (K1 = 0.01, K2 = 0.03, a data range of 1), valid or zero-padded, agrees in
// value and gradient with lf::kokkos::ssim_loss, the SSIM kernel checked against PyTorch's formula by the conformance
// cases, and runs in the passes its plan promises.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <cstddef>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/kokkos/ssim.hpp>
#include <lossforge/losses.hpp>
#include <tests/support/kokkos_events.hpp>
#include <tests/support/tolerance.hpp>
#include <tests/support/window_images.hpp>

namespace lf = lossforge;
using namespace lf::test::image_symbols;

namespace {
constexpr lf::tensor<"gauss", 1> gauss;

// SSIM of the images that at_a and at_b read in a window.
constexpr auto ssim_of = [](auto const& at_a, auto const& at_b) {
  auto const gaussian = [](auto const& e) { return lf::sum(u, lf::sum(v, gauss(u) * gauss(v) * e)); };
  auto const mu_a = gaussian(at_a), mu_b = gaussian(at_b);
  auto const var_a = gaussian(lf::square(at_a)) - mu_a * mu_a, var_b = gaussian(lf::square(at_b)) - mu_b * mu_b;
  auto const cov = gaussian(at_a * at_b) - mu_a * mu_b;
  double const c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  auto const map = (2 * mu_a * mu_b + c1) * (2 * cov + c2) / ((mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2));
  return 1 - lf::mean(n, lf::mean(ch, lf::mean(h, lf::mean(c, map))));
};
constexpr auto ssim_valid = ssim_of(a(n, ch, h + u, c + v), b(n, ch, h + u, c + v));
constexpr auto ssim_zero_padded = ssim_of(a(n, ch, lf::zero_padded(h + u), lf::zero_padded(c + v)),
                                          b(n, ch, lf::zero_padded(h + u), lf::zero_padded(c + v)));

// The loss and gradient of kernel, against the SSIM kernel with padding, in passes launches.
template <class T, class Kernel>
void check_ssim(Kernel const& kernel, lf::kokkos::ssim_padding padding, int passes) {
  int const width = 7;
  double const sigma = 1.5;
  lf::test::image_set const s = lf::test::make_images(2, 2, 16, 13, width, width);
  auto const av = lf::test::image_view<T>(s.a, s), bv = lf::test::image_view<T>(s.b, s);
  Kokkos::View<T*, Kokkos::HostSpace> gv("lossforge::test::gauss", std::size_t(width));
  double total = 0;
  for (int q = 0; q < width; ++q) total += std::exp(-(q - 3) * (q - 3) / (2 * sigma * sigma));
  for (int q = 0; q < width; ++q) gv(q) = T(std::exp(-(q - 3) * (q - 3) / (2 * sigma * sigma)) / total);
  lf::test::images<T> da("lossforge::test::da", 2, 2, 16, 13), want("lossforge::test::want", 2, 2, 16, 13);
  double value = 0;
  CHECK(lf::test::kernels_launched([&] { value = kernel(lf::bind(a = av, b = bv, gauss = gv), da); }) == passes);
  double const reference = lf::kokkos::ssim_loss(Kokkos::DefaultHostExecutionSpace{}, av, bv, want,
                                                 {.window_size = width, .sigma = sigma, .padding = padding});
  double const tolerance = lf::test::tolerance<T>::conformance;
  CHECK(lf::test::close(value, reference, tolerance));
  double scale = 0;
  for (std::size_t e = 0; e < want.size(); ++e) scale = std::max(scale, std::abs(double(want.data()[e])));
  for (std::size_t e = 0; e < want.size(); ++e)
    CHECK(lf::test::close(double(da.data()[e]) / scale, double(want.data()[e]) / scale, tolerance));
}
}  // namespace

TEMPLATE_TEST_CASE("SSIM written with windows is the SSIM kernel's, valid or zero-padded, in two passes",
                   "[windows]", float, double) {
  static constexpr auto valid = lf::kokkos::compile(ssim_valid, lf::wrt(a));
  static constexpr auto zero_padded = lf::kokkos::compile(ssim_zero_padded, lf::wrt(a));
  // Valid or zero-padded: one pass over each image computes the rows of the separable window's five moments, the
  // moments at every position, and the gradient with its gather along the rows (each buffer is read only at the image
  // it is computed for); a second accumulates the loss from the rows.
  check_ssim<TestType>(valid, lf::kokkos::ssim_padding::valid, 2);
  check_ssim<TestType>(zero_padded, lf::kokkos::ssim_padding::zero, 2);
}
