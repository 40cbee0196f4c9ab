// The catalogue on the device (catalogue_device.hpp): losses over embeddings [N, D] (triplets, contrastive pairs,
// cosine embedding) and over boxes [N, 4] (IoU, GIoU, DIoU, CIoU).
#include <tests/device/catalogue_device.hpp>

namespace lossforge::catalogue_device {
namespace {
constexpr tensor<"anchor", 2> anchor;
constexpr tensor<"positive", 2> positive;
constexpr tensor<"negative", 2> negative;
constexpr tensor<"x1", 2> x1;
constexpr tensor<"x2", 2> x2;
constexpr int_tensor<"label", 1> label;
constexpr tensor<"target", 1> sign;
constexpr tensor<"pred", 2> pred;
constexpr tensor<"boxes", 2> boxes;
constexpr scalar<"margin"> margin;
constexpr scalar<"eps"> eps;

constexpr auto margin_and_eps = L::triplet_options<>{}.margin(margin).eps(eps);
constexpr auto triplet = L::triplet_margin_loss(anchor, positive, negative, margin_and_eps, L::mean);
constexpr auto triplet_swap = L::triplet_margin_loss(anchor, positive, negative, margin_and_eps.swap(), L::mean);
constexpr auto triplet_l1 = L::triplet_margin_loss(anchor, positive, negative, margin_and_eps.p<1>(), L::mean);
constexpr auto triplet_cosine = L::triplet_cosine(anchor, positive, negative, margin, L::mean);
constexpr auto hadsell = L::contrastive_hadsell(x1, x2, label, margin, eps, L::mean);
constexpr auto seed = L::contrastive_seed(x1, x2, label, margin, eps, L::sum);
constexpr auto cosine = L::cosine_embedding_loss(x1, x2, sign, margin, L::mean);
constexpr auto iou = L::box_iou_loss(pred, boxes, eps, L::mean);
constexpr auto giou = L::giou_loss(pred, boxes, eps, L::mean);
constexpr auto diou = L::diou_loss(pred, boxes, eps, L::sum);
constexpr auto ciou = L::ciou_loss(pred, boxes, eps, L::mean);

// Boxes x1, y1, x2, y2 with positive widths and heights, overlapping their partners in most rows.
template <class T>
auto box_corners(std::string const& label, int seed) {
  return tabulated<T>(
      label,
      [&](long k) {
        long const box = k / 4, corner = k % 4;
        double const start = 2.0 * spread(box * 2 + corner % 2, seed);  // x1 for x1 and x2, y1 for y1 and y2
        return corner < 2 ? start : start + 0.5 + spread(box, seed + 1);
      },
      rows, 4);
}

template <class T, class Visit>
void cases(Visit const& visit) {
  auto const a = uniform<T>("anchor", -1.0, 1.0, 41, rows, dims);
  auto const p = uniform<T>("positive", -1.0, 1.0, 42, rows, dims);
  auto const n = uniform<T>("negative", -1.0, 1.0, 43, rows, dims);
  auto const same = tabulated<int>(
      "label", [](long k) { return int(k % 3 == 0); }, rows);
  auto const signs_of_pairs = signs<T>("target", 44, rows);
  auto const predicted = box_corners<T>("pred", 45);
  auto const truth = box_corners<T>("boxes", 47);

  auto const triplets = [&](auto on) {
    return bind(anchor = on(a), positive = on(p), negative = on(n), margin = 0.5, eps = 1e-6);
  };
  run<triplet>(visit, "triplet_margin_loss", wrt(anchor, positive, negative), triplets, a, p, n);
  run<triplet_swap>(visit, "triplet_margin_loss, swap", wrt(anchor, positive, negative), triplets, a, p, n);
  run<triplet_l1>(visit, "triplet_margin_loss, p 1", wrt(anchor, positive, negative), triplets, a, p, n);
  run<triplet_cosine>(
      visit, "triplet_cosine", wrt(anchor, positive, negative),
      [&](auto on) { return bind(anchor = on(a), positive = on(p), negative = on(n), margin = 0.2); }, a, p, n);
  auto const pairs = [&](auto on) { return bind(x1 = on(a), x2 = on(p), label = on(same), margin = 1.5, eps = 1e-6); };
  run<hadsell>(visit, "contrastive_hadsell", wrt(x1, x2), pairs, a, p);
  run<seed>(visit, "contrastive_seed", wrt(x1, x2), pairs, a, p);
  run<cosine>(
      visit, "cosine_embedding_loss", wrt(x1, x2),
      [&](auto on) { return bind(x1 = on(a), x2 = on(p), sign = on(signs_of_pairs), margin = 0.1); }, a, p);

  auto const box_pairs = [&](auto on) { return bind(pred = on(predicted), boxes = on(truth), eps = 1e-7); };
  run<iou>(visit, "box_iou_loss", wrt(pred), box_pairs, predicted);
  run<giou>(visit, "giou_loss", wrt(pred), box_pairs, predicted);
  run<diou>(visit, "diou_loss", wrt(pred), box_pairs, predicted);
  run<ciou>(visit, "ciou_loss", wrt(pred), box_pairs, predicted);
}

family const registered(this_role,
                        [] { in_each_precision([]<class T>(std::type_identity<T>) { cases<T>(visit<T>{}); }); });

}  // namespace

}  // namespace lossforge::catalogue_device
