// The catalogue on the device (catalogue_device.hpp): losses of global sums (Dice, Combo, Tversky, soft IoU),
// per-class sums as intermediates (per-class Dice of masks; per-class Dice and focal Tversky of softmax probabilities
// and class indices over [N, C, H, W]; generalized Dice and per-class Tversky, built from the same per-class sums,
// have a file of their own for their compile time), and the examples' losses as examples/ spell them: Dice plus a
// weighted BCE written by hand, an elastic net penalty with literal coefficients, the Charbonnier loss differentiated
// by its scalar, a label-smoothed cross entropy, cross entropy plus a penalty on other weights, and the DSL halves of
// SSIM + L1 and CTC + a penalty (the kernels' values bound to scalars, differentiated by them).
#include <tests/device/catalogue_device.hpp>

namespace lossforge::catalogue_device {
namespace {
using namespace literals;
constexpr tensor<"p"> p;
constexpr tensor<"g"> g;
constexpr tensor<"p", 2> p2;
constexpr tensor<"g", 2> g2;
constexpr tensor<"wts"> wts;
constexpr tensor<"x", 2> x;
constexpr int_tensor<"t", 1> t;
constexpr tensor<"W", 2> weights;
constexpr tensor<"x", 4> images;
constexpr int_tensor<"t", 3> pixel_classes;
constexpr scalar<"smooth"> smooth;
constexpr scalar<"bce_weight"> bce_weight;
constexpr scalar<"alpha"> alpha;
constexpr scalar<"beta"> beta;
constexpr scalar<"gamma"> gamma;
constexpr scalar<"w"> w;
constexpr scalar<"eps"> eps;
constexpr scalar<"l1"> l1;
constexpr scalar<"l2"> l2;
constexpr scalar<"ssim"> ssim_value;
constexpr scalar<"ctc"> ctc_value;
constexpr index<"i"> i;
constexpr index<"c"> c;

constexpr auto dice = L::dice(p, g, smooth);
constexpr auto combo = L::combo(p, g, smooth, bce_weight);
constexpr auto tversky = L::tversky(p, g, alpha, beta, smooth);
constexpr auto soft_iou = L::soft_iou(p, g, smooth);
constexpr auto per_class_dice =
    mean(c, 1_c - 2_c * sum(i, p2(i, c) * g2(i, c)) / (sum(i, p2(i, c)) + sum(i, g2(i, c))));
constexpr auto dice_of_classes = L::dice_per_class(images, pixel_classes, smooth);
constexpr auto focal_tversky = L::focal_tversky(images, pixel_classes, alpha, beta, gamma, smooth);
constexpr auto hand_dice = 1_c - 2_c * sum(p * g) / (sum(p * p) + sum(g * g));
constexpr auto hand_bce = -mean(g * log(p) + (1_c - g) * log(1_c - p));
constexpr auto hand_combo = hand_dice + w * hand_bce;
constexpr auto elastic = 0.01 * sum(abs(wts)) + 0.001 * sum(square(wts));
constexpr auto restoration = 0.84 * ssim_value + 0.16 * L::l1(p, g, L::mean);
constexpr auto speech = ctc_value + L::l2_reg(wts, 0.1);
constexpr auto charbonnier = mean(sqrt(square(p - g) + square(eps)));
constexpr auto smoothed_ce = L::cross_entropy(x, t, L::cross_entropy_options<>{}.label_smoothing(eps), L::mean);
constexpr auto ce_and_penalty = L::cross_entropy(x, t, L::mean) + L::elastic_net_reg(weights, l1, l2);

template <class T, class Visit>
void cases(Visit const& visit) {
  auto const prediction = uniform<T>("p", 0.05, 0.95, 51, rows, classes);
  auto const truth = mask<T>("g", 52, rows, classes);
  auto const model_weights = uniform<T>("wts", -1.0, 1.0, 53, 97);
  auto const logits = uniform<T>("x", -3.0, 3.0, 54, rows, classes);
  auto const targets = labels("t", 55, false, rows);
  auto const layer = uniform<T>("W", -1.0, 1.0, 56, 7, 3);
  auto const image_logits = uniform<T>("x", -3.0, 3.0, 57, 2, classes, 4, 3);
  auto const image_classes = labels("t", 58, false, 2, 4, 3);
  auto const a_scalar = tabulated<T>("scalar", [](long) { return 0.0; });  // shapes a scalar's gradient

  auto const masks = [&](auto on, auto const&... more) { return bind(p = on(prediction), g = on(truth), more...); };
  run<dice>(
      visit, "dice, smooth", wrt(p), [&](auto on) { return masks(on, smooth = 1.0); }, prediction);
  run<combo>(
      visit, "combo", wrt(p), [&](auto on) { return masks(on, smooth = 1.0, bce_weight = 0.5); }, prediction);
  run<tversky>(
      visit, "tversky", wrt(p), [&](auto on) { return masks(on, alpha = 0.3, beta = 0.7, smooth = 1.0); }, prediction);
  run<soft_iou>(
      visit, "soft_iou", wrt(p), [&](auto on) { return masks(on, smooth = 0.5); }, prediction);
  run<per_class_dice>(
      visit, "per-class Dice", wrt(p2), [&](auto on) { return bind(p2 = on(prediction), g2 = on(truth)); }, prediction);
  run<dice_of_classes>(
      visit, "dice_per_class [N, C, H, W]", wrt(images),
      [&](auto on) { return bind(images = on(image_logits), pixel_classes = on(image_classes), smooth = 1.0); },
      image_logits);
  run<focal_tversky>(
      visit, "focal_tversky [N, C, H, W]", wrt(images),
      [&](auto on) {
        return bind(images = on(image_logits), pixel_classes = on(image_classes), alpha = 0.3, beta = 0.7, gamma = 0.75,
                    smooth = 1.0);
      },
      image_logits);

  run<hand_combo>(
      visit, "example: Dice + w BCE", wrt(p, w), [&](auto on) { return masks(on, w = 0.5); }, prediction, a_scalar);
  run<elastic>(
      visit, "example: elastic net", wrt(wts), [&](auto on) { return bind(wts = on(model_weights)); }, model_weights);
  run<charbonnier>(
      visit, "example: Charbonnier", wrt(p, eps), [&](auto on) { return masks(on, eps = 1e-3); }, prediction, a_scalar);
  run<smoothed_ce>(
      visit, "example: cross entropy, label smoothing", wrt(x),
      [&](auto on) { return bind(x = on(logits), t = on(targets), eps = 0.1); }, logits);
  run<ce_and_penalty>(
      visit, "example: cross entropy + elastic net", wrt(x, weights),
      [&](auto on) { return bind(x = on(logits), t = on(targets), weights = on(layer), l1 = 1e-3, l2 = 1e-4); }, logits,
      layer);
  run<restoration>(
      visit, "example: 0.84 SSIM loss + 0.16 L1", wrt(p, ssim_value),
      [&](auto on) { return masks(on, ssim_value = 0.05); }, prediction, a_scalar);
  run<speech>(
      visit, "example: CTC + 0.1 |w|^2", wrt(wts, ctc_value),
      [&](auto on) { return bind(wts = on(model_weights), ctc_value = 2.0); }, model_weights, a_scalar);
}

family const registered(this_role,
                        [] { in_each_precision([]<class T>(std::type_identity<T>) { cases<T>(visit<T>{}); }); });

}  // namespace

}  // namespace lossforge::catalogue_device
