// The catalogue on the device (catalogue_device.hpp): losses of one term per element (regression, binary,
// likelihood, margin over bare tensors, adversarial) and the regularizers, with the options that change their plans.
#include <tests/device/catalogue_device.hpp>

namespace lossforge::catalogue_device {
namespace {
constexpr tensor<"input"> input;
constexpr tensor<"target"> target;
constexpr tensor<"weight"> weight;
constexpr tensor<"pos_weight"> pos_weight;
constexpr tensor<"var"> var;
constexpr tensor<"d_real"> d_real;
constexpr tensor<"d_fake"> d_fake;
constexpr tensor<"weights"> weights;
constexpr scalar<"delta"> delta;
constexpr scalar<"alpha"> alpha;
constexpr scalar<"eps"> eps;
constexpr scalar<"a"> fake_label;
constexpr scalar<"b"> real_label;
constexpr scalar<"lambda1"> lambda1;
constexpr scalar<"lambda2"> lambda2;

constexpr auto mse = L::mse(input, target, L::mean);
constexpr auto rmse = L::rmse(input, target);
constexpr auto l1 = L::l1(input, target, L::sum);
constexpr auto huber = L::huber(input, target, delta, L::mean);
constexpr auto smooth_l1 = L::smooth_l1(input, target, delta, L::mean);
constexpr auto bce = L::binary_cross_entropy(input, target, L::bce_options<>{}.weight(weight), L::mean);
constexpr auto bce_logits = L::binary_cross_entropy_with_logits(
    input, target, L::bce_options<>{}.weight(weight).pos_weight(pos_weight), L::mean);
constexpr auto focal = L::sigmoid_focal_loss(input, target, L::focal_options<>{}.alpha(alpha), L::mean);
constexpr auto poisson = L::poisson_nll_loss(input, target, L::poisson_nll_options<>{}.eps(eps).full(), L::mean);
constexpr auto gaussian =
    L::gaussian_nll_loss(input, target, var, L::gaussian_nll_options<>{}.eps(eps).full(), L::mean);
constexpr auto soft_margin = L::soft_margin_loss(input, target, L::mean);
constexpr auto hinge = L::hinge_embedding_loss(input, target, delta, L::mean);
constexpr auto ranking = L::margin_ranking_loss(input, weight, target, delta, L::mean);
constexpr auto gan_d_bce = L::gan_d_bce(d_real, d_fake, L::mean);
constexpr auto wgan_critic = L::wgan_critic(d_real, d_fake, L::mean);
constexpr auto hinge_gan_d = L::hinge_gan_d(d_real, d_fake, L::mean);
constexpr auto lsgan_d = L::lsgan_d(d_real, d_fake, fake_label, real_label, L::mean);
constexpr auto gan_g_nonsaturating = L::gan_g_nonsaturating(d_fake, L::mean);
constexpr auto gan_g_minimax = L::gan_g_minimax(d_fake, L::mean);
constexpr auto wgan_generator = L::wgan_generator(d_fake, L::mean);
constexpr auto hinge_gan_g = L::hinge_gan_g(d_fake, L::mean);
constexpr auto lsgan_g = L::lsgan_g(d_fake, real_label, L::mean);
constexpr auto elastic = L::elastic_net_reg(weights, lambda1, lambda2);
constexpr auto l1_reg = L::l1_reg(weights, lambda1);
constexpr auto l2_reg = L::l2_reg(weights, lambda2);

template <class T, class Visit>
void cases(Visit const& visit) {
  auto const x = uniform<T>("input", -2.0, 2.0, 1, rows, classes);
  auto const y = uniform<T>("target", -2.0, 2.0, 2, rows, classes);
  auto const probability = uniform<T>("input", 0.05, 0.95, 3, rows, classes);
  auto const soft_target = uniform<T>("target", 0.0, 1.0, 4, rows, classes);
  auto const binary = mask<T>("target", 5, rows, classes);
  auto const positive = uniform<T>("w", 0.5, 1.5, 6, rows, classes);
  auto const counts = tabulated<T>(
      "target", [](long k) { return double(k % 7); }, rows, classes);
  auto const sign = signs<T>("target", 7, rows, classes);
  auto const real = uniform<T>("d_real", -3.0, 3.0, 8, rows);
  auto const fake = uniform<T>("d_fake", -3.0, 3.0, 9, 29);  // a batch of its own size
  run<mse>(
      visit, "mse", wrt(input), [&](auto on) { return bind(input = on(x), target = on(y)); }, x);
  run<rmse>(
      visit, "rmse", wrt(input), [&](auto on) { return bind(input = on(x), target = on(y)); }, x);
  run<l1>(
      visit, "l1", wrt(input), [&](auto on) { return bind(input = on(x), target = on(y)); }, x);
  run<huber>(
      visit, "huber", wrt(input), [&](auto on) { return bind(input = on(x), target = on(y), delta = 0.8); }, x);
  run<smooth_l1>(
      visit, "smooth_l1", wrt(input), [&](auto on) { return bind(input = on(x), target = on(y), delta = 0.5); }, x);
  run<bce>(
      visit, "binary_cross_entropy, weight", wrt(input),
      [&](auto on) { return bind(input = on(probability), target = on(soft_target), weight = on(positive)); },
      probability);
  run<bce_logits>(
      visit, "binary_cross_entropy_with_logits, weight, pos_weight", wrt(input),
      [&](auto on) {
        return bind(input = on(x), target = on(soft_target), weight = on(positive), pos_weight = on(positive));
      },
      x);
  run<focal>(
      visit, "sigmoid_focal_loss", wrt(input),
      [&](auto on) { return bind(input = on(x), target = on(binary), alpha = 0.25); }, x);
  run<poisson>(
      visit, "poisson_nll_loss, full", wrt(input),
      [&](auto on) { return bind(input = on(x), target = on(counts), eps = 1e-8); }, x);
  run<gaussian>(
      visit, "gaussian_nll_loss, full", wrt(input, var),
      [&](auto on) { return bind(input = on(x), target = on(y), var = on(positive), eps = 1e-6); }, x, positive);
  run<soft_margin>(
      visit, "soft_margin_loss", wrt(input), [&](auto on) { return bind(input = on(x), target = on(sign)); }, x);
  run<hinge>(
      visit, "hinge_embedding_loss", wrt(input),
      [&](auto on) { return bind(input = on(x), target = on(sign), delta = 1.0); }, x);
  run<ranking>(
      visit, "margin_ranking_loss", wrt(input, weight),
      [&](auto on) { return bind(input = on(x), weight = on(y), target = on(sign), delta = 0.1); }, x, y);
  auto const real_and_fake = [&](auto on) { return bind(d_real = on(real), d_fake = on(fake)); };
  auto const fake_only = [&](auto on) { return bind(d_fake = on(fake)); };
  run<gan_d_bce>(visit, "gan_d_bce", wrt(d_real, d_fake), real_and_fake, real, fake);
  run<wgan_critic>(visit, "wgan_critic", wrt(d_real, d_fake), real_and_fake, real, fake);
  run<hinge_gan_d>(visit, "hinge_gan_d", wrt(d_real, d_fake), real_and_fake, real, fake);
  run<lsgan_d>(
      visit, "lsgan_d", wrt(d_real, d_fake),
      [&](auto on) { return bind(d_real = on(real), d_fake = on(fake), fake_label = 0.0, real_label = 1.0); }, real,
      fake);
  run<gan_g_nonsaturating>(visit, "gan_g_nonsaturating", wrt(d_fake), fake_only, fake);
  run<gan_g_minimax>(visit, "gan_g_minimax", wrt(d_fake), fake_only, fake);
  run<wgan_generator>(visit, "wgan_generator", wrt(d_fake), fake_only, fake);
  run<hinge_gan_g>(visit, "hinge_gan_g", wrt(d_fake), fake_only, fake);
  run<lsgan_g>(
      visit, "lsgan_g", wrt(d_fake), [&](auto on) { return bind(d_fake = on(fake), real_label = 1.0); }, fake);
  run<elastic>(
      visit, "elastic_net_reg", wrt(weights),
      [&](auto on) { return bind(weights = on(x), lambda1 = 0.01, lambda2 = 0.001); }, x);
  run<l1_reg>(
      visit, "l1_reg", wrt(weights), [&](auto on) { return bind(weights = on(x), lambda1 = 0.01); }, x);
  run<l2_reg>(
      visit, "l2_reg", wrt(weights), [&](auto on) { return bind(weights = on(x), lambda2 = 0.02); }, x);
}

family const registered(this_role,
                        [] { in_each_precision([]<class T>(std::type_identity<T>) { cases<T>(visit<T>{}); }); });

}  // namespace

}  // namespace lossforge::catalogue_device
