#pragma once
// Margin losses of classifiers, as torch.nn.functional's soft_margin_loss, multilabel_soft_margin_loss and
// multi_margin_loss. Labels are +-1 (soft margin), 0/1 per class (multilabel) or a class index (multi-class).
//
//   soft_margin_loss(x, y)             l = log(1 + exp(-y x)), as softplus(-y x): finite where PyTorch's
//                                      log1p(exp(.)) overflows to inf (-y x beyond ~709 in double)
//   multilabel_soft_margin_loss(x, y)  l_i = -(1/C) sum_c w[c] (y[i,c] log sigmoid(x[i,c]) + (1 - y[i,c])
//                                      log sigmoid(-x[i,c])),  x, y [N, C], optional class weights w [C]
//   multi_margin_loss(x, t)            l_i = (1/C) sum_{c != t[i]} w[t[i]] max(0, margin - x[i,t[i]] + x[i,c])^p,
//                                      x [N, C], t [N] class indices, p 1 or 2, margin 1, optional weights w [C]
// At a hinge exactly 0 the multi-class margin's gradient is 0, as PyTorch's kernel (it counts z > 0 only).
#include <lossforge/dsl/symbols.hpp>
#include <lossforge/losses/classification.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

template <Operand X, Operand Y, Reduction R>
constexpr auto soft_margin_loss(X const& x, Y const& y, R reduction) {
  return reduce_elements(softplus(-(y * x)), reduction);
}

template <class Weight = unset>
struct multilabel_soft_margin_options {
  template <TensorSymbol W>
  constexpr multilabel_soft_margin_options<W> weight(W) const {
    static_assert(W::rank == 1, "lossforge: multilabel_soft_margin_loss: class weights are a rank-1 tensor [C]");
    return {};
  }
};

template <TensorSymbol X, TensorSymbol Y, Reduction R, class W = unset>
constexpr auto multilabel_soft_margin_loss(X const& x, Y const& y, multilabel_soft_margin_options<W>, R reduction) {
  static_assert(X::rank == 2 && Y::rank == 2,
                "lossforge: multilabel_soft_margin_loss takes logits and targets declared as rank-2 tensors [N, C]");
  using namespace detail;
  auto const xc = x(sample, klass);
  auto const yc = y(sample, klass);  // its own declaration: one auto deduces one type
  auto const per_class = class_weight<W>(klass) * (yc * log_sigmoid(xc) + (c<1> - yc) * log_sigmoid(-xc));
  return reduce_elements(-lossforge::mean(klass, per_class), reduction);
}
template <TensorSymbol X, TensorSymbol Y, Reduction R>
constexpr auto multilabel_soft_margin_loss(X const& x, Y const& y, R reduction) {
  return multilabel_soft_margin_loss(x, y, multilabel_soft_margin_options<>{}, reduction);
}

template <int P = 1, class Margin = double, class Weight = unset>
struct multi_margin_options {
  Margin margin_value = 1.0;

  template <int Power>
  constexpr multi_margin_options<Power, Margin, Weight> p() const {
    static_assert(Power == 1 || Power == 2, "lossforge: multi_margin_loss: p is 1 or 2, as PyTorch's");
    return {margin_value};
  }
  template <Operand M>
  constexpr multi_margin_options<P, M, Weight> margin(M m) const {
    return {m};
  }
  template <TensorSymbol W>
  constexpr multi_margin_options<P, Margin, W> weight(W) const {
    static_assert(W::rank == 1, "lossforge: multi_margin_loss: class weights are a rank-1 tensor [C]");
    return {margin_value};
  }
};

template <TensorSymbol X, TensorSymbol T, Reduction R, int P, class M, class W>
constexpr auto multi_margin_loss(X const& x, T const& t, multi_margin_options<P, M, W> const& o, R reduction) {
  static_assert(X::rank == 2, "lossforge: multi_margin_loss takes logits declared as a rank-2 tensor [N, C]");
  static_assert(lossforge::detail::is_int_tensor<T>::value && T::rank == 1,
                "lossforge: multi_margin_loss takes class indices declared as int_tensor of rank 1 [N]");
  using namespace detail;
  auto const hinge = relu(o.margin_value - x(sample, t(sample)) + x(sample, klass));
  auto const powered = [&] {
    if constexpr (P == 1)
      return hinge;
    else
      return square(hinge);
  }();
  return reduce_elements(class_weight<W>(t(sample)) * lossforge::mean(klass, where(klass != t(sample), powered, c<0>)),
                         reduction);
}
template <TensorSymbol X, TensorSymbol T, Reduction R>
constexpr auto multi_margin_loss(X const& x, T const& t, R reduction) {
  return multi_margin_loss(x, t, multi_margin_options<>{}, reduction);
}

}  // namespace lossforge::losses
