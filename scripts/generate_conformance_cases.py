#!/usr/bin/python3
"""Writes lossforge's conformance cases (the runner's JSON Lines format, README) with PyTorch as the oracle.

Run with Debian's python3-torch (apt-get install python3-torch; the box family also needs python3-torchvision):  /usr/bin/python3 scripts/generate_conformance_cases.py
Everything is computed in float64 with autograd, using PyTorch's own function where PyTorch has the loss and the
documented formula otherwise. Inputs are rounded to 6 significant digits first, so the JSON numbers are exactly the
doubles the computation used. Output: tests/conformance/cases/<loss>.jsonl, one file per loss, deterministic (fixed
seeds). The first catalogue's cases are written here; each later family is a module of conformance_cases/ with a
generate(writer) function and a seed of its own, found and run in name order. Naming families on the command line
(`... generate_conformance_cases.py metric divergence`) writes only theirs.
"""
import importlib
import os
import pkgutil
import sys

import torch
import torch.nn.functional as F

import conformance_cases
from conformance_cases.writer import Inputs, Writer, r6

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "conformance", "cases")


def first_catalogue(w):
    g = torch.Generator().manual_seed(20261128)

    def randn(*shape, scale=1.0):
        return r6(torch.randn(*shape, generator=g) * scale)

    def rand(*shape, lo=0.0, hi=1.0):
        return r6(lo + (hi - lo) * torch.rand(*shape, generator=g))

    def mask(*shape):
        return (torch.rand(*shape, generator=g) > 0.5).double()

    reductions = ["mean", "sum", "none"]

    # ---- regression ----------------------------------------------------------------------------------------------
    for shape in [(7,), (3, 5), (2, 3, 4)]:
        for red in reductions:
            x, y = randn(*shape), randn(*shape)
            w.case("mse", "torch.nn.functional.mse_loss", {"reduction": red},
                   [("input", x, True), ("target", y, False)], lambda a, b: F.mse_loss(a, b, reduction=red))
    for shape in [(3, 4), (2, 3, 4)]:
        x, y = randn(*shape), randn(*shape)
        w.case("rmse", "formula", {"reduction": "mean"}, [("input", x, True), ("target", y, False)],
               lambda a, b: torch.sqrt(((a - b) ** 2).mean()))
    for shape in [(9,), (3, 4)]:
        for red in reductions:
            x, y = randn(*shape), randn(*shape)
            w.case("l1", "torch.nn.functional.l1_loss", {"reduction": red},
                   [("input", x, True), ("target", y, False)], lambda a, b: F.l1_loss(a, b, reduction=red))
    x = torch.tensor([0.5, -1.25, 2.0, 3.0]); y = torch.tensor([0.5, 1.0, 2.0, -1.0])
    w.case("l1", "torch.nn.functional.l1_loss", {"reduction": "mean"}, [("input", x, True), ("target", y, False)],
           lambda a, b: F.l1_loss(a, b), flags=["kink"], note="residual exactly 0 at two elements: gradient sign(0) = 0")
    for delta in [1.0, 0.5, 2.5]:
        for red in reductions:
            x, y = randn(3, 4, scale=2), randn(3, 4, scale=2)
            w.case("huber", "torch.nn.functional.huber_loss", {"delta": delta, "reduction": red},
                   [("input", x, True), ("target", y, False)],
                   lambda a, b: F.huber_loss(a, b, reduction=red, delta=delta))
    x = torch.tensor([1.5, -0.5, 0.0, 3.0]); y = torch.tensor([0.5, 0.5, 0.0, 0.0])
    w.case("huber", "torch.nn.functional.huber_loss", {"delta": 1.0, "reduction": "sum"},
           [("input", x, True), ("target", y, False)], lambda a, b: F.huber_loss(a, b, reduction="sum", delta=1.0),
           flags=["kink"], note="|d| exactly delta (both sides agree there) and d exactly 0")
    for beta in [1.0, 0.25, 0.0]:
        for red in reductions:
            x, y = randn(11, scale=2), randn(11, scale=2)
            w.case("smooth_l1", "torch.nn.functional.smooth_l1_loss", {"beta": beta, "reduction": red},
                   [("input", x, True), ("target", y, False)],
                   lambda a, b: F.smooth_l1_loss(a, b, reduction=red, beta=beta))

    # ---- binary cross entropy ------------------------------------------------------------------------------------
    for shape in [(10,), (4, 3)]:
        for red in reductions:
            for weighted in [False, True]:
                p, y = rand(*shape, lo=0.02, hi=0.98), rand(*shape)
                wt = rand(*shape, lo=0.5, hi=2.0) if weighted else None
                w.case("binary_cross_entropy", "torch.nn.functional.binary_cross_entropy",
                       {"reduction": red, "weight": wt}, [("input", p, True), ("target", y, False)],
                       lambda a, b: F.binary_cross_entropy(a, b, weight=wt, reduction=red))
    p = torch.tensor([0.0, 0.0, 1.0, 1.0, 1e-45, 1 - 1e-7, 0.0, 1.0, 1e-7])
    y = torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.0])
    w.case("binary_cross_entropy", "torch.nn.functional.binary_cross_entropy", {"reduction": "none", "weight": None},
           [("input", p, True), ("target", y, False)], lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
           flags=["torch_grad_convention"],
           note="probabilities exactly 0 and 1: log clamped at -100, PyTorch's gradient (p-y)/max(p(1-p),1e-12)")
    for shape in [(10,), (4, 3)]:
        for red in reductions:
            for weighted in [False, True]:
                # pos_weight at rank 2 only here, which keeps these cases' random draws; other ranks below.
                for pos in ([False, True] if len(shape) == 2 else [False]):
                    x, y = randn(*shape, scale=3), mask(*shape)
                    wt = rand(*shape, lo=0.5, hi=2.0) if weighted else None
                    pw = rand(shape[-1], lo=0.5, hi=3.0) if pos else None
                    w.case("binary_cross_entropy_with_logits", "torch.nn.functional.binary_cross_entropy_with_logits",
                           {"pos_weight": pw, "reduction": red, "weight": wt},
                           [("input", x, True), ("target", y, False)],
                           lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=wt, pos_weight=pw,
                                                                           reduction=red))
    x = torch.tensor([-120.0, -1e4, 0.0, 1e4, 120.0, 0.0, 50.0, -50.0])
    y = torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    w.case("binary_cross_entropy_with_logits", "torch.nn.functional.binary_cross_entropy_with_logits",
           {"pos_weight": None, "reduction": "none", "weight": None}, [("input", x, True), ("target", y, False)],
           lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"),
           note="extreme logits: finite loss and gradient; gradient at x=0, y=0 is 0.5")
    # Weights that broadcast against the input [N, C] as PyTorch broadcasts them: per class ([C], [1, C]) and per row
    # ([N, 1]). Their inputs come from a generator of their own, so the cases above keep theirs.
    b = Inputs(20261203)
    for wshape in [(3,), (1, 3), (4, 1)]:
        for red in reductions:
            p, y, wt = b.rand(4, 3, lo=0.02, hi=0.98), b.rand(4, 3), b.rand(*wshape, lo=0.5, hi=2.0)
            w.case("binary_cross_entropy", "torch.nn.functional.binary_cross_entropy",
                   {"reduction": red, "weight": wt}, [("input", p, True), ("target", y, False)],
                   lambda a, c: F.binary_cross_entropy(a, c, weight=wt, reduction=red),
                   note=f"weight of shape {list(wshape)} broadcast against the input [4, 3]")
            x, y, wt = b.randn(4, 3, scale=3), b.mask(4, 3), b.rand(*wshape, lo=0.5, hi=2.0)
            w.case("binary_cross_entropy_with_logits", "torch.nn.functional.binary_cross_entropy_with_logits",
                   {"pos_weight": None, "reduction": red, "weight": wt}, [("input", x, True), ("target", y, False)],
                   lambda a, c: F.binary_cross_entropy_with_logits(a, c, weight=wt, reduction=red),
                   note=f"weight of shape {list(wshape)} broadcast against the input [4, 3]")
    # pos_weight broadcast against inputs of every rank, alone and beside a broadcast weight.
    b = Inputs(20261204)
    for shape, pwshape, wshape in [((4, 3), (3,), (3,)), ((4, 3), (3,), (4, 1)), ((10,), (1,), None),
                                   ((2, 4, 3), (3,), None), ((2, 4, 3), (4, 1), (2, 1, 3))]:
        for red in reductions:
            x, y = b.randn(*shape, scale=3), b.mask(*shape)
            pw = b.rand(*pwshape, lo=0.5, hi=3.0)
            wt = b.rand(*wshape, lo=0.5, hi=2.0) if wshape else None
            w.case("binary_cross_entropy_with_logits", "torch.nn.functional.binary_cross_entropy_with_logits",
                   {"pos_weight": pw, "reduction": red, "weight": wt}, [("input", x, True), ("target", y, False)],
                   lambda a, c: F.binary_cross_entropy_with_logits(a, c, weight=wt, pos_weight=pw, reduction=red),
                   note=f"pos_weight of shape {list(pwshape)}"
                        + (f" and weight of shape {list(wshape)}" if wshape else "")
                        + f" broadcast against the input {list(shape)}")

    # ---- cross entropy family ------------------------------------------------------------------------------------
    def ce_case(loss, x, t, weight, ignore, eps, red, note=None):
        w.case(loss, "torch.nn.functional.cross_entropy",
               {"ignore_index": ignore, "label_smoothing": eps, "reduction": red, "weight": weight},
               [("input", x, True), ("target", t, False)],
               lambda a, b: F.cross_entropy(a, b, weight=weight, ignore_index=ignore, reduction=red,
                                            label_smoothing=eps), note=note)

    for red in reductions:
        for weighted in [False, True]:
            x = randn(6, 5, scale=2); t = torch.randint(0, 5, (6,), generator=g)
            ce_case("cross_entropy", x, t, rand(5, lo=0.2, hi=2.0) if weighted else None, -100, 0.0, red)
    x = randn(8, 4); t = torch.tensor([0, -100, 2, 2, 3, -100, 1, 2])
    ce_case("cross_entropy", x, t, None, -100, 0.0, "mean", note="ignore_index -100 on two rows")
    ce_case("cross_entropy", x.clone(), torch.tensor([0, 1, 2, 2, 3, 0, 1, 2]), rand(4, lo=0.2, hi=2.0), 2, 0.0,
            "mean", note="ignore_index is a real class id (2), with weights")
    ce_case("cross_entropy", torch.full((3, 2), 1e8), torch.tensor([0, 1, 1]), None, -100, 0.0, "mean",
            note="equal huge logits: loss ln 2, gradient 1/C - onehot")
    # Equal logits far beyond float's exact integers, over 37 classes (full SIMD blocks and a remainder): ln 37.
    for v in [1e12, -1e30, 1e30]:
        ce_case("cross_entropy", torch.full((3, 37), v), torch.tensor([0, 36, 18]), None, -100, 0.0, "mean",
                note=f"equal logits {v:g} over 37 classes: loss ln 37, gradient (1/C - onehot) / N")
    x = torch.zeros(2, 3); x[0, 0] = 1e4; x[1, 2] = -1e4
    ce_case("cross_entropy", x, torch.tensor([1, 2]), None, -100, 0.0, "sum", note="logit gap 1e4 to the wrong class")
    x = randn(4, 3)
    for shift in [-1e3, 1e3]:
        ce_case("cross_entropy", x + shift, torch.tensor([0, 2, 1, 1]), None, -100, 0.0, "mean",
                note=f"shift invariance: logits + {shift:g}")
    for eps in [0.05, 0.1, 0.15, 1.0]:
        for weighted, ignore in [(False, -100), (True, -100), (True, 1), (False, 3)]:
            x = randn(7, 4, scale=2); t = torch.randint(0, 4, (7,), generator=g); t[1] = ignore if ignore < 0 else t[1]
            loss = "cross_entropy_label_smoothing" if eps == 0.1 else "cross_entropy"
            ce_case(loss, x, t, rand(4, lo=0.2, hi=2.0) if weighted else None, ignore, eps,
                    reductions[(len(w.files.get(loss, [])) % 3)])
    ce_case("cross_entropy_label_smoothing", torch.full((3, 37), 1e12), torch.tensor([0, 36, 18]), None, -100, 0.1,
            "sum", note="equal logits 1e12 with label smoothing 0.1: 3 ln 37")
    for red in reductions:
        x = randn(3, 4, 5); t = torch.randint(0, 4, (3, 5), generator=g); t[0, 1] = -100
        ce_case("cross_entropy_spatial", x, t, rand(4, lo=0.2, hi=2.0) if red == "sum" else None, -100,
                0.1 if red == "mean" else 0.0, red)
    for red in reductions:
        for weighted, eps in [(False, 0.0), (True, 0.2)]:
            x = randn(5, 4, scale=2); y = torch.softmax(randn(5, 4, scale=2), 1)
            wt = rand(4, lo=0.2, hi=2.0) if weighted else None
            w.case("cross_entropy_prob_targets", "torch.nn.functional.cross_entropy",
                   {"ignore_index": -100, "label_smoothing": eps, "reduction": red, "weight": wt},
                   [("input", x, True), ("target", y, False)],
                   lambda a, b: F.cross_entropy(a, b, weight=wt, reduction=red, label_smoothing=eps))
    x = randn(4, 3); t = torch.tensor([2, 0, 1, 1])
    w.case("cross_entropy_prob_targets", "torch.nn.functional.cross_entropy",
           {"ignore_index": -100, "label_smoothing": 0.0, "reduction": "sum", "weight": None},
           [("input", x, True), ("target", F.one_hot(t, 3).double(), False)],
           lambda a, b: F.cross_entropy(a, b, reduction="sum"), note="one-hot probability targets equal index targets")
    for red in reductions:
        for weighted, ignore in [(False, -100), (True, 1)]:
            lp = torch.log_softmax(randn(6, 4, scale=2), 1); t = torch.randint(0, 4, (6,), generator=g)
            wt = rand(4, lo=0.2, hi=2.0) if weighted else None
            w.case("nll_loss", "torch.nn.functional.nll_loss",
                   {"ignore_index": ignore, "reduction": red, "weight": wt}, [("input", lp, True), ("target", t, False)],
                   lambda a, b: F.nll_loss(a, b, weight=wt, ignore_index=ignore, reduction=red))
    for a in [0.1, 0.3]:
        x = randn(5, 6, scale=2); t = torch.randint(0, 6, (5,), generator=g)
        w.case("label_smoothing_ce_seed", "formula", {"reduction": "mean", "smoothing": a},
               [("input", x, True), ("target", t, False)],
               lambda xx, tt: -(((1 - a) * F.one_hot(tt, 6) + a / 6) * torch.log_softmax(xx, 1)).sum(1).mean())

    # ---- overlap ---------------------------------------------------------------------------------------------------
    def dice_formula(s):
        return lambda p, gg: 1 - (2 * (p * gg).sum() + s) / ((p * p).sum() + (gg * gg).sum() + s)

    for shape in [(4, 5), (2, 1, 4, 4)]:
        p, m = rand(*shape), mask(*shape)
        w.case("dice", "formula", {"smooth": 0.0}, [("input", p, True), ("target", m, False)], dice_formula(0.0))
    for s in [1.0, 0.5]:
        p, m = rand(2, 1, 3, 3), mask(2, 1, 3, 3)
        w.case("dice_smooth", "formula", {"smooth": s}, [("input", p, True), ("target", m, False)], dice_formula(s))
    z = torch.zeros(1, 1, 2, 2)
    w.case("dice_smooth", "formula", {"smooth": 1.0}, [("input", z, True), ("target", z.clone(), False)],
           dice_formula(1.0), note="empty prediction and mask: loss 0")
    w.case("dice_smooth", "formula", {"smooth": 1.0}, [("input", z.clone(), True), ("target", torch.ones(1, 1, 2, 2), False)],
           dice_formula(1.0), note="empty prediction, full mask: loss 4/5")
    w.case("dice", "formula", {"smooth": 0.0}, [("input", rand(2, 3), True), ("target", torch.zeros(2, 3), False)],
           dice_formula(0.0), note="all-zero mask: loss 1, zero gradient")
    for shape, s in [((12,), 0.0), ((2, 1, 3, 3), 1.0)]:
        p, m = rand(*shape, lo=0.02, hi=0.98), mask(*shape)
        w.case("combo", "formula", {"bce_weight": 0.5, "smooth": s}, [("input", p, True), ("target", m, False)],
               lambda pp, gg: dice_formula(s)(pp, gg) + 0.5 * F.binary_cross_entropy(pp, gg))

    # ---- regularizers ----------------------------------------------------------------------------------------------
    for shape in [(8,), (3, 4)]:
        wts = randn(*shape)
        w.case("l1_reg", "formula", {"lambda": 0.01}, [("weights", wts, True)], lambda v: 0.01 * v.abs().sum())
        w.case("l2_reg", "formula", {"lambda": 0.02}, [("weights", wts, True)], lambda v: 0.02 * (v * v).sum())
        w.case("elastic_net_reg", "formula", {"lambda1": 0.01, "lambda2": 0.001}, [("weights", wts, True)],
               lambda v: 0.01 * v.abs().sum() + 0.001 * (v * v).sum())
    wts = torch.tensor([0.0, 1.5, -2.0, 0.0])
    w.case("l1_reg", "formula", {"lambda": 0.5}, [("weights", wts, True)], lambda v: 0.5 * v.abs().sum(),
           flags=["kink"], note="weights exactly 0: gradient lambda sign(0) = 0")
    for n in range(2):
        x = randn(5, 4, scale=2); t = torch.randint(0, 4, (5,), generator=g); wts = randn(3, 6)
        w.case("ce_l1_l2", "formula", {"lambda1": 0.01, "lambda2": 0.001},
               [("logits", x, True), ("target", t, False), ("weights", wts, True)],
               lambda a, b, v: F.cross_entropy(a, b) + 0.01 * v.abs().sum() + 0.001 * (v * v).sum())

    # ---- focal -----------------------------------------------------------------------------------------------------
    def sigmoid_focal(alpha, gamma, red):
        """torchvision.ops.sigmoid_focal_loss (v0.14), re-typed."""
        def fn(x, y):
            p = torch.sigmoid(x)
            ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
            p_t = p * y + (1 - p) * (1 - y)
            loss = ce * ((1 - p_t) ** gamma)
            if alpha >= 0:
                loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
            return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[red]
        return fn

    for shape, alpha, gamma, red in [((10,), 0.25, 2, "mean"), ((10,), 0.25, 2, "sum"), ((4, 3), 0.25, 2, "none"),
                                     ((4, 3), -1.0, 2, "mean"), ((10,), 0.6, 0, "mean"), ((4, 3), 0.25, 3, "mean")]:
        x, y = randn(*shape, scale=3), mask(*shape)
        w.case("sigmoid_focal_loss", "formula", {"alpha": alpha, "gamma": gamma, "reduction": red},
               [("input", x, True), ("target", y, False)], sigmoid_focal(alpha, gamma, red))
    x = torch.tensor([-50.0, 50.0, 0.0, 20.0, -20.0, 1e4, -1e4, 3.0])
    y = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    w.case("sigmoid_focal_loss", "formula", {"alpha": 0.25, "gamma": 2, "reduction": "none"},
           [("input", x, True), ("target", y, False)], sigmoid_focal(0.25, 2, "none"),
           note="confident logits, right and wrong: loss and gradient finite, 0 where p_t is 1")


def main(only):
    w = Writer()
    if not only:
        first_catalogue(w)
    families = sorted(m.name for m in pkgutil.iter_modules(conformance_cases.__path__) if m.name != "writer")
    for family in only or families:
        importlib.import_module(f"conformance_cases.{family}").generate(w)
    w.write(OUT)


if __name__ == "__main__":
    main(sys.argv[1:])
