#pragma once
// Bounding-box regression losses, as torchvision.ops computes them: boxes are the rows of [N, 4] tensors holding
// (x1, y1, x2, y2); the loss is per box, reduced over the boxes. With b the predicted box and g the target,
//
//   inter = (min(x2, x2g) - max(x1, x1g)) (min(y2, y2g) - max(y1, y1g)) where both factors are > 0, else 0
//   union = area(b) + area(g) - inter,      iou = inter / (union + eps)
//   C = the smallest box enclosing b and g, w_C and h_C its sides
//   box_iou_loss(b, g, eps, R)   l = 1 - iou                                  (torchvision's _loss_inter_union)
//   giou_loss(b, g, eps, R)      l = 1 - iou + (w_C h_C - union) / (w_C h_C + eps)   (generalized_box_iou_loss)
//   diou_loss(b, g, eps, R)      l = 1 - iou + d^2 / (w_C^2 + h_C^2 + eps),  d the distance of the box centres
//                                                                             (distance_box_iou_loss)
//   ciou_loss(b, g, eps, R)      l = diou + alpha v,  v = 4/pi^2 (atan(w_g / h_g) - atan(w_b / h_b))^2,
//                                alpha = v / (1 - iou + v + eps) held constant  (complete_box_iou_loss)
// eps defaults to torchvision's 1e-7 (it keeps two empty boxes finite). Gradients are PyTorch's autograd of the same
// formulas (see losses/box_overlap.hpp): a pair that does not overlap has no gradient through the intersection, and a
// coordinate equal to the target's splits the gradient of a min or max one half each. Boxes are not validated: as in
// torchvision, x2 < x1 gives the formula's value.
#include <lossforge/dsl/parameter_range.hpp>
#include <lossforge/dsl/symbols.hpp>
#include <lossforge/losses/box_overlap.hpp>
#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

using box_eps = parameter_range<"box losses", "eps", range::non_negative>;

namespace detail {
inline constexpr index<"i"> box;

// The per-box loss of Kind: the op applied to the four columns of row i of each tensor, and eps.
template <ops::box_kind Kind, class B, class G, class E>
constexpr auto box_loss(E const& eps) {
  static_assert(B::rank == 2 && G::rank == 2,
                "lossforge: box losses take boxes as rank-2 tensors [N, 4] of (x1, y1, x2, y2)");
  constexpr B b{};
  constexpr G g{};
  return lossforge::detail::make_node<ops::box_overlap<Kind>>(b(box, c<0>), b(box, c<1>), b(box, c<2>), b(box, c<3>),
                                                              g(box, c<0>), g(box, c<1>), g(box, c<2>), g(box, c<3>),
                                                              in_range<box_eps>(eps));
}
}  // namespace detail

inline constexpr double torchvision_box_eps = 1e-7;

#define LOSSFORGE_BOX_LOSS(name, kind)                                                   \
  template <TensorSymbol B, TensorSymbol G, Operand E, Reduction R>                      \
  constexpr auto name(B const&, G const&, E const& eps, R reduction) {                   \
    return reduce_elements(detail::box_loss<ops::box_kind::kind, B, G>(eps), reduction); \
  }                                                                                      \
  template <TensorSymbol B, TensorSymbol G, Reduction R>                                 \
  constexpr auto name(B const& b, G const& g, R reduction) {                             \
    return name(b, g, torchvision_box_eps, reduction);                                   \
  }
LOSSFORGE_BOX_LOSS(box_iou_loss, iou)
LOSSFORGE_BOX_LOSS(giou_loss, giou)
LOSSFORGE_BOX_LOSS(diou_loss, diou)
LOSSFORGE_BOX_LOSS(ciou_loss, ciou)
#undef LOSSFORGE_BOX_LOSS

}  // namespace lossforge::losses
