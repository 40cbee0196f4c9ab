// Conformance handler: ssim_loss (the Kokkos backend's SSIM kernel; the serial executor has none).
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {

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
      return out;
    });
#endif
  (void)c, (void)p;
  throw unsupported("ssim_loss runs on the Kokkos backend (a kernel of its own, not a planned expression)");
});

}  // namespace
}  // namespace lossforge::conformance
