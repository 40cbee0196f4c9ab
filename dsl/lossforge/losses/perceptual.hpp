#pragma once
// The perceptual loss of a small convolutional feature extractor, whose two layers are primitives
// (dsl/primitive.hpp):
//
//   conv_layer1(x, w1, b1)          = relu(conv(x, w1) + b1)                      [N, C1, H, W]
//   conv_layer2(x, w1, b1, w2, b2)  = relu(conv(conv_layer1(x, w1, b1), w2) + b2)  [N, C2, H, W]
//   perceptual_loss(x, y, w1, b1, w2, b2) = mean((layer1(x) - layer1(y))^2) + mean((layer2(x) - layer2(y))^2)
//
// with x, y [N, C, H, W], w1 [C1, C, 3, 3], b1 [C1], w2 [C2, C1, 3, 3], b2 [C2], each conv a 3 x 3 cross-correlation
// with padding 1 and stride 1 (torch.nn.functional.conv2d(x, w, b, padding=1)). The weights are bound at run time and
// are not differentiated (the extractor is fixed, as a pretrained one is; wrt(...) naming one does not compile); x and
// y are. The layers' forward and
// vector-Jacobian product are the Kokkos backend's (kokkos/conv_layers.hpp).
#include <any>
#include <array>
#include <cstddef>

#include <lossforge/dsl/primitive.hpp>
#include <lossforge/dsl/reductions.hpp>

namespace lossforge::losses {

// Layer Depth (1 or 2) of the extractor, as a primitive: its result is that layer's activations.
template <int Depth>
struct conv_layer {
  static_assert(Depth == 1 || Depth == 2, "lossforge: the perceptual loss's extractor has layers 1 and 2");
  static constexpr fixed_string name = Depth == 1 ? fixed_string("conv_layer1") : fixed_string("conv_layer2");
  static constexpr int rank = 4;
  // The extractor is fixed: its vjp serves the images, not the weights and biases (compile refuses them in wrt).
  static constexpr std::array<bool, 1 + 2 * Depth> differentiable = [] {
    std::array<bool, 1 + 2 * Depth> only_images{};
    only_images[0] = true;
    return only_images;
  }();
  template <class X, class... Weights>
  std::array<std::size_t, 4> extents(X const& x, Weights const&... weights) const;
  template <class Exec, class... Views>
  void forward(Exec const& exec, Views const&... views);
  template <class Exec, class Upstream, class... Views>
  void vjp(Exec const& exec, Upstream const& upstream, Views const&... views);
  // The forward's activations (layer 1's, and layer 2's at depth 2: Views of the backend's), for the vjp's ReLUs.
  std::any kept_activations;
};
inline constexpr primitive<conv_layer<1>> conv_layer1;
inline constexpr primitive<conv_layer<2>> conv_layer2;

template <TensorSymbol X, TensorSymbol Y, TensorSymbol W1, TensorSymbol B1, TensorSymbol W2, TensorSymbol B2>
constexpr auto perceptual_loss(X const& x, Y const& y, W1 const& w1, B1 const& b1, W2 const& w2, B2 const& b2) {
  return lossforge::mean(square(conv_layer1(x, w1, b1) - conv_layer1(y, w1, b1))) +
         lossforge::mean(square(conv_layer2(x, w1, b1, w2, b2) - conv_layer2(y, w1, b1, w2, b2)));
}

}  // namespace lossforge::losses
