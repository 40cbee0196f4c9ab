#pragma once
// Cross entropy and negative log-likelihood over classes, as torch.nn.functional.cross_entropy / nll_loss.
//
// Logits x are [N, C] (x declared tensor<"x", 2>) with class-index targets t [N] (int_tensor<"t", 1>), or
// [N, C, d] with targets [N, d] (the spatial form, chosen by the targets' rank 2). With lp = log_softmax over C:
//
//   cross_entropy    l = (1 - eps) w[t] (-lp[t]) + (eps / C) sum_c w[c] (-lp[c]),  0 where t == ignore_index
//                    (the eps term left out where eps is 0, as PyTorch)
//   nll_loss         l = -w[t] x[t] (x already log-probabilities),                   0 where t == ignore_index
//   mean             sum l / sum over kept positions of w[t] (the count of kept positions without weights); NaN with
//                    a zero gradient when that sum is 0
//   cross_entropy_probabilities(x, y)  with probability targets y [N, C]:
//                    l = -sum_c w[c] ((1 - eps) y[c] + eps / C) lp[c];  mean divides by N
//
// Options: .weight(w) class weights [C]; .ignore_index(k) a number or scalar symbol; .label_smoothing(eps) a
// number or scalar symbol in [0, 1] (lf::in_range). A target of -100 is a class index like any other unless
// .ignore_index(-100) is given (PyTorch ignores -100 by default; the out-of-range error says so). Without weights and
// ignore_index the mean divides by N, which the planner knows without a pass; with them the denominator is a sum over
// the targets, recomputed by each chunk of rows.
//
//   perplexity(x, t)        PPL = exp(cross_entropy(x, t, mean)), the exponential of the mean negative log-likelihood
//                           of T tokens; dPPL/dx = PPL (softmax - onehot(t)) / T. +inf once the mean exceeds ~709.
//                           With options (ignore_index for padding, weights) the mean is cross_entropy's.
//   softmax_focal_loss(x, t)
//                           l = -alpha_t (1 - p_t)^gamma log p_t, log p_t = log_softmax(x)[t], p_t = exp(log p_t)
//                           (Lin et al. 2017 over a softmax); 1 - p_t is -expm1(log p_t), exact where p_t is near 1.
//                           dl/dx = alpha_t (1 - p_t)^(gamma - 1) (gamma p_t log p_t - (1 - p_t)) (onehot(t) - softmax)
//                           Options: .alpha(a) a number or scalar symbol >= 0 (lf::in_range), or a tensor symbol of
//                           per-class weights [C] (alpha_t = alpha[t]); none by default (alpha_t = 1). .gamma<N>() an
//                           integer exponent, 2 by default; gamma 0 is cross entropy.
#include <limits>
#include <stdexcept>

#include <lossforge/dsl/parameter_range.hpp>
#include <lossforge/dsl/symbols.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

using label_smoothing_range = parameter_range<"cross_entropy", "label_smoothing", range::unit_interval>;

template <class Weight = unset, class IgnoreIndex = unset, class Smoothing = unset>
struct cross_entropy_options {
  IgnoreIndex ignore_index_value{};
  Smoothing smoothing_value{};

  // The smoothing as the loss uses it: a scalar symbol carries its range.
  constexpr auto smoothing() const { return in_range<label_smoothing_range>(smoothing_value); }

  template <TensorSymbol W>
  constexpr cross_entropy_options<W, IgnoreIndex, Smoothing> weight(W) const {
    return {ignore_index_value, smoothing_value};
  }
  template <Operand K>
  constexpr cross_entropy_options<Weight, K, Smoothing> ignore_index(K k) const {
    return {k, smoothing_value};
  }
  template <Operand E>
  constexpr cross_entropy_options<Weight, IgnoreIndex, E> label_smoothing(E eps) const {
    in_range<label_smoothing_range>(eps);  // a number now; a symbol in the loss (smoothing())
    return {ignore_index_value, eps};
  }
};

namespace detail {
inline constexpr index<"i"> sample;
inline constexpr index<"c"> klass;
inline constexpr index<"k"> spot;  // the spatial position

// x at (i, class[, k]) and t at (i[, k]): the two layouts in one place.
template <class X, class Class, bool Spatial>
constexpr auto logit(X const& x, Class const& cls) {
  if constexpr (Spatial)
    return x(sample, cls, spot);
  else
    return x(sample, cls);
}
template <class T, bool Spatial>
constexpr auto target(T const& t) {
  if constexpr (Spatial)
    return t(sample, spot);
  else
    return t(sample);
}
template <class W, class Class>
constexpr auto class_weight(Class const& cls) {
  if constexpr (std::is_same_v<W, unset>)
    return lossforge::c<1>;
  else
    return W{}(cls);
}

template <class Options>
inline constexpr bool has_ignore_index = false;
template <class W, class K, class E>
inline constexpr bool has_ignore_index<cross_entropy_options<W, K, E>> = !std::is_same_v<K, unset>;

// Keeps the loss of kept positions only; the ignored ones are never evaluated (their gathers would be out of range).
template <class Options, class T, class L>
constexpr auto kept(Options const& o, T const& t, L const& loss) {
  if constexpr (has_ignore_index<Options>)
    return where(t != o.ignore_index_value, loss, lossforge::c<0>);
  else
    return loss;
}

// The mean with weights or ignore_index divides by the kept positions' total weight. When that total is 0 (every
// position ignored, or weighted 0) the loss is NaN, as PyTorch's, and the gradient is 0 rather than 0 / 0: the
// division is by 1 then, and the NaN is a constant term no gradient sees.
template <class W, class K, class E, class T, class PerPosition, Reduction R>
constexpr auto reduce_positions(cross_entropy_options<W, K, E> const& o, T const& t, PerPosition const& l, R r) {
  if constexpr (std::is_same_v<R, mean_t> && !(std::is_same_v<W, unset> && std::is_same_v<K, unset>)) {
    auto const total = lossforge::sum(kept(o, t, class_weight<W>(t)));
    auto const nothing_kept = total == lossforge::c<0>;
    return lossforge::sum(l) / where(nothing_kept, lossforge::c<1>, total) +
           where(nothing_kept, std::numeric_limits<double>::quiet_NaN(), lossforge::c<0>);
  } else {
    return reduce_elements(l, r);
  }
}
}  // namespace detail

template <TensorSymbol X, TensorSymbol T, Reduction R, class W = unset, class K = unset, class E = unset>
constexpr auto cross_entropy(X const& x, T const& t, cross_entropy_options<W, K, E> const& o, R reduction) {
  static_assert(T::rank == 1 || T::rank == 2,
                "lossforge: cross_entropy takes class-index targets of declared rank 1 ([N], logits [N, C]) or 2 "
                "([N, d], logits [N, C, d])");
  constexpr bool spatial = T::rank == 2;
  using namespace detail;
  auto const target_class = detail::target<T, spatial>(t);
  auto const target_logit = logit<X, decltype(target_class), spatial>(x, target_class);
  // -log_softmax at class c is lse - x[c]. The evaluators keep a log-sum-exp as the pair max + log(sum exp(x - max))
  // and add x[c] to it exactly, so this is PyTorch's (max - x[c]) + log(sum): ln C for equal logits of any size,
  // +inf (not inf - inf) for a target logit of -inf.
  auto const lse = logsumexp(klass, logit<X, index<"c">, spatial>(x, klass));
  auto const picked = class_weight<W>(target_class) * (lse - target_logit);
  auto const per_position = [&] {
    if constexpr (std::is_same_v<E, unset>) {
      return picked;
    } else {
      // (eps / C) sum_c w[c] (-lp[c]), skipped where eps is 0 as PyTorch does: a logit of -inf makes it infinite,
      // and 0 * inf must not turn the loss into NaN.
      auto const smooth =
          lossforge::mean(klass, class_weight<W>(klass) * (lse - logit<X, index<"c">, spatial>(x, klass)));
      auto const eps = o.smoothing();
      return (lossforge::c<1> - eps) * picked + where(eps == lossforge::c<0>, lossforge::c<0>, eps * smooth);
    }
  }();
  return reduce_positions(o, target_class, kept(o, target_class, per_position), reduction);
}
template <TensorSymbol X, TensorSymbol T, Reduction R>
constexpr auto cross_entropy(X const& x, T const& t, R reduction) {
  return cross_entropy(x, t, cross_entropy_options<>{}, reduction);
}

template <TensorSymbol X, TensorSymbol T, Reduction R, class W = unset, class K = unset>
constexpr auto nll_loss(X const& x, T const& t, cross_entropy_options<W, K, unset> const& o, R reduction) {
  static_assert(T::rank == 1, "lossforge: nll_loss takes log-probabilities [N, C] and class indices [N]");
  using namespace detail;
  auto const per_row = -(class_weight<W>(t(sample)) * x(sample, t(sample)));
  return reduce_positions(o, t(sample), kept(o, t(sample), per_row), reduction);
}
template <TensorSymbol X, TensorSymbol T, Reduction R>
constexpr auto nll_loss(X const& x, T const& t, R reduction) {
  return nll_loss(x, t, cross_entropy_options<>{}, reduction);
}

template <TensorSymbol X, TensorSymbol Y, Reduction R, class W = unset, class E = unset>
constexpr auto cross_entropy_probabilities(X const& x, Y const& y, cross_entropy_options<W, unset, E> const& o,
                                           R reduction) {
  using namespace detail;
  auto const log_p = log_softmax(klass, x(sample, klass));
  auto const per_row = [&] {
    auto const target_term = -lossforge::sum(klass, class_weight<W>(klass) * y(sample, klass) * log_p);
    if constexpr (std::is_same_v<E, unset>)
      return target_term;
    else  // the uniform part eps / C of the smoothed target, as a mean over the classes
      return (lossforge::c<1> - o.smoothing()) * target_term -
             o.smoothing() * lossforge::mean(klass, class_weight<W>(klass) * log_p);
  }();
  return reduce_elements(per_row, reduction);
}

template <TensorSymbol X, TensorSymbol T, class W = unset, class K = unset, class E = unset>
constexpr auto perplexity(X const& x, T const& t, cross_entropy_options<W, K, E> const& o) {
  return exp(cross_entropy(x, t, o, mean));
}
template <TensorSymbol X, TensorSymbol T>
constexpr auto perplexity(X const& x, T const& t) {
  return perplexity(x, t, cross_entropy_options<>{});
}

using softmax_focal_alpha = parameter_range<"softmax_focal_loss", "alpha", range::non_negative>;

// Alpha: unset, a number or scalar symbol (one weight), or a tensor symbol (a weight per class).
template <class Alpha = unset, int Gamma = 2>
struct softmax_focal_options {
  Alpha alpha_value{};

  template <Operand A>
  constexpr softmax_focal_options<A, Gamma> alpha(A a) const {
    if constexpr (!TensorSymbol<A>) in_range<softmax_focal_alpha>(a);  // a number now; a symbol in the loss
    return {a};
  }
  template <int G>
  constexpr softmax_focal_options<Alpha, G> gamma() const {
    static_assert(G >= 0, "lossforge: softmax_focal_loss: gamma must be a non-negative integer");
    return {alpha_value};
  }
};

template <TensorSymbol X, TensorSymbol T, Reduction R, class Alpha, int Gamma>
constexpr auto softmax_focal_loss(X const& x, T const& t, softmax_focal_options<Alpha, Gamma> const& o,
                                  R reduction) {
  static_assert(X::rank == 2 && T::rank == 1,
                "lossforge: softmax_focal_loss takes logits [N, C] and class indices [N] (declared ranks 2 and 1)");
  using detail::klass, detail::sample;
  auto const target_class = t(sample);
  auto const log_p_t = x(sample, target_class) - logsumexp(klass, x(sample, klass));
  auto const focal = pow<Gamma>(-expm1(log_p_t)) * -log_p_t;
  if constexpr (std::is_same_v<Alpha, unset>)
    return reduce_elements(focal, reduction);
  else if constexpr (TensorSymbol<Alpha>)
    return reduce_elements(Alpha{}(target_class) * focal, reduction);
  else
    return reduce_elements(in_range<softmax_focal_alpha>(o.alpha_value) * focal, reduction);
}
template <TensorSymbol X, TensorSymbol T, Reduction R>
constexpr auto softmax_focal_loss(X const& x, T const& t, R reduction) {
  return softmax_focal_loss(x, t, softmax_focal_options<>{}, reduction);
}

}  // namespace lossforge::losses
