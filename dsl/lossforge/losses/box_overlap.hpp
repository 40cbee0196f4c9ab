#pragma once
// box_overlap<Kind>(x1, y1, x2, y2, x1g, y1g, x2g, y2g, eps): the loss of one predicted box against one target box,
// both axis-aligned as (x1, y1, x2, y2), with torchvision.ops' formulas (see losses/boxes.hpp), as one elementwise
// op of nine arguments. Its partial derivative with respect to argument K is the op box_overlap_partial<Kind, K>.
//
// An op of its own, not an expression of min, max and where, because the symbolic gradient of that expression (eight
// min/max, a mask, a quotient, each box coordinate read up to six times) took over a minute and gigabytes to compile
// per reduction and precision. The op's formula is written once, over a number type: plain
// values give the loss, values carrying a slope (forward-mode differentiation along argument K) give partial K.
// The slopes follow PyTorch's autograd of the same formulas: a tie of torch.min/max splits the gradient one half
// each, the intersection is zero (and passes no gradient) unless both of its sides are strictly positive, and CIoU's
// trade-off alpha is a constant (torchvision computes it under torch.no_grad). Derivatives of the partials (second
// derivatives) are not defined: differentiating one is a compile error naming the op.
#include <cstddef>

#include <lossforge/config/math.hpp>
#include <lossforge/diff/rules.hpp>
#include <lossforge/dsl/ops.hpp>
#include <lossforge/print/print.hpp>

namespace lossforge {
namespace ops {

enum class box_kind { iou, giou, diou, ciou };

namespace box_detail {
// A value and its derivative along one argument. A term whose slope is exactly 0 is a constant, as autograd treats a
// tensor that does not require grad: it contributes nothing even where its partial is infinite (the aspect ratio
// w / 0 of a flat target box), instead of 0 * inf.
template <class T>
struct slope {
  T value, d;
  LOSSFORGE_FUNCTION constexpr explicit slope(T v, T dv = T(0)) : value(v), d(dv) {}
  LOSSFORGE_FUNCTION friend constexpr slope operator+(slope a, slope b) { return slope(a.value + b.value, a.d + b.d); }
  LOSSFORGE_FUNCTION friend constexpr slope operator-(slope a, slope b) { return slope(a.value - b.value, a.d - b.d); }
  LOSSFORGE_FUNCTION friend constexpr slope operator*(slope a, slope b) {
    return slope(a.value * b.value, (a.d == T(0) ? T(0) : a.d * b.value) + (b.d == T(0) ? T(0) : a.value * b.d));
  }
  LOSSFORGE_FUNCTION friend constexpr slope operator/(slope a, slope b) {
    T const q = a.value / b.value;
    if (a.d == T(0) && b.d == T(0)) return slope(q);
    return slope(q, (a.d - (b.d == T(0) ? T(0) : q * b.d)) / b.value);
  }
};

template <class T>
LOSSFORGE_FUNCTION constexpr T value_of(T v) {
  return v;
}
template <class T>
LOSSFORGE_FUNCTION constexpr T value_of(slope<T> v) {
  return v.value;
}

// torch.maximum / torch.minimum: NaN-propagating, a tie splits the slope one half each.
template <class T>
LOSSFORGE_FUNCTION constexpr T maximum(T a, T b) {
  return max::apply(a, b);
}
template <class T>
LOSSFORGE_FUNCTION constexpr slope<T> maximum(slope<T> a, slope<T> b) {
  T const d = a.value > b.value ? a.d : b.value > a.value ? b.d : (a.d + b.d) / T(2);
  return slope<T>(max::apply(a.value, b.value), d);
}
template <class T>
LOSSFORGE_FUNCTION constexpr T minimum(T a, T b) {
  return min::apply(a, b);
}
template <class T>
LOSSFORGE_FUNCTION constexpr slope<T> minimum(slope<T> a, slope<T> b) {
  T const d = a.value < b.value ? a.d : b.value < a.value ? b.d : (a.d + b.d) / T(2);
  return slope<T>(min::apply(a.value, b.value), d);
}
template <class T>
LOSSFORGE_FUNCTION T arctangent(T a) {
  return math::atan(a);
}
template <class T>
LOSSFORGE_FUNCTION slope<T> arctangent(slope<T> a) {
  return slope<T>(math::atan(a.value), a.d == T(0) ? T(0) : a.d / (T(1) + a.value * a.value));
}

// The loss of box (x1, y1, x2, y2) against (x1g, y1g, x2g, y2g), in number type N (T or slope<T>).
template <box_kind Kind, class N>
LOSSFORGE_FUNCTION N box_loss(N x1, N y1, N x2, N y2, N x1g, N y1g, N x2g, N y2g, N eps) {
  using T = decltype(value_of(x1));
  N const zero(T(0)), one(T(1)), half(T(0.5));
  N const left = maximum(x1, x1g), top = maximum(y1, y1g), right = minimum(x2, x2g), bottom = minimum(y2, y2g);
  bool const overlap = value_of(bottom) > value_of(top) && value_of(right) > value_of(left);
  N const inter = overlap ? (right - left) * (bottom - top) : zero;
  N const union_area = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter;
  N const iou = inter / (union_area + eps);
  if constexpr (Kind == box_kind::iou) {
    return one - iou;
  } else {
    // The smallest box enclosing both.
    N const width = maximum(x2, x2g) - minimum(x1, x1g), height = maximum(y2, y2g) - minimum(y1, y1g);
    if constexpr (Kind == box_kind::giou) {
      N const area = width * height;
      return one - (iou - (area - union_area) / (area + eps));
    } else {
      N const diagonal = width * width + height * height + eps;
      N const dx = (x2 + x1) * half - (x1g + x2g) * half, dy = (y2 + y1) * half - (y1g + y2g) * half;
      N const diou = one - iou + (dx * dx + dy * dy) / diagonal;
      if constexpr (Kind == box_kind::diou) {
        return diou;
      } else {
        N const angle = arctangent((x2g - x1g) / (y2g - y1g)) - arctangent((x2 - x1) / (y2 - y1));
        N const v = N(T(4 / (3.14159265358979323846 * 3.14159265358979323846))) * (angle * angle);
        T const alpha = value_of(v) / (T(1) - value_of(iou) + value_of(v) + value_of(eps));
        return diou + N(alpha) * v;
      }
    }
  }
}

inline constexpr int box_loss_cost = 60;
}  // namespace box_detail

template <box_kind Kind>
struct box_overlap : op_traits<9, box_detail::box_loss_cost> {
  static constexpr box_kind kind = Kind;
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T x1, T y1, T x2, T y2, T x1g, T y1g, T x2g, T y2g, T eps) {
    return box_detail::box_loss<Kind>(x1, y1, x2, y2, x1g, y1g, x2g, y2g, eps);
  }
};

// d box_overlap<Kind> / d argument K: the formula along a slope of 1 on argument K.
template <box_kind Kind, int K>
struct box_overlap_partial : op_traits<9, 2 * box_detail::box_loss_cost> {
  static constexpr box_kind kind = Kind;
  template <class T>
  LOSSFORGE_FUNCTION static T apply(T x1, T y1, T x2, T y2, T x1g, T y1g, T x2g, T y2g, T eps) {
    using S = box_detail::slope<T>;
    auto const seeded = [](T v, int k) { return S(v, k == K ? T(1) : T(0)); };
    return box_detail::box_loss<Kind>(seeded(x1, 0), seeded(y1, 1), seeded(x2, 2), seeded(y2, 3), seeded(x1g, 4),
                                      seeded(y1g, 5), seeded(x2g, 6), seeded(y2g, 7), seeded(eps, 8))
        .d;
  }
};

}  // namespace ops

namespace diff {
template <ops::box_kind Kind>
struct derivative_rule<ops::box_overlap<Kind>> {
  template <std::size_t K, class... A>
  static constexpr auto partial(A const&... a) {
    return node<ops::box_overlap_partial<Kind, int(K)>, A...>{lossforge::detail::make_tuple(a...)};
  }
};
}  // namespace diff

namespace print {
namespace box_detail {
// The op's names, "giou_loss" and "\\mathcal{L}_{\\text{GIoU}}"; a partial prefixes "d3 " (text) or "\\partial_{3}"
// (LaTeX).
struct spelling_text {
  char s[48]{};
};
constexpr spelling_text spell(char const* prefix, int k, char const* suffix, char const* name) {
  spelling_text out;
  std::size_t n = 0;
  auto const append = [&](char const* part) {
    while (*part != 0) out.s[n++] = *part++;
  };
  if (k >= 0) {
    append(prefix);
    out.s[n++] = char('0' + k);
    append(suffix);
  }
  append(name);
  return out;
}
constexpr char const* text_name(ops::box_kind kind) {
  return kind == ops::box_kind::iou    ? "box_iou_loss"
         : kind == ops::box_kind::giou ? "giou_loss"
         : kind == ops::box_kind::diou ? "diou_loss"
                                       : "ciou_loss";
}
constexpr char const* latex_name(ops::box_kind kind) {
  return kind == ops::box_kind::iou    ? "\\mathcal{L}_{\\text{IoU}}"
         : kind == ops::box_kind::giou ? "\\mathcal{L}_{\\text{GIoU}}"
         : kind == ops::box_kind::diou ? "\\mathcal{L}_{\\text{DIoU}}"
                                       : "\\mathcal{L}_{\\text{CIoU}}";
}
template <ops::box_kind Kind, int K>
struct spelled {
  static constexpr spelling_text text = spell("d", K, " ", text_name(Kind));
  static constexpr spelling_text latex = spell("\\partial_{", K, "}", latex_name(Kind));
};
}  // namespace box_detail

template <ops::box_kind Kind>
struct op_spelling<ops::box_overlap<Kind>> {
  static constexpr char const* text = box_detail::spelled<Kind, -1>::text.s;
  static constexpr char const* latex = box_detail::spelled<Kind, -1>::latex.s;
};
template <ops::box_kind Kind, int K>
struct op_spelling<ops::box_overlap_partial<Kind, K>> {
  static constexpr char const* text = box_detail::spelled<Kind, K>::text.s;
  static constexpr char const* latex = box_detail::spelled<Kind, K>::latex.s;
};
}  // namespace print

}  // namespace lossforge
