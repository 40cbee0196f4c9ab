// Box losses: closed forms for nested, disjoint and concentric boxes, gradients against central finite differences
// (CIoU's against the derivative of its aspect term with alpha held constant), one pass for value and gradient,
// and boxes that are not [N, 4]. Expected values are computed here from the definitions.
#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <numbers>
#include <stdexcept>
#include <tests/support/gradient_check.hpp>
#include <tests/support/kokkos_events.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

namespace {
constexpr lf::tensor<"b", 2> b;
constexpr lf::tensor<"g", 2> g;
using boxes_view = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;
using vector = Kokkos::View<double*, Kokkos::HostSpace>;
constexpr double eps = 1e-7;

boxes_view make_boxes(std::initializer_list<std::array<double, 4>> rows) {
  boxes_view v("boxes", rows.size(), 4);
  int i = 0;
  for (auto const& r : rows) {
    for (int k = 0; k < 4; ++k) v(i, k) = r[std::size_t(k)];
    ++i;
  }
  return v;
}

// Boxes in general position (no ties of min or max, every pair overlapping or apart by a clear margin).
std::vector<double> const general_boxes{0.1, 0.2, 1.5, 1.3, 0.0, 0.05, 1.0, 1.1, 2.0, 2.1, 3.0, 4.5};
std::vector<double> const general_targets{0.3, -0.1, 1.2, 1.9, 0.5, 0.45, 2.0, 2.2, 0.0, 0.3, 1.0, 1.2};
}  // namespace

TEST_CASE("box losses: nested, disjoint and concentric boxes", "[boxes]") {
  static constexpr auto iou = lf::kokkos::compile(L::box_iou_loss(b, g, L::none), lf::wrt(b));
  static constexpr auto giou = lf::kokkos::compile(L::giou_loss(b, g, L::none), lf::wrt(b));
  static constexpr auto diou = lf::kokkos::compile(L::diou_loss(b, g, L::none), lf::wrt(b));
  // Row 0: a 1 x 1 box inside a 4 x 4 one. Row 1: two unit boxes apart, enclosed by a 3 x 3 box. Row 2: a 2 x 2 and
  // a 4 x 2 box with the same centre.
  auto const pred = make_boxes({{1, 1, 2, 2}, {0, 0, 1, 1}, {1, 0, 3, 2}});
  auto const target = make_boxes({{0, 0, 4, 4}, {2, 2, 3, 3}, {0, 0, 4, 2}});
  vector loss("loss", 3);
  boxes_view grad("grad", 3, 4);
  auto const bound = lf::bind(b = pred, g = target);

  iou(bound, loss, grad);
  CHECK(std::abs(loss(0) - (1 - 1 / (16 + eps))) < 1e-15);
  CHECK(loss(1) == 1);  // no overlap: loss 1, and no gradient through the intersection
  for (int k = 0; k < 4; ++k) CHECK(grad(1, k) == 0);
  CHECK(std::abs(loss(2) - (1 - 4 / (8 + eps))) < 1e-15);

  giou(bound, loss, grad);
  CHECK(std::abs(loss(1) - (1 + (9 - 2) / (9 + eps))) < 1e-15);  // iou 0, enclosing 9, union 2
  CHECK(std::abs(loss(0) - (1 - 1 / (16 + eps))) < 1e-15);       // the target encloses: no penalty

  diou(bound, loss, grad);
  // Same centres: the distance term is 0 and DIoU is the IoU loss.
  CHECK(std::abs(loss(2) - (1 - 4 / (8 + eps))) < 1e-15);
  // Row 1: centres (0.5, 0.5) and (2.5, 2.5), enclosing diagonal^2 18.
  CHECK(std::abs(loss(1) - (1 + 8 / (18 + eps))) < 1e-15);
}

TEST_CASE("box losses: gradients against central finite differences", "[boxes]") {
  auto const bind_with = [](auto const& boxes) {
    return lf::bind(b = boxes, g = lf::host_view(general_targets, {3, 4}));
  };
  lf::test::check_tensor_gradient<double>(L::box_iou_loss(b, g, L::mean), b, general_boxes, {3, 4}, bind_with);
  lf::test::check_tensor_gradient<double>(L::giou_loss(b, g, L::sum), b, general_boxes, {3, 4}, bind_with);
  lf::test::check_tensor_gradient<double>(L::diou_loss(b, g, 0.01, L::mean), b, general_boxes, {3, 4}, bind_with);
}

TEST_CASE("CIoU: DIoU plus alpha v, alpha held constant in the gradient as torchvision does", "[boxes]") {
  static constexpr auto ciou = lf::kokkos::compile(L::ciou_loss(b, g, L::none), lf::wrt(b));
  static constexpr auto diou = lf::kokkos::compile(L::diou_loss(b, g, L::none), lf::wrt(b));
  auto const pred = make_boxes({{0.1, 0.2, 1.5, 1.3}, {0.0, 0.05, 1.0, 1.1}});
  auto const target = make_boxes({{0.3, -0.1, 1.2, 1.9}, {0.5, 0.45, 2.0, 2.2}});
  vector c_loss("c", 2), d_loss("d", 2);
  boxes_view c_grad("dc", 2, 4), d_grad("dd", 2, 4);
  // Value and gradient in one pass.
  CHECK(lf::test::kernels_launched([&] { ciou(lf::bind(b = pred, g = target), c_loss, c_grad); }) == 1);
  diou(lf::bind(b = pred, g = target), d_loss, d_grad);
  for (int i = 0; i < 2; ++i) {
    double const w = pred(i, 2) - pred(i, 0), h = pred(i, 3) - pred(i, 1);
    double const wg = target(i, 2) - target(i, 0), hg = target(i, 3) - target(i, 1);
    double const angle = std::atan(wg / hg) - std::atan(w / h);
    double const scale = 4 / (std::numbers::pi * std::numbers::pi), v = scale * angle * angle;
    // The boxes overlap: alpha from the IoU of the definition.
    double const left = std::max(pred(i, 0), target(i, 0)), right = std::min(pred(i, 2), target(i, 2));
    double const top = std::max(pred(i, 1), target(i, 1)), bottom = std::min(pred(i, 3), target(i, 3));
    double const inter = (right - left) * (bottom - top);
    double const iou_value = inter / (w * h + wg * hg - inter + eps);
    double const alpha = v / (1 - iou_value + v + eps);
    CHECK(std::abs(c_loss(i) - (d_loss(i) + alpha * v)) < 1e-14);
    // dv/dw = -2 scale angle h / (w^2 + h^2), dv/dh = 2 scale angle w / (w^2 + h^2); w = x2 - x1, h = y2 - y1.
    double const dv_dw = -2 * scale * angle * h / (w * w + h * h), dv_dh = 2 * scale * angle * w / (w * w + h * h);
    double const expected[4] = {-dv_dw, -dv_dh, dv_dw, dv_dh};
    for (int k = 0; k < 4; ++k) CHECK(std::abs(c_grad(i, k) - (d_grad(i, k) + alpha * expected[k])) < 1e-13);
  }
}

TEST_CASE("box losses: boxes of fewer than 4 columns, or of a different count, are rejected", "[boxes]") {
  static constexpr auto giou = lf::kokkos::compile(L::giou_loss(b, g, L::mean), lf::wrt(b));
  boxes_view three("b", 2, 3), four("g", 2, 4), other_n("g", 3, 4), grad3("d", 2, 3), grad4("d", 2, 4);
  // Column 3 (y2) does not exist: the message names the index and the shape, and nothing is read.
  CHECK_THROWS_AS(giou(lf::bind(b = three, g = four), grad3), std::out_of_range);
  CHECK_THROWS_AS(giou(lf::bind(b = four, g = other_n), grad4), std::invalid_argument);
}

TEST_CASE("box losses: a fifth column (a score, a class) is not read and gets a zero gradient", "[boxes]") {
  static constexpr auto giou = lf::kokkos::compile(L::giou_loss(b, g, L::sum), lf::wrt(b));
  auto const four = make_boxes({{0.1, 0.2, 1.5, 1.3}, {0.0, 0.05, 1.0, 1.1}});
  auto const target = make_boxes({{0.3, -0.1, 1.2, 1.9}, {0.5, 0.45, 2.0, 2.2}});
  boxes_view five("b", 2, 5), d4("d", 2, 4), d5("d", 2, 5);
  for (int i = 0; i < 2; ++i) {
    for (int k = 0; k < 4; ++k) five(i, k) = four(i, k);
    five(i, 4) = std::nan("");
  }
  double const with_four = giou(lf::bind(b = four, g = target), d4);
  CHECK(giou(lf::bind(b = five, g = target), d5) == with_four);
  for (int i = 0; i < 2; ++i) {
    for (int k = 0; k < 4; ++k) CHECK(d5(i, k) == d4(i, k));
    CHECK(d5(i, 4) == 0);
  }
}

TEST_CASE("box losses print as one op, their gradients as its partial derivatives", "[boxes]") {
  constexpr auto loss = L::giou_loss(b, g, L::mean);
  CHECK(lf::to_text(loss) ==
        "mean_i(giou_loss(b[i,0], b[i,1], b[i,2], b[i,3], g[i,0], g[i,1], g[i,2], g[i,3], 1e-07))");
  std::string const gradient = lf::to_text(lf::grad(loss, b));
  for (char const* partial : {"d0 giou_loss(", "d1 giou_loss(", "d2 giou_loss(", "d3 giou_loss("})
    CHECK(gradient.find(partial) != std::string::npos);
}
