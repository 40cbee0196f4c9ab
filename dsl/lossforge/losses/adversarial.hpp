#pragma once
// GAN losses on discriminator logits (or critic scores) of a real batch d_real and a generated batch d_fake, tensors
// of any shape; the two batches may differ in size, and each term is reduced over its own batch. R is mean or sum
// for the discriminator's losses (two batches have no common per-element loss); the generator's take none too.
//
//   gan_d_bce(d_real, d_fake, R)        softplus(-d_real) + softplus(d_fake)  = BCE with logits of real vs 1 and
//                                       fake vs 0, each averaged over its batch (not halved)
//   gan_g_nonsaturating(d_fake, R)      softplus(-d_fake)                      (Goodfellow et al. 2014)
//   gan_g_minimax(d_fake, R)            log(1 - sigmoid(d_fake)) = -softplus(d_fake), which the generator minimises
//   wgan_critic(d_real, d_fake, R)      d_fake - d_real                        (Arjovsky et al. 2017)
//   wgan_generator(d_fake, R)           -d_fake
//   lsgan_d(d_real, d_fake, a, b, R)    (d_real - b)^2 / 2 + (d_fake - a)^2 / 2  (Mao et al. 2017; a = 0, b = 1)
//   lsgan_g(d_fake, c, R)               (d_fake - c)^2 / 2                     (c = 1)
//   hinge_gan_d(d_real, d_fake, R)      relu(1 - d_real) + relu(1 + d_fake)   (Lim and Ye 2017; relu'(0) = 0)
//   hinge_gan_g(d_fake, R)              -d_fake
// Every input is differentiable; softplus and its derivative sigmoid are evaluated stably for any finite logit.
#include <type_traits>

#include <lossforge/losses/reduction.hpp>

namespace lossforge::losses {

namespace detail {
// One term per batch, each reduced over its own elements.
template <Operand Real, Operand Fake, Reduction R>
constexpr auto per_batch(Real const& real_term, Fake const& fake_term, R reduction) {
  static_assert(!std::is_same_v<R, none_t>,
                "lossforge: a discriminator loss adds a term over the real batch to one over the generated batch, "
                "which may differ in size: reduce it with mean or sum (reduce a generator's loss with none to get "
                "per-sample values)");
  return reduce_elements(real_term, reduction) + reduce_elements(fake_term, reduction);
}
}  // namespace detail

template <Operand Real, Operand Fake, Reduction R>
constexpr auto gan_d_bce(Real const& d_real, Fake const& d_fake, R reduction) {
  return detail::per_batch(softplus(-d_real), softplus(d_fake), reduction);
}
template <Operand Fake, Reduction R>
constexpr auto gan_g_nonsaturating(Fake const& d_fake, R reduction) {
  return reduce_elements(softplus(-d_fake), reduction);
}
template <Operand Fake, Reduction R>
constexpr auto gan_g_minimax(Fake const& d_fake, R reduction) {
  return reduce_elements(-softplus(d_fake), reduction);
}

template <Operand Real, Operand Fake, Reduction R>
constexpr auto wgan_critic(Real const& d_real, Fake const& d_fake, R reduction) {
  return detail::per_batch(-as_expression(d_real), d_fake, reduction);
}
template <Operand Fake, Reduction R>
constexpr auto wgan_generator(Fake const& d_fake, R reduction) {
  return reduce_elements(-as_expression(d_fake), reduction);
}

template <Operand Real, Operand Fake, Operand A, Operand B, Reduction R>
constexpr auto lsgan_d(Real const& d_real, Fake const& d_fake, A const& fake_label, B const& real_label, R reduction) {
  return detail::per_batch(c<1, 2> * square(d_real - real_label), c<1, 2> * square(d_fake - fake_label), reduction);
}
template <Operand Fake, Operand C, Reduction R>
constexpr auto lsgan_g(Fake const& d_fake, C const& target_label, R reduction) {
  return reduce_elements(c<1, 2> * square(d_fake - target_label), reduction);
}

template <Operand Real, Operand Fake, Reduction R>
constexpr auto hinge_gan_d(Real const& d_real, Fake const& d_fake, R reduction) {
  return detail::per_batch(relu(c<1> - d_real), relu(c<1> + d_fake), reduction);
}
template <Operand Fake, Reduction R>
constexpr auto hinge_gan_g(Fake const& d_fake, R reduction) {
  return wgan_generator(d_fake, reduction);
}

}  // namespace lossforge::losses
