// Conformance handler: perceptual_loss (the catalogue's two-layer convolutional extractor, primitives that run on the
// Kokkos backend; the serial executor has none).
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {

#if defined(LOSSFORGE_WITH_KOKKOS)
constexpr tensor<"w1", 4> w1;
constexpr tensor<"b1", 1> b1;
constexpr tensor<"w2", 4> w2;
constexpr tensor<"b2", 1> b2;
constexpr tensor<"input", 4> images;
constexpr tensor<"target", 4> references;
#endif

registration const perceptual_case("perceptual_loss", [](case_data const& c, precision p) {
#if defined(LOSSFORGE_WITH_KOKKOS)
  if (backend_under_test() == backend_choice::kokkos)
    return in_precision(p, false, [&]<class T>() {
      static constexpr auto kernel =
          kokkos::compile(losses::perceptual_loss(images, references, w1, b1, w2, b2), wrt(images, references));
      auto const b = bind(images = make_view<T, 4>(c.inputs.at("input"), "input"),
                          references = make_view<T, 4>(c.inputs.at("target"), "target"),
                          w1 = make_view<T, 4>(c.inputs.at("w1"), "w1"), b1 = make_view<T, 1>(c.inputs.at("b1"), "b1"),
                          w2 = make_view<T, 4>(c.inputs.at("w2"), "w2"), b2 = make_view<T, 1>(c.inputs.at("b2"), "b2"));
      auto const dx = gradient_for<T, 4>(c, "input"), dy = gradient_for<T, 4>(c, "target");
      computed out;
      out.loss = {kernel(Kokkos::DefaultHostExecutionSpace{}, b, dx.second, dy.second)};
      out.grads[dx.first] = flatten(dx.second);
      out.grads[dy.first] = flatten(dy.second);
      return out;
    });
#endif
  (void)c, (void)p;
  throw unsupported("perceptual_loss's layers are primitives, which run on the Kokkos backend");
});

}  // namespace
}  // namespace lossforge::conformance
