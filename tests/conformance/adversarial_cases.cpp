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

#define LOSSFORGE_DISCRIMINATOR(name, ...)                                              \
  constexpr auto name##_mean = L::name(d_real, d_fake, __VA_ARGS__ L::mean);            \
  constexpr auto name##_sum = L::name(d_real, d_fake, __VA_ARGS__ L::sum);
#define LOSSFORGE_GENERATOR(name, ...)                                                  \
  constexpr auto name##_none = L::name(d_fake, __VA_ARGS__ L::none);                    \
  constexpr auto name##_mean = L::name(d_fake, __VA_ARGS__ L::mean);                    \
  constexpr auto name##_sum = L::name(d_fake, __VA_ARGS__ L::sum);
LOSSFORGE_DISCRIMINATOR(gan_d_bce)
LOSSFORGE_DISCRIMINATOR(wgan_critic)
LOSSFORGE_DISCRIMINATOR(hinge_gan_d)
LOSSFORGE_DISCRIMINATOR(lsgan_d, fake_label, real_label,)
LOSSFORGE_GENERATOR(gan_g_nonsaturating)
LOSSFORGE_GENERATOR(gan_g_minimax)
LOSSFORGE_GENERATOR(wgan_generator)
LOSSFORGE_GENERATOR(hinge_gan_g)
LOSSFORGE_GENERATOR(lsgan_g, target_label,)
#undef LOSSFORGE_DISCRIMINATOR
#undef LOSSFORGE_GENERATOR

// Real and fake scores, both differentiated; mean or sum (a per-element loss over two batches does not exist).
template <auto const& Mean, auto const& Sum, class... Scalars>
computed discriminator_case(case_data const& c, precision p, Scalars const&... scalars) {
  if (reduction_of(c) == "none") throw unsupported("a discriminator loss reduces each batch: mean or sum");
  return in_precision(p, false, [&]<class T>() {
    return for_reduction<Mean, Mean, Sum>(c, [&]<auto const& Loss>() {
      static constexpr auto kernel = kokkos::compile(Loss, wrt(d_real, d_fake));
      auto const r = make_view<T, 1>(c.inputs.at("d_real"), "d_real");
      auto const f = make_view<T, 1>(c.inputs.at("d_fake"), "d_fake");
      return run(kernel, bind(d_real = r, d_fake = f, scalars...), view_t<T, 1>("loss", 0),
                 gradient_for<T, 1>(c, "d_real"), gradient_for<T, 1>(c, "d_fake"));
    });
  });
}

template <auto const& None, auto const& Mean, auto const& Sum, class... Scalars>
computed generator_case(case_data const& c, precision p, Scalars const&... scalars) {
  return in_precision(p, false, [&]<class T>() {
    return for_reduction<None, Mean, Sum>(c, [&]<auto const& Loss>() {
      static constexpr auto kernel = kokkos::compile(Loss, wrt(d_fake));
      auto const f = make_view<T, 1>(c.inputs.at("d_fake"), "d_fake");
      return run(kernel, bind(d_fake = f, scalars...), view_t<T, 1>("loss", f.size()),
                 gradient_for<T, 1>(c, "d_fake"));
    });
  });
}

registration const gan_d_bce_case("gan_d_bce", [](case_data const& c, precision p) {
  return discriminator_case<gan_d_bce_mean, gan_d_bce_sum>(c, p);
});
registration const wgan_critic_case("wgan_critic", [](case_data const& c, precision p) {
  return discriminator_case<wgan_critic_mean, wgan_critic_sum>(c, p);
});
registration const hinge_gan_d_case("hinge_gan_d", [](case_data const& c, precision p) {
  return discriminator_case<hinge_gan_d_mean, hinge_gan_d_sum>(c, p);
});
registration const lsgan_d_case("lsgan_d", [](case_data const& c, precision p) {
  return discriminator_case<lsgan_d_mean, lsgan_d_sum>(c, p, fake_label = number(c, "a"),
                                                       real_label = number(c, "b"));
});
registration const gan_g_nonsaturating_case("gan_g_nonsaturating", [](case_data const& c, precision p) {
  return generator_case<gan_g_nonsaturating_none, gan_g_nonsaturating_mean, gan_g_nonsaturating_sum>(c, p);
});
registration const gan_g_minimax_case("gan_g_minimax", [](case_data const& c, precision p) {
  return generator_case<gan_g_minimax_none, gan_g_minimax_mean, gan_g_minimax_sum>(c, p);
});
registration const wgan_generator_case("wgan_generator", [](case_data const& c, precision p) {
  return generator_case<wgan_generator_none, wgan_generator_mean, wgan_generator_sum>(c, p);
});
registration const hinge_gan_g_case("hinge_gan_g", [](case_data const& c, precision p) {
  return generator_case<hinge_gan_g_none, hinge_gan_g_mean, hinge_gan_g_sum>(c, p);
});
registration const lsgan_g_case("lsgan_g", [](case_data const& c, precision p) {
  return generator_case<lsgan_g_none, lsgan_g_mean, lsgan_g_sum>(c, p, target_label = number(c, "c"));
});
}  // namespace
}  // namespace lossforge::conformance
