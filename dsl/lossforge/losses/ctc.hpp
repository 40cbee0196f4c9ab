#pragma once
// CTC (torch.nn.functional.ctc_loss) as a primitive, so that it goes inside a loss with other terms in one call:
//
//   ctc_nll<Blank, ZeroInfinity>(logits, targets, input_lengths, target_lengths)   [N]
//       each sample's negative log-likelihood, from logits [T, N, C] (log_softmax over C inside), padded targets
//       [N, S] and the lengths [N] (integer tensors); +inf for a target no path produces, 0 with ZeroInfinity
//   ctc_loss<Blank, ZeroInfinity>(logits, targets, input_lengths, target_lengths, R)
//       none: ctc_nll; sum: its sum; mean: mean over the batch of nll_n / max(target_lengths[n], 1), as PyTorch
//
// The forward and vector-Jacobian product are the Kokkos backend's CTC kernel (kokkos/ctc.hpp): the forward runs the
// forward-backward recursion, which gives each sample's gradient too; the vjp scales those by the upstream gradient.
#include <any>
#include <array>
#include <cstddef>
#include <type_traits>

#include <lossforge/dsl/primitive.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

template <int Blank, bool ZeroInfinity>
struct ctc_nll_impl {
  static_assert(Blank >= 0, "lossforge: the CTC blank is a class index, 0 or more");
  static constexpr fixed_string name = "ctc_nll";
  static constexpr int rank = 1;
  template <class Logits, class... Rest>
  std::array<std::size_t, 1> extents(Logits const& logits, Rest const&...) const {
    return {logits.extent(1)};
  }
  template <class Exec, class Logits, class Targets, class InputLengths, class TargetLengths, class Result>
  void forward(Exec const& exec, Logits const& logits, Targets const& targets, InputLengths const& input_lengths,
               TargetLengths const& target_lengths, Result const& result);
  template <class Exec, class Upstream, class Logits, class Targets, class InputLengths, class TargetLengths,
            class... Grads>
  void vjp(Exec const& exec, Upstream const& upstream, Logits const& logits, Targets const& targets,
           InputLengths const& input_lengths, TargetLengths const& target_lengths, Grads const&... grads);
  // The forward's per-sample gradients [T, N, C] (a View of the backend's), which the vjp scales.
  std::any sample_gradients;
};
template <int Blank = 0, bool ZeroInfinity = false>
inline constexpr primitive<ctc_nll_impl<Blank, ZeroInfinity>> ctc_nll{};

template <int Blank = 0, bool ZeroInfinity = false, TensorSymbol X, TensorSymbol T, TensorSymbol IL, TensorSymbol TL,
          Reduction R>
constexpr auto ctc_loss(X const& logits, T const& targets, IL const& input_lengths, TL const& target_lengths, R) {
  static_assert(X::rank == 3 && T::rank == 2 && IL::rank == 1 && TL::rank == 1,
                "lossforge: ctc_loss takes logits [T, N, C], targets [N, S] and lengths [N]");
  static_assert(lossforge::detail::is_int_tensor<T>::value && lossforge::detail::is_int_tensor<IL>::value &&
                    lossforge::detail::is_int_tensor<TL>::value,
                "lossforge: ctc_loss's targets and lengths are integer tensors (lf::int_tensor)");
  auto const nll = ctc_nll<Blank, ZeroInfinity>(logits, targets, input_lengths, target_lengths);
  if constexpr (std::is_same_v<R, mean_t>)
    return lossforge::mean(nll / max(target_lengths, 1));
  else
    return reduce_elements(nll, R{});
}

}  // namespace lossforge::losses
