"""Metric learning and ranking: triplet_margin_loss, triplet_cosine, contrastive_seed, contrastive_hadsell,
cosine_embedding_loss, margin_ranking_loss, hinge_embedding_loss.

PyTorch's own function where PyTorch has the loss, the documented formula otherwise (max(0, .) written as clamp_min, as
PyTorch's losses write it). Edge cases: identical and all-zero embeddings (eps keeps the distances away from 0),
arguments exactly at the hinge, swap ties, N = 1. (With eps 0, equal rows have distance 0, where lossforge's gradient
is NaN and PyTorch's 0: no case here.)"""
import torch
import torch.nn.functional as F

from conformance_cases.writer import Inputs

REDUCTIONS = ["mean", "sum", "none"]


def reduce(loss, red):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[red]


def cosine_distance(u, v):
    return 1 - (u * v).sum(1) / (u.norm(dim=1) * v.norm(dim=1))


def contrastive(similar_label, margin, eps, red):
    """contrastive_seed pulls pairs labelled 0 together (similar_label 0), contrastive_hadsell those labelled 1 (the
    two documented forms)."""
    def fn(x1, x2, label):
        d = F.pairwise_distance(x1, x2, p=2.0, eps=eps)
        y = label.double()
        similar = y if similar_label == 1 else 1 - y
        return reduce(similar * 0.5 * d ** 2 + (1 - similar) * 0.5 * torch.clamp(margin - d, min=0) ** 2, red)
    return fn


def generate(w):
    g = Inputs(20261203)

    # ---- triplet_margin_loss -----------------------------------------------------------------------------------------
    def triplet(a, p, n, margin=1.0, norm=2.0, eps=1e-6, swap=False, red="mean", flags=(), note=None):
        w.case("triplet_margin_loss", "torch.nn.functional.triplet_margin_loss",
               {"eps": eps, "margin": margin, "p": norm, "reduction": red, "swap": swap},
               [("anchor", a, True), ("positive", p, True), ("negative", n, True)],
               lambda x, y, z: F.triplet_margin_loss(x, y, z, margin=margin, p=norm, eps=eps, swap=swap,
                                                     reduction=red), flags=flags, note=note)

    for red in REDUCTIONS:
        triplet(g.randn(5, 4), g.randn(5, 4), g.randn(5, 4), red=red)
    for red in ["mean", "sum"]:
        triplet(g.randn(6, 3), g.randn(6, 3), g.randn(6, 3), margin=0.5, swap=True, red=red)
    for margin in [1.0, 2.0]:
        triplet(g.randn(4, 5), g.randn(4, 5), g.randn(4, 5), margin=margin, norm=1.0, red="mean")
    triplet(g.randn(1, 6), g.randn(1, 6), g.randn(1, 6), margin=3.0, red="sum", note="N = 1")
    a = g.randn(3, 4)
    triplet(a, a.clone(), g.randn(3, 4), margin=3.0, red="none", note="anchor == positive: d(a, p) = eps sqrt(D)")
    z = torch.zeros(2, 5)
    triplet(z, z.clone(), z.clone(), margin=0.3, swap=True, red="mean",
            note="all-zero embeddings: every distance eps sqrt(D), loss margin, swap tie split 1/2")
    a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    p = torch.tensor([[3.0, 4.0], [1.0, 2.0]])
    n = torch.tensor([[6.0, 8.0], [4.0, 5.0]])
    triplet(a, p, n, margin=5.0, eps=0.0, red="mean", flags=["kink"],
            note="eps 0, row 0: margin + d(a, p) - d(a, n) = 5 + 5 - 10 exactly 0, clamp_min passes the gradient")
    n = torch.tensor([[0.5, -1.0], [0.0, 0.0]])
    a = torch.tensor([[3.5, 3.0], [1.0, 2.0]])
    p = torch.tensor([[4.5, 2.0], [2.0, 1.0]])
    triplet(a, p, n, margin=8.0, swap=True, red="sum", flags=["kink"],
            note="swap tie: a - n and p - n are permutations of each other, d(a, n) == d(p, n), torch.min splits 1/2")
    z = torch.zeros(2, 3)
    triplet(z, z.clone(), g.randn(2, 3), margin=10.0, norm=1.0, eps=0.0, red="mean", flags=["kink"],
            note="p 1, eps 0, anchor == positive == 0: |0|' = 0")

    # ---- triplet_cosine ------------------------------------------------------------------------------------------------
    def triplet_cos(a, p, n, margin, red, flags=(), note=None):
        w.case("triplet_cosine", "formula", {"margin": margin, "reduction": red},
               [("anchor", a, True), ("positive", p, True), ("negative", n, True)],
               lambda x, y, z: reduce(torch.clamp(cosine_distance(x, y) - cosine_distance(x, z) + margin, min=0), red),
               flags=flags, note=note)

    for red in REDUCTIONS:
        triplet_cos(g.randn(5, 4), g.randn(5, 4), g.randn(5, 4), 0.5, red)
    triplet_cos(g.randn(4, 6), g.randn(4, 6), g.randn(4, 6), 1.5, "mean")
    triplet_cos(g.randn(1, 3), g.randn(1, 3), g.randn(1, 3), 0.2, "sum", note="N = 1")
    a = g.randn(3, 4)
    triplet_cos(a, a.clone(), g.randn(3, 4), 1.5, "none", note="anchor == positive: d(a, p) = 0 up to rounding")
    a = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    p = torch.tensor([[0.0, 1.0], [0.8, 0.6]])
    n = torch.tensor([[-1.0, 0.0], [0.0, 2.0]])
    triplet_cos(a, p, n, 1.0, "mean", flags=["kink"],
                note="row 0: d(a, p) - d(a, n) + margin = 1 - 2 + 1 exactly 0, clamp_min passes the gradient")

    # ---- contrastive_seed, contrastive_hadsell -------------------------------------------------------------------------
    for loss, similar_label in [("contrastive_seed", 0), ("contrastive_hadsell", 1)]:
        def pair_case(x1, x2, label, margin, eps, red, flags=(), note=None):
            w.case(loss, "formula", {"eps": eps, "margin": margin, "reduction": red},
                   [("x1", x1, True), ("x2", x2, True), ("label", label, False)],
                   contrastive(similar_label, margin, eps, red), flags=flags, note=note)

        for red in ["mean", "sum"]:
            pair_case(g.randn(6, 4), g.randn(6, 4), torch.tensor([0, 1, 1, 0, 1, 0]), 2.0, 1e-6, red)
        pair_case(g.randn(5, 3, scale=0.5), g.randn(5, 3, scale=0.5), g.randint(0, 2, (5,)), 1.0, 1e-6, "mean")
        pair_case(g.randn(1, 5), g.randn(1, 5), torch.tensor([1]), 4.0, 1e-6, "sum", note="N = 1")
        x = g.randn(4, 3)
        x2 = x.clone(); x2[3] = 0
        x1 = x.clone(); x1[3] = 0
        pair_case(x1, x2, torch.tensor([0, 1, 0, 1]), 1.0, 1e-6, "mean",
                  note="x1 == x2 on every row (row 3 all zero): D = eps sqrt(D), finite gradients")
        x1 = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
        x2 = torch.tensor([[3.0, 4.0], [2.0, 3.0]])
        pair_case(x1, x2, torch.tensor([1, 0]), 5.0, 0.0, "mean",
                  note="eps 0, row 0: D = margin = 5 exactly; max(0, m - D)^2 is C1 there (gradient 0)")

    # ---- cosine_embedding_loss -----------------------------------------------------------------------------------------
    def cosine_case(x1, x2, y, margin, red, flags=(), note=None):
        w.case("cosine_embedding_loss", "torch.nn.functional.cosine_embedding_loss", {"margin": margin, "reduction": red},
               [("x1", x1, True), ("x2", x2, True), ("target", y, False)],
               lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin=margin, reduction=red), flags=flags, note=note)

    signs = torch.tensor([1.0, -1.0, -1.0, 1.0, -1.0])
    for red in REDUCTIONS:
        cosine_case(g.randn(5, 4), g.randn(5, 4), signs, 0.0, red)
    for margin in [0.3, -0.2]:
        cosine_case(g.randn(5, 6), g.randn(5, 6), signs.flip(0), margin, "mean")
    cosine_case(g.randn(1, 3), g.randn(1, 3), torch.tensor([-1.0]), -0.5, "sum", note="N = 1")
    x = g.randn(4, 3)
    x1 = x.clone(); x1[1] = 0; x1[3] = 0
    cosine_case(x1, x.clone(), torch.tensor([1.0, 1.0, -1.0, -1.0]), 0.0, "none",
                note="x1 == x2 on rows 0, 2; x1 = 0 on rows 1, 3: cos 0 thanks to the 1e-12 (large finite gradient)")
    x1 = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    x2 = torch.tensor([[0.0, 2.0], [2.0, 1.0]])
    cosine_case(x1, x2, torch.tensor([-1.0, -1.0]), 0.0, "sum", flags=["kink"],
                note="row 0 orthogonal with y = -1, margin 0: cos - margin exactly 0, clamp_min passes the gradient")

    # ---- margin_ranking_loss -------------------------------------------------------------------------------------------
    def ranking_case(x1, x2, y, margin, red, flags=(), note=None):
        w.case("margin_ranking_loss", "torch.nn.functional.margin_ranking_loss", {"margin": margin, "reduction": red},
               [("x1", x1, True), ("x2", x2, True), ("target", y, False)],
               lambda a, b, t: F.margin_ranking_loss(a, b, t, margin=margin, reduction=red), flags=flags, note=note)

    signs = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0])
    for red in REDUCTIONS:
        ranking_case(g.randn(7), g.randn(7), signs, 0.0, red)
    ranking_case(g.randn(7), g.randn(7), signs.flip(0), 0.5, "mean")
    ranking_case(g.randn(1), g.randn(1), torch.tensor([-1.0]), 3.0, "sum", note="N = 1")
    ranking_case(torch.tensor([1.0, 0.25, 2.0]), torch.tensor([0.5, 0.75, 2.0]), torch.tensor([1.0, -1.0, 1.0]), 0.5,
                 "mean", flags=["kink"],
                 note="-y (x1 - x2) + margin exactly 0 on rows 0, 1: clamp_min passes the gradient")

    # ---- hinge_embedding_loss ------------------------------------------------------------------------------------------
    def hinge_case(x, y, margin, red, flags=(), note=None):
        w.case("hinge_embedding_loss", "torch.nn.functional.hinge_embedding_loss", {"margin": margin, "reduction": red},
               [("input", x, True), ("target", y, False)],
               lambda a, t: F.hinge_embedding_loss(a, t, margin=margin, reduction=red), flags=flags, note=note)

    signs = torch.tensor([1.0, -1.0, -1.0, 1.0, -1.0, 1.0, -1.0, -1.0])
    for red in REDUCTIONS:
        hinge_case(g.randn(8), signs, 1.0, red)
    hinge_case(g.randn(8, scale=2), signs.flip(0), 0.5, "mean")
    hinge_case(g.randn(1), torch.tensor([-1.0]), 2.0, "sum", note="N = 1")
    hinge_case(torch.tensor([1.0, 0.0, 1.0, 2.5]), torch.tensor([-1.0, 1.0, 1.0, -1.0]), 1.0, "mean", flags=["kink"],
               note="row 0: margin - x exactly 0 with y = -1, clamp_min passes the gradient")
