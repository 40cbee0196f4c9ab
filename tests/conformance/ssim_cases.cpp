// Conformance handler: ssim_loss (the Kokkos backend's SSIM kernel; the serial executor has none). Where a case's
// options are those of one of the cases' four option sets, the catalogue's primitive (losses::ssim_loss<Options>,
// compiled with both images differentiated) must give the kernel's loss and gradients too.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {

#if defined(LOSSFORGE_WITH_KOKKOS)
constexpr tensor<"img1", 4> img1;
constexpr tensor<"img2", 4> img2;

// The largest difference between a and b, against the largest magnitude in a or 1, whichever is more (the
// conformance convention: an absolute tolerance where the values are below 1, as the gradients of equal images, 0).
double relative_difference(std::vector<double> const& a, std::vector<double> const& b) {
  double difference = 0, scale = 1;
  for (std::size_t k = 0; k < a.size(); ++k)
    difference = std::max(difference, std::abs(a[k] - b[k])), scale = std::max(scale, std::abs(a[k]));
  return difference / scale;
}

// The primitive's loss and gradients against the kernel's (out), which the runner compares with PyTorch's. The two
// compute the statistics alike in double and differ in summation order and, in float, in the map's and the upstream
// gradient's rounding to float: 1e-12 in double, 1e-5 in float, relative to the largest magnitude or 1.
template <losses::ssim_options Options, class T, class X>
void check_primitive(X const& x, X const& y, computed const& out) {
  static constexpr auto kernel = kokkos::compile(losses::ssim_loss<Options>(img1, img2), wrt(img1, img2));
  X const dx("primitive_d_img1", x.extent(0), x.extent(1), x.extent(2), x.extent(3));
  X const dy("primitive_d_img2", x.extent(0), x.extent(1), x.extent(2), x.extent(3));
  double const loss = kernel(Kokkos::DefaultHostExecutionSpace{}, bind(img1 = x, img2 = y), dx, dy);
  double const tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  if (relative_difference(out.loss, {loss}) > tolerance ||
      relative_difference(out.grads.at("img1"), flatten(dx)) > tolerance ||
      (out.grads.contains("img2") && relative_difference(out.grads.at("img2"), flatten(dy)) > tolerance))
    throw std::runtime_error("ssim_loss: the catalogue's primitive and the kernel disagree");
}
#endif

// A parameter under any of its usual spellings (the case format's, pytorch_msssim's), or its default.
double param(case_data const& c, std::initializer_list<char const*> names, double fallback) {
  for (char const* name : names)
    if (c.params.contains(name)) return number(c, name);
  return fallback;
}

registration const ssim_case("ssim_loss", [](case_data const& c, precision p) {
#if defined(LOSSFORGE_WITH_KOKKOS)
  if (backend_under_test() == backend_choice::kokkos)
    return in_precision(p, false, [&]<class T>() {
      auto const x = make_view<T, 4>(c.inputs.at("img1"), "img1");
      auto const y = make_view<T, 4>(c.inputs.at("img2"), "img2");
      // The usual 11 x 11 window of sigma 1.5, K1 0.01, K2 0.03, data_range 1 and valid windows where a case leaves
      // them out.
      std::string const padding = c.params.value("padding", std::string("valid"));
      if (padding != "valid" && padding != "zero")
        throw unsupported("ssim_loss pads with zeros or not at all, not '" + padding + "'");
      kokkos::ssim_options const options{
          .window_size = int(param(c, {"window_size", "win_size"}, 11)),
          .sigma = param(c, {"sigma", "win_sigma"}, 1.5),
          .k1 = param(c, {"K1", "k1"}, 0.01),
          .k2 = param(c, {"K2", "k2"}, 0.03),
          .data_range = param(c, {"data_range"}, 1.0),
          .padding = padding == "zero" ? kokkos::ssim_padding::zero : kokkos::ssim_padding::valid};
      Kokkos::DefaultHostExecutionSpace const exec;
      computed out;
      auto const grad_x = gradient_for<T, 4>(c, "img1");
      out.loss = {kokkos::ssim_loss(exec, x, y, grad_x.second, options)};
      out.grads[grad_x.first] = flatten(grad_x.second);
      if (c.expected_grads.contains("img2")) {  // SSIM is symmetric: img2's gradient is img1's with the two swapped
        auto const grad_y = gradient_for<T, 4>(c, "img2");
        kokkos::ssim_loss(exec, y, x, grad_y.second, options);
        out.grads[grad_y.first] = flatten(grad_y.second);
      }
      constexpr losses::ssim_options usual{}, window_7{.window_size = 7, .sigma = 1.0},
          wide_range{.k1 = 0.02, .k2 = 0.05, .data_range = 255.0}, zero_padded{.padding = losses::ssim_padding::zero};
      if (options == usual) check_primitive<usual, T>(x, y, out);
      if (options == window_7) check_primitive<window_7, T>(x, y, out);
      if (options == wide_range) check_primitive<wide_range, T>(x, y, out);
      if (options == zero_padded) check_primitive<zero_padded, T>(x, y, out);
      return out;
    });
#endif
  (void)c, (void)p;
  throw unsupported("ssim_loss runs on the Kokkos backend (a kernel of its own, not a planned expression)");
});

}  // namespace
}  // namespace lossforge::conformance
