"""GAN losses on discriminator logits / critic scores: real and fake batches of different sizes, each term averaged
(or summed) over its own batch."""
import torch
import torch.nn.functional as F

from conformance_cases.writer import Inputs

BCE = "torch.nn.functional.binary_cross_entropy_with_logits"


def reduce(t, red):
    return {"mean": t.mean(), "sum": t.sum(), "none": t}[red]


def generate(w):
    inp = Inputs(20261204)

    def discriminator(loss, reference, fn, extra=None, red="mean", shapes=((6,), (4,)), scale=2.0):
        params = dict(extra or {}, reduction=red)
        real, fake = inp.randn(*shapes[0], scale=scale), inp.randn(*shapes[1], scale=scale)
        w.case(loss, reference, params, [("d_real", real, True), ("d_fake", fake, True)],
               lambda r, f: fn(r, f, red, **(extra or {})))

    def generator(loss, reference, fn, extra=None, red="mean", shape=(7,), scale=2.0):
        params = dict(extra or {}, reduction=red)
        w.case(loss, reference, params, [("d_fake", inp.randn(*shape, scale=scale), True)],
               lambda f: fn(f, red, **(extra or {})))

    def gan_d_bce(r, f, red):
        if red == "mean":
            return (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                    + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))
        return (F.binary_cross_entropy_with_logits(r, torch.ones_like(r), reduction="sum")
                + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f), reduction="sum"))

    def lsgan_d(r, f, red, a, b):
        return 0.5 * reduce((r - b) ** 2, red) + 0.5 * reduce((f - a) ** 2, red)

    for red in ["mean", "sum"]:
        discriminator("gan_d_bce", BCE, gan_d_bce, red=red)
        discriminator("wgan_critic", "formula", lambda r, f, rd: reduce(f, rd) - reduce(r, rd), red=red)
        discriminator("hinge_gan_d", "formula",
                      lambda r, f, rd: reduce(torch.relu(1 - r), rd) + reduce(torch.relu(1 + f), rd), red=red)
        discriminator("lsgan_d", "formula", lsgan_d, {"a": 0.0, "b": 1.0}, red=red)
    discriminator("gan_d_bce", BCE, gan_d_bce, shapes=((3, 4), (5,)), scale=20.0)
    discriminator("lsgan_d", "formula", lsgan_d, {"a": -1.0, "b": 1.0}, shapes=((2, 3), (4,)))
    discriminator("hinge_gan_d", "formula",
                  lambda r, f, rd: reduce(torch.relu(1 - r), rd) + reduce(torch.relu(1 + f), rd), shapes=((9,), (2,)))

    for red in ["mean", "sum", "none"]:
        generator("gan_g_nonsaturating", BCE,
                  lambda f, rd: F.binary_cross_entropy_with_logits(f, torch.ones_like(f), reduction=rd), red=red)
        generator("gan_g_minimax", "formula", lambda f, rd: reduce(torch.log(1 - torch.sigmoid(f)), rd), red=red)
        generator("wgan_generator", "formula", lambda f, rd: reduce(-f, rd), red=red)
        generator("hinge_gan_g", "formula", lambda f, rd: reduce(-f, rd), red=red)
        generator("lsgan_g", "formula", lambda f, rd, c: 0.5 * reduce((f - c) ** 2, rd), {"c": 1.0}, red=red)
    generator("lsgan_g", "formula", lambda f, rd, c: 0.5 * reduce((f - c) ** 2, rd), {"c": 0.5}, shape=(2, 3))
    # Confident logits: softplus stays finite and its derivative is a sigmoid that saturates without NaN.
    confident = torch.tensor([-40.0, -15.0, 0.0, 15.0, 40.0])
    w.case("gan_g_nonsaturating", BCE, {"reduction": "mean"}, [("d_fake", confident, True)],
           lambda f: F.binary_cross_entropy_with_logits(f, torch.ones_like(f)),
           note="confident logits +-40: finite loss, gradient -sigmoid(-x)/N")
    w.case("gan_d_bce", BCE, {"reduction": "mean"}, [("d_real", confident, True), ("d_fake", -confident, True)],
           lambda r, f: gan_d_bce(r, f, "mean"), note="confident logits +-40 on both batches")
