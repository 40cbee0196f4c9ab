// Conformance handlers: gan_d_bce, gan_g_nonsaturating, gan_g_minimax, wgan_critic, wgan_generator, lsgan_d, lsgan_g,
// hinge_gan_d, hinge_gan_g. Scores are bound flattened; the two batches of a discriminator loss may differ in size.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"d_real"> d_real;
constexpr tensor<"d_fake"> d_fake;
constexpr scalar<"a"> fake_label;
constexpr scalar<"b"> real_label;
constexpr scalar<"c"> target_label;

template <class R>
constexpr auto gan_d_bce = L::gan_d_bce(d_real, d_fake, R{});
template <class R>
constexpr auto wgan_critic = L::wgan_critic(d_real, d_fake, R{});
template <class R>
constexpr auto hinge_gan_d = L::hinge_gan_d(d_real, d_fake, R{});
template <class R>
constexpr auto lsgan_d = L::lsgan_d(d_real, d_fake, fake_label, real_label, R{});
template <class R>
constexpr auto gan_g_nonsaturating = L::gan_g_nonsaturating(d_fake, R{});
template <class R>
constexpr auto gan_g_minimax = L::gan_g_minimax(d_fake, R{});
template <class R>
constexpr auto wgan_generator = L::wgan_generator(d_fake, R{});
template <class R>
constexpr auto hinge_gan_g = L::hinge_gan_g(d_fake, R{});
template <class R>
constexpr auto lsgan_g = L::lsgan_g(d_fake, target_label, R{});

// Real and fake scores, both differentiated; mean or sum (a per-element loss over two batches does not exist).
template <auto const& Loss, class... Scalars>
computed discriminator_case(case_data const& c, precision p, Scalars const&... scalars) {
  return in_precision(p, false, [&]<class T>() {
    static constexpr auto kernel = under_test::compile(Loss, wrt(d_real, d_fake));
    auto const r = make_view<T, 1>(c.inputs.at("d_real"), "d_real");
    auto const f = make_view<T, 1>(c.inputs.at("d_fake"), "d_fake");
    return run(kernel, bind(d_real = r, d_fake = f, scalars...), view_t<T, 1>("loss", 0),
               gradient_for<T, 1>(c, "d_real"), gradient_for<T, 1>(c, "d_fake"));
  });
}
template <class Run>
computed for_batch_reduction(case_data const& c, Run const& run) {
  if (reduction_of(c) == "none") throw unsupported("a discriminator loss reduces each batch: mean or sum");
  return for_reduction<L::mean_t, L::sum_t>(c, run);
}

template <auto const& Loss, class... Scalars>
computed generator_case(case_data const& c, precision p, Scalars const&... scalars) {
  return in_precision(p, false, [&]<class T>() {
    static constexpr auto kernel = under_test::compile(Loss, wrt(d_fake));
    auto const f = make_view<T, 1>(c.inputs.at("d_fake"), "d_fake");
    return run(kernel, bind(d_fake = f, scalars...), view_t<T, 1>("loss", f.size()), gradient_for<T, 1>(c, "d_fake"));
  });
}

registration const gan_d_bce_case("gan_d_bce", [](case_data const& c, precision p) {
  return for_batch_reduction(c, [&]<class R>(R) { return discriminator_case<gan_d_bce<R>>(c, p); });
});
registration const wgan_critic_case("wgan_critic", [](case_data const& c, precision p) {
  return for_batch_reduction(c, [&]<class R>(R) { return discriminator_case<wgan_critic<R>>(c, p); });
});
registration const hinge_gan_d_case("hinge_gan_d", [](case_data const& c, precision p) {
  return for_batch_reduction(c, [&]<class R>(R) { return discriminator_case<hinge_gan_d<R>>(c, p); });
});
registration const lsgan_d_case("lsgan_d", [](case_data const& c, precision p) {
  return for_batch_reduction(c, [&]<class R>(R) {
    return discriminator_case<lsgan_d<R>>(c, p, fake_label = number(c, "a"), real_label = number(c, "b"));
  });
});
registration const gan_g_nonsaturating_case("gan_g_nonsaturating", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) { return generator_case<gan_g_nonsaturating<R>>(c, p); });
});
registration const gan_g_minimax_case("gan_g_minimax", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) { return generator_case<gan_g_minimax<R>>(c, p); });
});
registration const wgan_generator_case("wgan_generator", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) { return generator_case<wgan_generator<R>>(c, p); });
});
registration const hinge_gan_g_case("hinge_gan_g", [](case_data const& c, precision p) {
  return for_elementwise_reduction(c, [&]<class R>(R) { return generator_case<hinge_gan_g<R>>(c, p); });
});
registration const lsgan_g_case("lsgan_g", [](case_data const& c, precision p) {
  return for_elementwise_reduction(
      c, [&]<class R>(R) { return generator_case<lsgan_g<R>>(c, p, target_label = number(c, "c")); });
});
}  // namespace
}  // namespace lossforge::conformance
