// The catalogue on the device (catalogue_device.hpp): the per-class losses of softmax probabilities and class indices
// over [N, C, H, W] that the other families leave out, generalized Dice and per-class Tversky (each of their
// instantiations compiles for over a minute, so they have a file of their own that builds beside the others).
#include <tests/device/catalogue_device.hpp>

namespace lossforge::catalogue_device {
namespace {
constexpr tensor<"x", 4> images;
constexpr int_tensor<"t", 3> pixel_classes;
constexpr scalar<"smooth"> smooth;
constexpr scalar<"smooth_den"> smooth_den;
constexpr scalar<"alpha"> alpha;
constexpr scalar<"beta"> beta;

constexpr auto generalized_dice = L::generalized_dice(images, pixel_classes, smooth, smooth_den);
constexpr auto tversky_of_classes = L::tversky_per_class(images, pixel_classes, alpha, beta, smooth);

template <class T, class Visit>
void cases(Visit const& visit) {
  auto const image_logits = uniform<T>("x", -3.0, 3.0, 61, 2, classes, 4, 3);
  auto const image_classes = labels("t", 62, false, 2, 4, 3);
  run<generalized_dice>(
      visit, "generalized_dice [N, C, H, W]", wrt(images),
      [&](auto on) {
        return bind(images = on(image_logits), pixel_classes = on(image_classes), smooth = 1e-5, smooth_den = 1e-5);
      },
      image_logits);
  run<tversky_of_classes>(
      visit, "tversky_per_class [N, C, H, W]", wrt(images),
      [&](auto on) {
        return bind(images = on(image_logits), pixel_classes = on(image_classes), alpha = 0.3, beta = 0.7,
                    smooth = 1.0);
      },
      image_logits);
}

family const registered(this_role,
                        [] { in_each_precision([]<class T>(std::type_identity<T>) { cases<T>(visit<T>{}); }); });

}  // namespace

}  // namespace lossforge::catalogue_device
