"""Policy and preference optimisation: PPO's clipped surrogate and DPO, from per-sequence log-probabilities."""
import torch
import torch.nn.functional as F

from conformance_cases.writer import Inputs


def reduce(t, red):
    return {"mean": t.mean(), "sum": t.sum(), "none": t}[red]


def ppo(clip_eps, red):
    def fn(new, old, adv):
        r = torch.exp(new - old)
        return reduce(-torch.min(r * adv, torch.clamp(r, 1 - clip_eps, 1 + clip_eps) * adv), red)
    return fn


def dpo(beta, red):
    def fn(pw, pl, rw, rl):
        return reduce(-F.logsigmoid(beta * ((pw - rw) - (pl - rl))), red)
    return fn


def generate(w):
    inp = Inputs(20261205)

    for clip_eps, red in [(0.2, "mean"), (0.2, "sum"), (0.1, "none"), (0.3, "mean")]:
        old = inp.randn(9, scale=2.0)
        new = old + inp.randn(9, scale=0.4)  # ratios around 1, some clipped on each side
        adv = inp.randn(9)
        w.case("ppo_clip", "formula", {"clip_eps": clip_eps, "reduction": red},
               [("logp_new", new, True), ("logp_old", old, False), ("advantages", adv, False)], ppo(clip_eps, red))
    new = torch.tensor([100.0, -100.0, 100.0, -100.0, 0.5])
    old = torch.zeros(5)
    adv = torch.tensor([1.5, 1.5, -0.5, -0.5, 0.0])
    w.case("ppo_clip", "formula", {"clip_eps": 0.2, "reduction": "none"},
           [("logp_new", new, True), ("logp_old", old, False), ("advantages", adv, False)], ppo(0.2, "none"),
           note="log-ratios +-100: the clipped side is a constant (0 gradient), the other grows as r A; A = 0 gives 0")

    for beta, red in [(0.1, "mean"), (0.5, "sum"), (1.0, "none"), (0.1, "mean")]:
        pw, pl, rw, rl = (inp.randn(6, scale=5.0) - 20 for _ in range(4))
        w.case("dpo", "formula", {"beta": beta, "reduction": red},
               [("pi_w", pw, True), ("pi_l", pl, True), ("ref_w", rw, False), ("ref_l", rl, False)], dpo(beta, red))
    # beta * margin of -100, 0 and 100: losses 100, ln 2 and about 3.7e-44.
    pw = torch.tensor([-290.0, -90.0, 110.0])
    w.case("dpo", "formula", {"beta": 0.5, "reduction": "none"},
           [("pi_w", pw, True), ("pi_l", torch.full((3,), -100.0), True), ("ref_w", torch.full((3,), -100.0), False),
            ("ref_l", torch.full((3,), -110.0), False)], dpo(0.5, "none"),
           note="beta * margin = -100, 0, 100: loss 100, ln 2, ~3.7e-44; gradients -+beta sigmoid(-z)")
