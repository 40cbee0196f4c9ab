"""Conformance cases of the divergences (kl_div, reverse_kl, js_divergence), perplexity and softmax_focal_loss."""
import math

import torch
import torch.nn.functional as F

from conformance_cases.writer import Inputs


def reduce_rows(per_row, red):
    return per_row.sum() if red == "sum" else per_row.sum() / per_row.shape[0]  # batchmean


def reverse_kl(red):
    def fn(z, p):
        log_q = torch.log_softmax(z, 1)
        return reduce_rows((log_q.exp() * (log_q - torch.log(p))).sum(1), red)
    return fn


def js_divergence(red):
    """0 log 0 = 0 through a safe log (xlogy's gradient is NaN where p = 0)."""
    def fn(z, p):
        log_q = torch.log_softmax(z, 1)
        q = log_q.exp()
        log_m = torch.log(0.5 * (p + q))
        p_term = p * (torch.log(torch.where(p > 0, p, torch.ones_like(p))) - log_m)
        return reduce_rows(0.5 * (p_term + q * (log_q - log_m)).sum(1), red)
    return fn


def softmax_focal(alpha, gamma, red):
    def fn(x, t):
        log_p_t = torch.log_softmax(x, 1).gather(1, t[:, None]).squeeze(1)
        alpha_t = alpha[t] if isinstance(alpha, torch.Tensor) else alpha
        loss = -alpha_t * (1 - log_p_t.exp()) ** gamma * log_p_t
        return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[red]
    return fn


def generate(w):
    r = Inputs(20261202)

    # ---- kl_div ----------------------------------------------------------------------------------------------------
    def kl_case(log_q, target, log_target, red, note=None):
        w.case("kl_div", "torch.nn.functional.kl_div", {"log_target": log_target, "reduction": red},
               [("input", log_q, True), ("target", target, False)],
               lambda a, b: F.kl_div(a, b, reduction=red, log_target=log_target), note=note)

    for log_target in [False, True]:
        for red in ["none", "mean", "sum", "batchmean"]:
            for shape in [(4, 5), (3, 7)]:
                log_q = torch.log_softmax(r.randn(*shape, scale=2), 1)
                log_p = torch.log_softmax(r.randn(*shape, scale=2), 1)
                kl_case(log_q, log_p if log_target else log_p.exp(), log_target, red)
    log_q = torch.log_softmax(r.randn(3, 4), 1)
    log_q[0, 1], log_q[2, 3] = -1e4, -745.0
    p = torch.softmax(r.randn(3, 4), 1)
    p[0, 1], p[0, 2], p[1, 0], p[2, 3] = 0.0, 0.0, 0.0, 0.0
    for red in ["none", "batchmean"]:
        kl_case(log_q, p, False, red,
                note="zero targets, two of them where log q is -1e4 and -745: those terms are 0, gradient -t = 0")
    p = torch.softmax(r.randn(4, 6, scale=3), 1)
    kl_case(torch.log(p), p, False, "sum", note="KL(p || p) = 0, probability targets: gradient -p")
    kl_case(torch.log(p), torch.log(p), True, "sum", note="KL(p || p) = 0, log targets: gradient -p")
    x = r.randn(2, 5)  # unnormalised log q: the pointwise formula applies as it is
    kl_case(x, torch.softmax(r.randn(2, 5), 1), False, "batchmean", note="input not normalised (not log-probabilities)")

    # ---- reverse_kl and js_divergence ------------------------------------------------------------------------------
    for red in ["batchmean", "sum"]:
        for shape in [(4, 5), (6, 3), (2, 10)]:
            z, p = r.randn(*shape, scale=2), torch.softmax(r.randn(*shape, scale=2), 1)
            w.case("reverse_kl", "formula", {"reduction": red}, [("logits", z, True), ("target", p, False)],
                   reverse_kl(red))
            z, p = r.randn(*shape, scale=2), torch.softmax(r.randn(*shape, scale=2), 1)
            w.case("js_divergence", "formula", {"reduction": red}, [("logits", z, True), ("target", p, False)],
                   js_divergence(red))
    z = r.randn(3, 4)
    for loss, fn in [("reverse_kl", reverse_kl), ("js_divergence", js_divergence)]:
        w.case(loss, "formula", {"reduction": "sum"},
               [("logits", z.clone(), True), ("target", torch.softmax(z, 1), False)], fn("sum"),
               note="target = softmax(logits): divergence 0, gradient 0")
    z = torch.tensor([[50.0, -50.0, 0.0, 3.0], [-50.0, -50.0, 50.0, 0.0]])
    w.case("reverse_kl", "formula", {"reduction": "batchmean"},
           [("logits", z, True), ("target", torch.softmax(r.randn(2, 4), 1), False)], reverse_kl("batchmean"),
           note="saturated logits +-50: q of e^-100 contributes ~0, finite gradient")
    onehot = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5], [0.0, 1.0, 0.0, 0.0]])
    z = torch.tensor([[-50.0, 50.0, 50.0, 50.0], [50.0, 50.0, -50.0, -50.0], [-3.0, 1.0, 0.5, 0.0]])
    w.case("js_divergence", "formula", {"reduction": "sum"},
           [("logits", z, True), ("target", onehot, False)], js_divergence("sum"),
           note=f"targets with zeros; rows 0 and 1 nearly disjoint supports: JS ~ ln 2 = {math.log(2):.17g} each")
    z = r.randn(4, 5, scale=3)
    w.case("js_divergence", "formula", {"reduction": "batchmean"},
           [("logits", z, True), ("target", torch.eye(5)[[0, 2, 4, 1]], False)], js_divergence("batchmean"),
           note="one-hot targets")

    # ---- perplexity ------------------------------------------------------------------------------------------------
    def perplexity_case(x, t, note=None):
        w.case("perplexity", "formula", {"reduction": "mean"}, [("logits", x, True), ("target", t, False)],
               lambda a, b: torch.exp(F.cross_entropy(a, b)), note=note)

    for tokens, vocabulary, scale in [(8, 10, 1.0), (5, 37, 2.0), (20, 6, 0.5), (3, 4, 6.0)]:
        perplexity_case(r.randn(tokens, vocabulary, scale=scale), r.randint(0, vocabulary, (tokens,)))
    perplexity_case(torch.zeros(6, 11), r.randint(0, 11, (6,)), note="uniform logits: perplexity V = 11")
    perplexity_case(torch.full((4, 7), -3.5), r.randint(0, 7, (4,)), note="equal logits -3.5: perplexity V = 7")
    x = torch.zeros(4, 5)
    x[:, 0] = 8.0
    perplexity_case(x, torch.tensor([1, 2, 3, 4]), note="confidently wrong: mean NLL ~8, perplexity ~3e3")

    # ---- softmax_focal_loss ----------------------------------------------------------------------------------------
    def focal_case(x, t, alpha, gamma, red, note=None):
        w.case("softmax_focal_loss", "formula", {"alpha": alpha, "gamma": gamma, "reduction": red},
               [("input", x, True), ("target", t, False)], softmax_focal(alpha, gamma, red), note=note)

    for red in ["none", "mean", "sum"]:
        for alpha in [0.25, r.rand(5, lo=0.1, hi=1.0)]:
            focal_case(r.randn(6, 5, scale=2), r.randint(0, 5, (6,)), alpha, 2, red)
    for gamma, alpha in [(1, 0.5), (3, r.rand(4, lo=0.1, hi=1.0))]:
        focal_case(r.randn(7, 4, scale=2), r.randint(0, 4, (7,)), alpha, gamma, "mean")
    focal_case(r.randn(5, 6, scale=2), r.randint(0, 6, (5,)), 1.0, 0, "mean", note="gamma 0, alpha 1: cross entropy")
    x = torch.tensor([[50.0, -50.0, 0.0], [-50.0, 50.0, 0.0], [0.0, 0.0, 0.0], [50.0, 50.0, -50.0]])
    t = torch.tensor([0, 0, 2, 1])
    focal_case(x, t, 0.25, 2, "none",
               note="saturated logits +-50: right (loss ~0), wrong (loss alpha * 100), uniform, a tie")
    focal_case(x, t, 0.25, 0, "mean", note="saturated logits +-50 with gamma 0: alpha * cross entropy")
