#pragma once
// Metric learning and ranking: embeddings [N, D] (rank-2 tensors) compared row by row, and scores of any shape (used
// without indices). Each row i gives a loss l_i; R reduces them (none, mean, sum) as PyTorch does.
//
//   triplet_margin_loss(a, p, n)     l_i = max(0, margin + d(a_i, p_i) - d(a_i, n_i)),  d(u, v) = ||u - v + eps||_p
//       torch.nn.functional.triplet_margin_loss (eps added to every component, as pairwise_distance); .swap() uses
//       min(d(a_i, n_i), d(p_i, n_i)) for the negative distance. Defaults margin 1, eps 1e-6, p 2, no swap.
//   triplet_cosine(a, p, n, margin)  l_i = max(0, d(a_i, p_i) - d(a_i, n_i) + margin),  d(u, v) = 1 - u.v / (|u| |v|)
//       (no eps: a zero embedding gives NaN)
//   contrastive_hadsell(x1, x2, y, margin[, eps])
//                                    l_i = y_i D_i^2 / 2 + (1 - y_i) max(0, margin - D_i)^2 / 2
//   contrastive_seed(x1, x2, y, margin[, eps])
//                                    l_i = (1 - y_i) D_i^2 / 2 + y_i max(0, margin - D_i)^2 / 2
//       D_i = ||x1_i - x2_i + eps||_2 (eps 1e-6 by default), integer labels y in {0, 1} (an int_tensor [N]).
//       contrastive_hadsell is the form usually given under Hadsell, Chopra and LeCun's name, label 1 for a similar
//       pair (pulled together); their paper labels similar pairs 0, which is contrastive_seed's formula.
//   cosine_embedding_loss(x1, x2, y[, margin])
//                                    l_i = 1 - cos_i where y_i = 1, max(0, cos_i - margin) where y_i = -1, else 0
//       cos_i = x1_i.x2_i / sqrt((|x1_i|^2 + 1e-12) (|x2_i|^2 + 1e-12)), torch.nn.functional.cosine_embedding_loss
//       (its 1e-12 a float constant, as PyTorch's; margin 0 by default)
//   margin_ranking_loss(x1, x2, y[, margin])
//                                    l = max(0, -y (x1 - x2) + margin)    torch.nn.functional.margin_ranking_loss
//   hinge_embedding_loss(x, y[, margin])
//                                    l = x where y = 1, max(0, margin - x) where y = -1 (PyTorch adds both terms for
//                                    any other y)                         torch.nn.functional.hinge_embedding_loss
//
// Derivatives follow PyTorch's autograd at the kinks: max(0, x) is clamp_min, whose gradient passes at x = 0; the
// swap's min splits a tie one half each; |x|' = sign(x), 0 at 0. The eps added to every component keeps a distance
// away from 0 (eps D^(1/p) for equal vectors), where the norm's derivative is finite; with eps = 0 and equal vectors
// a p >= 2 distance is exactly 0 and its gradient NaN (0 / 0), where PyTorch's norm backward returns 0 (p = 1 gives
// sign(0) = 0, as PyTorch). Margins and eps are numbers or scalar symbols; eps must be non-negative (lf::in_range).
// The norm's p is an integer template argument, .p<1>(), .p<2>(), ...
#include <lossforge/dsl/parameter_range.hpp>
#include <lossforge/dsl/symbols.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

using triplet_eps = parameter_range<"triplet_margin_loss", "eps", range::non_negative>;
using contrastive_eps = parameter_range<"contrastive", "eps", range::non_negative>;

namespace detail::embedding {
inline constexpr index<"i"> row;
inline constexpr index<"d"> feature;

// max(0, x) as PyTorch's clamp_min(x, 0): the gradient passes at x = 0 (relu'(0) would be 0), a NaN stays NaN.
template <Operand X>
constexpr auto clamp_min_zero(X const& x) {
  return where(x < c<0>, c<0>, x);
}

// ||u_i - v_i + eps||_P over the features, torch.nn.functional.pairwise_distance.
template <int P, class U, class V, class E>
constexpr auto pairwise_distance(U const& u, V const& v, E const& eps) {
  static_assert(P >= 1, "lossforge: a pairwise distance's norm p is an integer >= 1");
  auto const difference = u(row, feature) - v(row, feature) + eps;
  if constexpr (P == 1)
    return lossforge::sum(feature, abs(difference));
  else if constexpr (P == 2)
    return sqrt(lossforge::sum(feature, square(difference)));
  else
    return pow(lossforge::sum(feature, pow<P>(abs(difference))), c<1, P>);
}

// sum_d u[i,d]^2
template <class U>
constexpr auto squared_norm(U const& u) {
  return lossforge::sum(feature, square(u(row, feature)));
}

template <class... X>
inline constexpr bool embeddings = ((X::rank == 2) && ...);

// Both contrastive forms: SimilarLabel is the label of the pairs pulled together (1 in contrastive_hadsell, 0 in
// contrastive_seed); the others are pushed apart to at least the margin.
template <int SimilarLabel, TensorSymbol X1, TensorSymbol X2, TensorSymbol Y, Operand M, Operand E, Reduction R>
constexpr auto contrastive(X1 const& x1, X2 const& x2, Y const& y, M const& margin, E const& eps, R reduction) {
  static_assert(lossforge::detail::is_int_tensor<Y>::value && Y::rank == 1,
                "lossforge: contrastive losses take one label in {0, 1} per pair, an int_tensor of rank 1 [N]");
  static_assert(embeddings<X1, X2>, "lossforge: contrastive takes embeddings declared as rank-2 tensors [N, D]");
  auto const distance = pairwise_distance<2>(x1, x2, in_range<contrastive_eps>(eps));
  auto const pull = c<1, 2> * square(distance);
  auto const push = c<1, 2> * square(clamp_min_zero(margin - distance));
  auto const label = y(row);
  if constexpr (SimilarLabel == 1)
    return reduce_elements(label * pull + (c<1> - label) * push, reduction);
  else
    return reduce_elements((c<1> - label) * pull + label * push, reduction);
}
}  // namespace detail::embedding

// Margin and eps: numbers or scalar symbols; P the norm's integer exponent; Swap PyTorch's distance swap.
template <class Margin = double, class Eps = double, int P = 2, bool Swap = false>
struct triplet_options {
  Margin margin_value = 1.0;
  Eps eps_value = 1e-6;

  template <Operand M>
  constexpr triplet_options<M, Eps, P, Swap> margin(M m) const {
    return {m, eps_value};
  }
  template <Operand E>
  constexpr triplet_options<Margin, E, P, Swap> eps(E e) const {
    in_range<triplet_eps>(e);  // a number now; a symbol in the loss
    return {margin_value, e};
  }
  template <int Norm>
  constexpr triplet_options<Margin, Eps, Norm, Swap> p() const {
    static_assert(Norm >= 1, "lossforge: triplet_margin_loss: p is an integer >= 1");
    return {margin_value, eps_value};
  }
  constexpr triplet_options<Margin, Eps, P, true> swap() const { return {margin_value, eps_value}; }
};

template <TensorSymbol A, TensorSymbol Pos, TensorSymbol Neg, Reduction R, class M, class E, int P, bool Swap>
constexpr auto triplet_margin_loss(A const& a, Pos const& p, Neg const& n, triplet_options<M, E, P, Swap> const& o,
                                   R reduction) {
  using namespace detail::embedding;
  static_assert(embeddings<A, Pos, Neg>,
                "lossforge: triplet_margin_loss takes embeddings declared as rank-2 tensors [N, D]");
  auto const eps = in_range<triplet_eps>(o.eps_value);
  auto const negative_distance = [&] {
    if constexpr (Swap)
      return lossforge::min(pairwise_distance<P>(a, n, eps), pairwise_distance<P>(p, n, eps));
    else
      return pairwise_distance<P>(a, n, eps);
  }();
  return reduce_elements(clamp_min_zero(o.margin_value + pairwise_distance<P>(a, p, eps) - negative_distance),
                         reduction);
}
template <TensorSymbol A, TensorSymbol Pos, TensorSymbol Neg, Reduction R>
constexpr auto triplet_margin_loss(A const& a, Pos const& p, Neg const& n, R reduction) {
  return triplet_margin_loss(a, p, n, triplet_options<>{}, reduction);
}

template <TensorSymbol A, TensorSymbol Pos, TensorSymbol Neg, Operand M, Reduction R>
constexpr auto triplet_cosine(A const& a, Pos const& p, Neg const& n, M const& margin, R reduction) {
  using namespace detail::embedding;
  static_assert(embeddings<A, Pos, Neg>,
                "lossforge: triplet_cosine takes embeddings declared as rank-2 tensors [N, D]");
  auto const cosine_distance = [&](auto const& u, auto const& v) {
    return c<1> -
           lossforge::sum(feature, u(row, feature) * v(row, feature)) / (sqrt(squared_norm(u)) * sqrt(squared_norm(v)));
  };
  return reduce_elements(clamp_min_zero(cosine_distance(a, p) - cosine_distance(a, n) + margin), reduction);
}

template <TensorSymbol X1, TensorSymbol X2, TensorSymbol Y, Operand M, Operand E, Reduction R>
constexpr auto contrastive_hadsell(X1 const& x1, X2 const& x2, Y const& y, M const& margin, E const& eps, R reduction) {
  return detail::embedding::contrastive<1>(x1, x2, y, margin, eps, reduction);
}
template <TensorSymbol X1, TensorSymbol X2, TensorSymbol Y, Operand M, Reduction R>
constexpr auto contrastive_hadsell(X1 const& x1, X2 const& x2, Y const& y, M const& margin, R reduction) {
  return detail::embedding::contrastive<1>(x1, x2, y, margin, 1e-6, reduction);
}
template <TensorSymbol X1, TensorSymbol X2, TensorSymbol Y, Operand M, Operand E, Reduction R>
constexpr auto contrastive_seed(X1 const& x1, X2 const& x2, Y const& y, M const& margin, E const& eps, R reduction) {
  return detail::embedding::contrastive<0>(x1, x2, y, margin, eps, reduction);
}
template <TensorSymbol X1, TensorSymbol X2, TensorSymbol Y, Operand M, Reduction R>
constexpr auto contrastive_seed(X1 const& x1, X2 const& x2, Y const& y, M const& margin, R reduction) {
  return detail::embedding::contrastive<0>(x1, x2, y, margin, 1e-6, reduction);
}

template <TensorSymbol X1, TensorSymbol X2, TensorSymbol Y, Operand M, Reduction R>
constexpr auto cosine_embedding_loss(X1 const& x1, X2 const& x2, Y const& y, M const& margin, R reduction) {
  static_assert(Y::rank == 1, "lossforge: cosine_embedding_loss takes one target per pair, a rank-1 tensor [N]");
  using namespace detail::embedding;
  static_assert(embeddings<X1, X2>,
                "lossforge: cosine_embedding_loss takes embeddings declared as rank-2 tensors [N, D]");
  // PyTorch's 1e-12 under each squared norm keeps a zero embedding's cosine 0 rather than 0 / 0. It is a float
  // constant in PyTorch's kernel, so a zero embedding's gradient (of order 1e6) shows its rounding: kept here.
  auto const padded_norm = [](auto const& u) { return squared_norm(u) + double(1e-12f); };
  auto const cosine =
      lossforge::sum(feature, x1(row, feature) * x2(row, feature)) / sqrt(padded_norm(x1) * padded_norm(x2));
  auto const target = y(row);
  return reduce_elements(
      where(target == c<1>, c<1> - cosine, c<0>) + where(target == c<-1>, clamp_min_zero(cosine - margin), c<0>),
      reduction);
}
template <TensorSymbol X1, TensorSymbol X2, TensorSymbol Y, Reduction R>
constexpr auto cosine_embedding_loss(X1 const& x1, X2 const& x2, Y const& y, R reduction) {
  return cosine_embedding_loss(x1, x2, y, c<0>, reduction);
}

template <Operand X1, Operand X2, Operand Y, Operand M, Reduction R>
constexpr auto margin_ranking_loss(X1 const& x1, X2 const& x2, Y const& y, M const& margin, R reduction) {
  return reduce_elements(detail::embedding::clamp_min_zero(-y * (x1 - x2) + margin), reduction);
}
template <Operand X1, Operand X2, Operand Y, Reduction R>
constexpr auto margin_ranking_loss(X1 const& x1, X2 const& x2, Y const& y, R reduction) {
  return margin_ranking_loss(x1, x2, y, c<0>, reduction);
}

template <Operand X, Operand Y, Operand M, Reduction R>
constexpr auto hinge_embedding_loss(X const& x, Y const& y, M const& margin, R reduction) {
  return reduce_elements(
      where(y != c<1>, detail::embedding::clamp_min_zero(margin - x), c<0>) + where(y != c<-1>, x, c<0>), reduction);
}
template <Operand X, Operand Y, Reduction R>
constexpr auto hinge_embedding_loss(X const& x, Y const& y, R reduction) {
  return hinge_embedding_loss(x, y, c<1>, reduction);
}

}  // namespace lossforge::losses
