#pragma once
// The forward and vector-Jacobian product of the perceptual loss's layers (losses/perceptual.hpp) on Kokkos: 3 x 3
// cross-correlations with padding 1 and a ReLU, one work item per row of an output plane, in the Views' precision
// with sums in double. The forward keeps the activations for the vjp (a ReLU passes the gradient where its output is
// positive, as PyTorch's does), which sends the gradient back in pull form: each input element gathers the outputs
// whose window holds it, bounds-checked, no atomics.
#include <any>
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <lossforge/backends/kokkos/plane_rows.hpp>
#include <lossforge/backends/shape.hpp>
#include <lossforge/config/kokkos_compat.hpp>
#include <lossforge/losses/perceptual.hpp>

namespace lossforge::kokkos::detail {

// A layer's activations [N, channels, H, W] for images x, in the execution space's memory, uninitialized.
template <class T, class Exec, class X>
auto activations(X const& x, std::size_t channels, std::string const& label) {
  return Kokkos::View<T****, Kokkos::LayoutRight, typename Exec::memory_space>(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, label), x.extent(0), channels, x.extent(2), x.extent(3));
}

// out = relu(conv(in, w) + b), in [N, I, H, W], w [O, I, 3, 3], b [O], out [N, O, H, W].
template <class Exec, class In, class W, class B, class Out>
void conv3x3_relu(Exec const& exec, In const& in, W const& w, B const& b, Out const& out) {
  for_each_plane_row(
      exec, "lossforge::conv_layer", out.extent(0), out.extent(1), out.extent(2),
      KOKKOS_LAMBDA(std::size_t n, std::size_t o, std::size_t h) {
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

// grad_in += conv^T(g masked where a <= 0, w): the gradient of conv3x3_relu with respect to its input, for the
// upstream gradient g of its output a.
template <class Exec, class G, class A, class W, class GradIn>
void conv3x3_relu_vjp(Exec const& exec, G const& g, A const& a, W const& w, GradIn const& grad_in) {
  for_each_plane_row(
      exec, "lossforge::conv_layer_vjp", grad_in.extent(0), grad_in.extent(1), grad_in.extent(2),
      KOKKOS_LAMBDA(std::size_t n, std::size_t i, std::size_t h) {
        for (std::size_t x = 0; x < grad_in.extent(3); ++x) {
          double s = 0;
          for (std::size_t o = 0; o < g.extent(1); ++o)
            for (std::size_t u = 0; u < 3; ++u)
              for (std::size_t v = 0; v < 3; ++v)  // the output at (h + 1 - u, x + 1 - v) read this input at (u, v)
                if (h + 1 >= u && h + 1 - u < g.extent(2) && x + 1 >= v && x + 1 - v < g.extent(3) &&
                    !(a(n, o, h + 1 - u, x + 1 - v) <= 0))  // a NaN activation passes it, as in torch
                  s += double(g(n, o, h + 1 - u, x + 1 - v)) * double(w(o, i, u, v));
          grad_in(n, i, h, x) += s;
        }
      });
}

// Whether Views are a weight of rank 4 and a bias of rank 1 per layer.
template <class... Views, std::size_t... K>
constexpr bool weights_and_biases(std::index_sequence<K...>) {
  return ((std::remove_cvref_t<Views>::rank == (K % 2 == 0 ? 4 : 1)) && ...);
}
// The shapes layer `layer` needs (weight [C_out, channels, 3, 3], bias [C_out]), or an error naming what does not fit.
template <class W, class B>
void check_layer(int layer, std::size_t channels, W const& w, B const& b) {
  std::string const which = "lossforge: perceptual_loss: layer " + std::to_string(layer) + "'s ";
  if (w.extent(1) != channels || w.extent(2) != 3 || w.extent(3) != 3)
    throw std::invalid_argument(which + "weight has shape " + shape_string(shape_of(w)) + "; over " +
                                std::to_string(channels) + " channels it takes [C_out, " + std::to_string(channels) +
                                ", 3, 3]");
  if (b.extent(0) != w.extent(0))
    throw std::invalid_argument(which + "bias has shape " + shape_string(shape_of(b)) + " for " +
                                std::to_string(w.extent(0)) + " output channels");
}

}  // namespace lossforge::kokkos::detail

namespace lossforge::losses {

template <int Depth>
template <class X, class... Weights>
std::array<std::size_t, 4> conv_layer<Depth>::extents(X const& x, Weights const&... weights) const {
  auto const w = std::tie(weights...);
  static_assert(X::rank == 4 && sizeof...(Weights) == 2 * Depth &&
                    kokkos::detail::weights_and_biases<Weights...>(std::index_sequence_for<Weights...>{}),
                "lossforge: the perceptual loss's layers take images [N, C, H, W], and per layer a weight "
                "[C_out, C_in, 3, 3] and a bias [C_out]");
  kokkos::detail::check_layer(1, x.extent(1), std::get<0>(w), std::get<1>(w));
  if constexpr (Depth == 2) kokkos::detail::check_layer(2, std::get<0>(w).extent(0), std::get<2>(w), std::get<3>(w));
  return {x.extent(0), std::get<2 * Depth - 2>(w).extent(0), x.extent(2), x.extent(3)};
}

template <int Depth>
template <class Exec, class... Views>
void conv_layer<Depth>::forward(Exec const& exec, Views const&... views) {
  auto const v = std::tie(views...);  // x, w1, b1[, w2, b2], result
  auto const& x = std::get<0>(v);
  auto const& result = std::get<1 + 2 * Depth>(v);
  using T = typename std::remove_cvref_t<decltype(result)>::non_const_value_type;
  using planes = decltype(kokkos::detail::activations<T, Exec>(x, 0, ""));
  if constexpr (Depth == 1) {
    kokkos::detail::conv3x3_relu(exec, x, std::get<1>(v), std::get<2>(v), result);
    kept_activations = std::tuple<planes>(result);
  } else {
    auto const a1 = kokkos::detail::activations<T, Exec>(x, std::get<1>(v).extent(0), "lossforge::conv_layer1");
    kokkos::detail::conv3x3_relu(exec, x, std::get<1>(v), std::get<2>(v), a1);
    kokkos::detail::conv3x3_relu(exec, a1, std::get<3>(v), std::get<4>(v), result);
    kept_activations = std::tuple<planes, planes>(a1, result);
  }
}

template <int Depth>
template <class Exec, class Upstream, class... Views>
void conv_layer<Depth>::vjp(Exec const& exec, Upstream const& upstream, Views const&... views) {
  auto const v = std::tie(views...);  // x, w1, b1[, w2, b2], then their gradients (only x's is ever asked for)
  auto const& dx = std::get<1 + 2 * Depth>(v);
  if (dx.data() == nullptr) return;
  using T = typename std::remove_cvref_t<Upstream>::non_const_value_type;
  using planes = decltype(kokkos::detail::activations<T, Exec>(upstream, 0, ""));  // as the forward kept them
  auto const& w1 = std::get<1>(v);
  if constexpr (Depth == 1) {
    auto const [a1] = std::any_cast<std::tuple<planes>>(kept_activations);
    kokkos::detail::conv3x3_relu_vjp(exec, upstream, a1, w1, dx);
  } else {
    auto const [a1, a2] = std::any_cast<std::tuple<planes, planes>>(kept_activations);
    auto const da1 = kokkos::detail::activations<T, Exec>(a1, w1.extent(0), "lossforge::dconv_layer1");
    Kokkos::deep_copy(exec, da1, T(0));
    kokkos::detail::conv3x3_relu_vjp(exec, upstream, a2, std::get<3>(v), da1);
    kokkos::detail::conv3x3_relu_vjp(exec, da1, a1, w1, dx);
    exec.fence();  // da1 is freed on return
  }
}

}  // namespace lossforge::losses
