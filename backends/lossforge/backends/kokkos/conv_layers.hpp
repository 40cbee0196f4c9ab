#pragma once
// The forward and vector-Jacobian product of the perceptual loss's layers (losses/perceptual.hpp) on Kokkos: 3 x 3
// cross-correlations with padding 1 and a ReLU, one work item per row of an output plane, in the Views' precision
// with sums in double. The vjp recomputes the activations (a ReLU passes the gradient where its output is positive,
// as PyTorch's does) and sends the gradient back in pull form: each input element gathers the outputs whose window
// holds it, bounds-checked, no atomics.
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <tuple>

#include <lossforge/backends/kokkos/workspace.hpp>
#include <lossforge/losses/perceptual.hpp>

namespace lossforge::kokkos::detail {

template <class T, class MemorySpace>
using image_planes = Kokkos::View<T****, Kokkos::LayoutRight, MemorySpace>;

// out = relu(conv(in, w) + b), in [N, I, H, W], w [O, I, 3, 3], b [O], out [N, O, H, W].
template <class Exec, class In, class W, class B, class Out>
void conv3x3_relu(Exec const& exec, In const& in, W const& w, B const& b, Out const& out) {
  std::size_t const planes = out.extent(0) * out.extent(1), height = out.extent(2);
  Kokkos::parallel_for(
      "lossforge::conv_layer", Kokkos::RangePolicy<Exec>(exec, 0, planes * height), KOKKOS_LAMBDA(std::size_t row) {
        std::size_t const n = row / height / out.extent(1), o = row / height % out.extent(1), h = row % height;
        for (std::size_t x = 0; x < out.extent(3); ++x) {
          double z = double(b(o));
          for (std::size_t i = 0; i < in.extent(1); ++i)
            for (std::size_t u = 0; u < 3; ++u)
              for (std::size_t v = 0; v < 3; ++v)
                if (h + u >= 1 && h + u <= in.extent(2) && x + v >= 1 && x + v <= in.extent(3))
                  z += double(w(o, i, u, v)) * double(in(n, i, h + u - 1, x + v - 1));
          out(n, o, h, x) = z > 0 || z != z ? z : 0;  // NaN passes, as torch.relu
        }
      });
}

// grad_in += conv^T(g masked where a > 0, w): the gradient of conv3x3_relu with respect to its input, for the
// upstream gradient g of its output a.
template <class Exec, class G, class A, class W, class GradIn>
void conv3x3_relu_vjp(Exec const& exec, G const& g, A const& a, W const& w, GradIn const& grad_in) {
  std::size_t const planes = grad_in.extent(0) * grad_in.extent(1), height = grad_in.extent(2);
  Kokkos::parallel_for(
      "lossforge::conv_layer_vjp", Kokkos::RangePolicy<Exec>(exec, 0, planes * height), KOKKOS_LAMBDA(std::size_t row) {
        std::size_t const n = row / height / grad_in.extent(1), i = row / height % grad_in.extent(1), h = row % height;
        for (std::size_t x = 0; x < grad_in.extent(3); ++x) {
          double s = 0;
          for (std::size_t o = 0; o < g.extent(1); ++o)
            for (std::size_t u = 0; u < 3; ++u)
              for (std::size_t v = 0; v < 3; ++v)  // the output at (h + 1 - u, x + 1 - v) read this input at (u, v)
                if (h + 1 >= u && h + 1 - u < g.extent(2) && x + 1 >= v && x + 1 - v < g.extent(3) &&
                    a(n, o, h + 1 - u, x + 1 - v) > 0)
                  s += double(g(n, o, h + 1 - u, x + 1 - v)) * double(w(o, i, u, v));
          grad_in(n, i, h, x) += s;
        }
      });
}

// The shapes the layers need, or an error naming the tensor that does not fit.
template <class W, class B>
void check_layer(std::size_t channels, W const& w, B const& b, std::string const& w_name, std::string const& b_name) {
  auto const shape = [](auto const& v) {
    std::string s = "[";
    for (std::size_t d = 0; d < std::size_t(v.rank); ++d) s += (d ? "," : "") + std::to_string(v.extent(d));
    return s + "]";
  };
  if (w.rank != 4 || w.extent(1) != channels || w.extent(2) != 3 || w.extent(3) != 3)
    throw std::invalid_argument("lossforge: perceptual_loss: '" + w_name + "' has shape " + shape(w) +
                                "; a 3 x 3 layer over " + std::to_string(channels) + " channels takes [C_out, " +
                                std::to_string(channels) + ", 3, 3]");
  if (b.rank != 1 || b.extent(0) != w.extent(0))
    throw std::invalid_argument("lossforge: perceptual_loss: '" + b_name + "' has shape " + shape(b) + ", '" + w_name +
                                "' has " + std::to_string(w.extent(0)) + " output channels");
}

// The extractor's weights are fixed: a gradient View for one of them (asked for through wrt(...)) is an error.
template <class... Grads>
void refuse_weight_gradients(Grads const&... grads) {
  if (((grads.data() != nullptr) || ...))
    throw std::invalid_argument(
        "lossforge: perceptual_loss does not differentiate the extractor's weights and biases; leave them out of "
        "wrt(...)");
}

}  // namespace lossforge::kokkos::detail

namespace lossforge::losses {

template <int Depth>
template <class X, class... Weights>
std::array<std::size_t, 4> conv_layer<Depth>::extents(X const& x, Weights const&... weights) const {
  static_assert(X::rank == 4 && sizeof...(Weights) == 2 * Depth,
                "lossforge: the perceptual loss's layers take images [N, C, H, W] and a weight and a bias per layer");
  auto const w = std::tie(weights...);
  kokkos::detail::check_layer(x.extent(1), std::get<0>(w), std::get<1>(w), "w1", "b1");
  if constexpr (Depth == 2)
    kokkos::detail::check_layer(std::get<0>(w).extent(0), std::get<2>(w), std::get<3>(w), "w2", "b2");
  return {x.extent(0), std::get<2 * Depth - 2>(w).extent(0), x.extent(2), x.extent(3)};
}

template <int Depth>
template <class Exec, class... Views>
void conv_layer<Depth>::forward(Exec const& exec, Views const&... views) const {
  auto const v = std::tie(views...);  // x, w1, b1[, w2, b2], result
  auto const& x = std::get<0>(v);
  if constexpr (Depth == 1) {
    kokkos::detail::conv3x3_relu(exec, x, std::get<1>(v), std::get<2>(v), std::get<3>(v));
  } else {
    auto const& result = std::get<5>(v);
    using T = typename std::remove_cvref_t<decltype(result)>::non_const_value_type;
    kokkos::detail::image_planes<T, typename Exec::memory_space> const a1(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::conv_layer1"), x.extent(0),
        std::get<1>(v).extent(0), x.extent(2), x.extent(3));
    kokkos::detail::conv3x3_relu(exec, x, std::get<1>(v), std::get<2>(v), a1);
    kokkos::detail::conv3x3_relu(exec, a1, std::get<3>(v), std::get<4>(v), result);
    exec.fence();  // a1 is freed on return
  }
}

template <int Depth>
template <class Exec, class Upstream, class... Views>
void conv_layer<Depth>::vjp(Exec const& exec, Upstream const& upstream, Views const&... views) const {
  auto const v = std::tie(views...);  // x, w1, b1[, w2, b2], then their gradients
  constexpr std::size_t args = 1 + 2 * Depth;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    kokkos::detail::refuse_weight_gradients(std::get<args + 1 + K>(v)...);
  }
  (std::make_index_sequence<2 * Depth>{});
  auto const& x = std::get<0>(v);
  auto const& dx = std::get<args>(v);
  if (dx.data() == nullptr) return;
  using T = typename std::remove_cvref_t<Upstream>::non_const_value_type;
  using planes = kokkos::detail::image_planes<T, typename Exec::memory_space>;
  auto const& w1 = std::get<1>(v);
  planes const a1(Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::conv_layer1"), x.extent(0), w1.extent(0),
                  x.extent(2), x.extent(3));
  kokkos::detail::conv3x3_relu(exec, x, w1, std::get<2>(v), a1);
  if constexpr (Depth == 1) {
    kokkos::detail::conv3x3_relu_vjp(exec, upstream, a1, w1, dx);
  } else {
    auto const& w2 = std::get<3>(v);
    planes const a2(Kokkos::view_alloc(Kokkos::WithoutInitializing, "lossforge::conv_layer2"), x.extent(0),
                    w2.extent(0), x.extent(2), x.extent(3));
    planes const da1("lossforge::dconv_layer1", x.extent(0), w1.extent(0), x.extent(2), x.extent(3));
    kokkos::detail::conv3x3_relu(exec, a1, w2, std::get<4>(v), a2);
    kokkos::detail::conv3x3_relu_vjp(exec, upstream, a2, w2, da1);
    kokkos::detail::conv3x3_relu_vjp(exec, da1, a1, w1, dx);
  }
  exec.fence();  // the activations are freed on return
}

}  // namespace lossforge::losses
