// Conformance handlers: box_iou_loss, giou_loss, diou_loss, ciou_loss over boxes [N, 4] (predicted boxes
// differentiated).
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"pred", 2> pred;
constexpr tensor<"target", 2> boxes;
constexpr scalar<"eps"> eps;

template <ops::box_kind Kind, class R>
constexpr auto box_loss = [] {
  if constexpr (Kind == ops::box_kind::iou)
    return L::box_iou_loss(pred, boxes, eps, R{});
  else if constexpr (Kind == ops::box_kind::giou)
    return L::giou_loss(pred, boxes, eps, R{});
  else if constexpr (Kind == ops::box_kind::diou)
    return L::diou_loss(pred, boxes, eps, R{});
  else
    return L::ciou_loss(pred, boxes, eps, R{});
}();

template <ops::box_kind Kind>
computed box_case(case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      static constexpr auto kernel = under_test::compile(box_loss<Kind, R>, wrt(pred));
      auto const b = make_view<T, 2>(c.inputs.at("pred"), "pred");
      return run(kernel,
                 bind(pred = b, boxes = make_view<T, 2>(c.inputs.at("target"), "target"), eps = number(c, "eps")),
                 view_t<T, 1>("loss", b.extent(0)), gradient_for<T, 2>(c, "pred"));
    });
  });
}
registration const iou_case("box_iou_loss", box_case<ops::box_kind::iou>);
registration const giou_case("giou_loss", box_case<ops::box_kind::giou>);
registration const diou_case("diou_loss", box_case<ops::box_kind::diou>);
registration const ciou_case("ciou_loss", box_case<ops::box_kind::ciou>);
}  // namespace
}  // namespace lossforge::conformance
