// The catalogue on the device (catalogue_device.hpp): losses over rows of classes (classification, divergences,
// margins over classes), with the options that change their plans (class weights, ignored targets and label
// smoothing together: the prelude of a weighted mean).
#include <tests/device/catalogue_device.hpp>

namespace lossforge::catalogue_device {
namespace {
constexpr tensor<"x", 2> x2;
constexpr tensor<"x", 3> x3;
constexpr int_tensor<"t", 1> t1;
constexpr int_tensor<"t", 2> t2;
constexpr tensor<"y", 2> y2;
constexpr tensor<"w", 1> w;
constexpr scalar<"ignore_index"> ignore;
constexpr scalar<"label_smoothing"> smoothing;

constexpr auto all_options = L::cross_entropy_options<>{}.weight(w).ignore_index(ignore).label_smoothing(smoothing);

constexpr auto ce = L::cross_entropy(x2, t1, all_options, L::mean);
constexpr auto ce_spatial = L::cross_entropy(x3, t2, all_options, L::sum);
constexpr auto ce_probabilities =
    L::cross_entropy_probabilities(x2, y2, L::cross_entropy_options<>{}.weight(w).label_smoothing(smoothing), L::mean);
constexpr auto nll = L::nll_loss(x2, t1, L::cross_entropy_options<>{}.weight(w).ignore_index(ignore), L::mean);
constexpr auto perplexity = L::perplexity(x2, t1);
constexpr auto softmax_focal = L::softmax_focal_loss(x2, t1, L::softmax_focal_options<>{}.alpha(w).gamma<2>(), L::mean);
constexpr auto kl_div = L::kl_div(x2, y2, L::batchmean);
constexpr auto reverse_kl = L::reverse_kl(x2, y2, L::batchmean);
constexpr auto js = L::js_divergence(x2, y2, L::batchmean);
constexpr auto multilabel =
    L::multilabel_soft_margin_loss(x2, y2, L::multilabel_soft_margin_options<>{}.weight(w), L::mean);
constexpr auto multi_margin = L::multi_margin_loss(x2, t1, L::multi_margin_options<>{}.p<2>().weight(w), L::mean);

template <class T, class Visit>
void cases(Visit const& visit) {
  auto const logits = uniform<T>("x", -3.0, 3.0, 11, rows, classes);
  auto const spatial = uniform<T>("x", -3.0, 3.0, 12, rows, classes, spots);
  auto const targets = labels("t", 13, false, rows);
  auto const ignored = labels("t", 14, true, rows);
  auto const spatial_ignored = labels("t", 15, true, rows, spots);
  auto const class_weights = uniform<T>("w", 0.5, 2.0, 16, classes);
  auto const probabilities = uniform<T>("y", 0.0, 1.0, 17, rows, classes);
  auto const log_probabilities = uniform<T>("x", -4.0, -0.1, 18, rows, classes);
  auto const soft_targets = tabulated<T>(
      "y", [](long k) { return 0.05 + 0.9 * double((k * 7) % classes) / double(classes * (classes - 1) / 2); }, rows,
      classes);
  run<ce>(
      visit, "cross_entropy, weight, ignore_index, label_smoothing", wrt(x2),
      [&](auto on) {
        return bind(x2 = on(logits), t1 = on(ignored), w = on(class_weights), ignore = -100, smoothing = 0.1);
      },
      logits);
  run<ce_spatial>(
      visit, "cross_entropy [N, C, d], weight, ignore_index, label_smoothing", wrt(x3),
      [&](auto on) {
        return bind(x3 = on(spatial), t2 = on(spatial_ignored), w = on(class_weights), ignore = -100, smoothing = 0.2);
      },
      spatial);
  run<ce_probabilities>(
      visit, "cross_entropy_probabilities, weight, label_smoothing", wrt(x2),
      [&](auto on) { return bind(x2 = on(logits), y2 = on(probabilities), w = on(class_weights), smoothing = 0.1); },
      logits);
  run<nll>(
      visit, "nll_loss, weight, ignore_index", wrt(x2),
      [&](auto on) { return bind(x2 = on(log_probabilities), t1 = on(ignored), w = on(class_weights), ignore = -100); },
      log_probabilities);
  run<perplexity>(
      visit, "perplexity", wrt(x2), [&](auto on) { return bind(x2 = on(logits), t1 = on(targets)); }, logits);
  run<softmax_focal>(
      visit, "softmax_focal_loss, alpha per class", wrt(x2),
      [&](auto on) { return bind(x2 = on(logits), t1 = on(targets), w = on(class_weights)); }, logits);
  run<kl_div>(
      visit, "kl_div, batchmean", wrt(x2),
      [&](auto on) { return bind(x2 = on(log_probabilities), y2 = on(soft_targets)); }, log_probabilities);
  run<reverse_kl>(
      visit, "reverse_kl", wrt(x2), [&](auto on) { return bind(x2 = on(logits), y2 = on(soft_targets)); }, logits);
  run<js>(
      visit, "js_divergence", wrt(x2), [&](auto on) { return bind(x2 = on(logits), y2 = on(soft_targets)); }, logits);
  run<multilabel>(
      visit, "multilabel_soft_margin_loss, weight", wrt(x2),
      [&](auto on) { return bind(x2 = on(logits), y2 = on(probabilities), w = on(class_weights)); }, logits);
  run<multi_margin>(
      visit, "multi_margin_loss, p 2, weight", wrt(x2),
      [&](auto on) { return bind(x2 = on(logits), t1 = on(targets), w = on(class_weights)); }, logits);
}

family const registered(this_role,
                        [] { in_each_precision([]<class T>(std::type_identity<T>) { cases<T>(visit<T>{}); }); });

}  // namespace

}  // namespace lossforge::catalogue_device
