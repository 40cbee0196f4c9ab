"""Margin losses of classifiers, PyTorch's functions: soft margin (labels +-1), multilabel soft margin (0/1 per
class, optional class weights), multi-class margin (p 1 and 2, margins, class weights, a hinge exactly at 0)."""
import torch
import torch.nn.functional as F

from conformance_cases.writer import Inputs

REDUCTIONS = ["mean", "sum", "none"]


def generate(w):
    g = Inputs(20261211)
    signs = lambda *shape: (g.mask(*shape) * 2 - 1)

    def soft(x, y, red, note=None):
        w.case("soft_margin_loss", "torch.nn.functional.soft_margin_loss", {"reduction": red},
               [("input", x, True), ("target", y, False)],
               lambda a, b: F.soft_margin_loss(a, b, reduction=red), note=note)

    for red in REDUCTIONS:
        soft(g.randn(3, 5, scale=2), signs(3, 5), red)
    soft(torch.tensor([30.0, -30.0, 0.0]), torch.tensor([1.0, 1.0, -1.0]), "none",
         note="confident logits of both signs and 0: log(1 + e^-30), 30 + log(1 + e^-30), log 2")

    def multilabel(x, y, weight, red, note=None):
        params = {"reduction": red}
        if weight is not None:
            params["weight"] = weight
        w.case("multilabel_soft_margin_loss", "torch.nn.functional.multilabel_soft_margin_loss", params,
               [("input", x, True), ("target", y, False)],
               lambda a, b: F.multilabel_soft_margin_loss(a, b, weight=weight, reduction=red), note=note)

    for red in REDUCTIONS:
        multilabel(g.randn(4, 5), g.mask(4, 5), None, red)
    multilabel(g.randn(3, 4), g.mask(3, 4), g.rand(4, lo=0.5, hi=2.0), "mean", note="class weights")
    multilabel(g.randn(2, 3, scale=40), g.mask(2, 3), None, "sum", note="logits of magnitude ~40: log sigmoid saturates")

    def multi(x, t, p, margin, weight, red, note=None, flags=()):
        params = {"p": p, "margin": margin, "reduction": red}
        if weight is not None:
            params["weight"] = weight
        w.case("multi_margin_loss", "torch.nn.functional.multi_margin_loss", params,
               [("input", x, True), ("target", t, False)],
               lambda a, b: F.multi_margin_loss(a, b, p=p, margin=margin, weight=weight, reduction=red), note=note,
               flags=flags)

    for red in REDUCTIONS:
        multi(g.randn(4, 5), g.randint(0, 5, (4,)), 1, 1.0, None, red)
    multi(g.randn(5, 3), g.randint(0, 3, (5,)), 2, 0.5, None, "mean", note="p 2")
    multi(g.randn(4, 4), g.randint(0, 4, (4,)), 1, 1.0, g.rand(4, lo=0.5, hi=2.0), "sum", note="class weights")
    multi(torch.tensor([[1.0, 0.0, 0.5], [2.0, 3.0, 0.0]]), torch.tensor([0, 1]), 1, 1.0, None, "none", flags=["kink"],
          note="row 0: margin - x[t] + x[1] exactly 0, PyTorch's gradient 0 there")
