"""Poisson and Gaussian negative log-likelihoods, PyTorch's functions: log and rate inputs, the full (Stirling)
term with targets on both sides of 1, zero targets, variances at and below eps."""
import torch
import torch.nn.functional as F

from conformance_cases.writer import Inputs

REDUCTIONS = ["mean", "sum", "none"]


def generate(w):
    g = Inputs(20261210)

    def poisson(x, y, log_input, full, eps, red, note=None):
        w.case("poisson_nll_loss", "torch.nn.functional.poisson_nll_loss",
               {"log_input": log_input, "full": full, "eps": eps, "reduction": red},
               [("input", x, True), ("target", y, False)],
               lambda a, b: F.poisson_nll_loss(a, b, log_input=log_input, full=full, eps=eps, reduction=red),
               note=note)

    counts = lambda *shape: g.randint(0, 6, shape).double()
    for red in REDUCTIONS:
        poisson(g.randn(3, 4), counts(3, 4), True, False, 1e-8, red)
    poisson(g.randn(2, 5), counts(2, 5), True, True, 1e-8, "mean", note="full: Stirling's term where target > 1")
    poisson(g.rand(2, 5, lo=0.1, hi=4.0), counts(2, 5), False, False, 1e-8, "sum", note="rates, not log-rates")
    poisson(g.rand(6, lo=0.1, hi=4.0), counts(6), False, True, 1e-8, "none", note="rates with the full term")
    poisson(torch.tensor([0.0, 0.0, 1.5]), torch.tensor([0.0, 2.0, 0.0]), False, False, 1e-3, "none",
            note="rate 0: log(0 + eps) with eps 1e-3; zero targets")

    def gaussian(x, y, var, full, eps, red, note=None):
        w.case("gaussian_nll_loss", "torch.nn.functional.gaussian_nll_loss",
               {"full": full, "eps": eps, "reduction": red},
               [("input", x, True), ("target", y, False), ("var", var, True)],
               lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=full, eps=eps, reduction=red), note=note)

    for red in REDUCTIONS:
        gaussian(g.randn(4, 3), g.randn(4, 3), g.rand(4, 3, lo=0.2, hi=2.0), False, 1e-6, red)
    gaussian(g.randn(5), g.randn(5), g.rand(5, lo=0.5, hi=3.0), True, 1e-6, "mean", note="full: + log(2 pi) / 2")
    gaussian(g.randn(4), g.randn(4), torch.tensor([0.0625, 0.5, 0.0625, 2.0]), False, 0.0625, "sum",
             note="variances equal to eps (a power of 2, the same in float): the clamp's bound itself")
