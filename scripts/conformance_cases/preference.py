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

    # ---- DPO's variants, as TRL's DPOTrainer computes them --------------------------------------------------------
    def conservative(beta, eps, red):
        def fn(pw, pl, rw, rl):
            z = beta * ((pw - rw) - (pl - rl))
            return reduce(-(1 - eps) * F.logsigmoid(z) - eps * F.logsigmoid(-z), red)
        return fn

    def ipo(beta, red):
        def fn(pw, pl, rw, rl):
            return reduce(((pw - rw) - (pl - rl) - 1 / (2 * beta)) ** 2, red)
        return fn

    for name, make, params in [("dpo_conservative", conservative, [(0.1, 0.1, "mean"), (0.5, 0.25, "none")]),
                               ("ipo", lambda beta, _, red: ipo(beta, red), [(0.1, None, "mean"), (0.5, None, "sum")])]:
        for beta, eps, red in params:
            pw, pl, rw, rl = (inp.randn(5, scale=3.0) - 20 for _ in range(4))
            ps = {"beta": beta, "reduction": red}
            if eps is not None:
                ps["label_smoothing"] = eps
            w.case(name, "formula", ps,
                   [("pi_w", pw, True), ("pi_l", pl, True), ("ref_w", rw, False), ("ref_l", rl, False)],
                   make(beta, eps, red))

    # Per-token log-probabilities [N, T] with padding masks: each response's log-probability is the masked sum.
    def tokens(beta, red):
        def fn(pw, pl, rw, rl, mw, ml):
            s = lambda lp, m: (lp * m).sum(1)
            return dpo(beta, red)(s(pw, mw), s(pl, ml), s(rw, mw), s(rl, ml))
        return fn

    for beta, red in [(0.1, "mean"), (0.2, "none")]:
        lengths_w, lengths_l = inp.randint(1, 7, (4,)), inp.randint(1, 7, (4,))
        positions = torch.arange(6)
        mw = (positions[None, :] < lengths_w[:, None]).double()
        ml = (positions[None, :] < lengths_l[:, None]).double()
        pw, pl, rw, rl = (-inp.rand(4, 6, lo=0.01, hi=4.0) for _ in range(4))
        w.case("dpo_tokens", "formula", {"beta": beta, "reduction": red},
               [("pi_w", pw, True), ("pi_l", pl, True), ("ref_w", rw, False), ("ref_l", rl, False),
                ("mask_w", mw, False), ("mask_l", ml, False)], tokens(beta, red),
               note="responses of 1 to 6 tokens padded to 6: padded positions contribute nothing, gradient 0")

    # ---- PPO's full objective over per-token tensors, as CleanRL's ppo.py computes it -----------------------------
    def ppo_objective(clip, value_clip, vf_coef, ent_coef):
        def fn(lp, lp_old, adv, v, v_old, ret, entropy, mask):
            def masked_mean(x):  # padding skipped (torch.where), so a -inf there stays out of the sums
                return torch.where(mask != 0, x, torch.zeros_like(x)).sum() / mask.sum()
            r = torch.exp(lp - lp_old)
            surrogate = masked_mean(torch.max(-adv * r, -adv * torch.clamp(r, 1 - clip, 1 + clip)))
            unclipped = (v - ret) ** 2
            if value_clip is None:
                value_loss = 0.5 * masked_mean(unclipped)
            else:
                clipped = v_old + torch.clamp(v - v_old, -value_clip, value_clip)
                value_loss = 0.5 * masked_mean(torch.max(unclipped, (clipped - ret) ** 2))
            return surrogate + vf_coef * value_loss - ent_coef * masked_mean(entropy)
        return fn

    for clip, value_clip, vf_coef, ent_coef in [(0.2, 0.2, 0.5, 0.01), (0.1, None, 0.1, 0.0), (0.3, 0.5, 1.0, 0.05)]:
        lengths = inp.randint(2, 7, (3,))
        mask = (torch.arange(6)[None, :] < lengths[:, None]).double()
        lp_old = -inp.rand(3, 6, lo=0.1, hi=3.0)
        lp = lp_old + inp.randn(3, 6, scale=0.3)  # ratios around 1, some clipped on each side
        v_old = inp.randn(3, 6)
        v = v_old + inp.randn(3, 6, scale=0.4)  # some beyond the value clip
        ret, adv = inp.randn(3, 6), inp.randn(3, 6)
        entropy = inp.rand(3, 6, lo=0.5, hi=2.0)
        params = {"clip": clip, "value_clip": value_clip, "vf_coef": vf_coef, "ent_coef": ent_coef}
        w.case("ppo_objective", "formula (CleanRL ppo.py, masked means as TRL)", params,
               [("logp_new", lp, True), ("logp_old", lp_old, False), ("advantages", adv, False), ("values", v, True),
                ("values_old", v_old, False), ("returns", ret, False), ("entropy", entropy, True),
                ("mask", mask, False)], ppo_objective(clip, value_clip, vf_coef, ent_coef),
               note="sequences of 2 to 6 tokens padded to 6" + ("; value loss unclipped" if value_clip is None else ""))
    lp = torch.tensor([[-1.0, -0.5, 40.0], [-2.0, 40.0, 40.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    finite = torch.tensor([[-1.2, -0.4, -1.0], [-1.5, -1.0, -1.0]])
    w.case("ppo_objective", "formula (CleanRL ppo.py, masked means as TRL)",
           {"clip": 0.2, "value_clip": 0.2, "vf_coef": 0.5, "ent_coef": 0.01},
           [("logp_new", lp, True), ("logp_old", finite, False), ("advantages", torch.tensor([[1.0, -1.0, 0.5]] * 2),
                                                                  False),
            ("values", torch.tensor([[0.3, 0.9, 100.0], [0.1, 100.0, 100.0]]), True),
            ("values_old", torch.tensor([[0.0, 0.5, 0.0], [0.4, 0.0, 0.0]]), False),
            ("returns", torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), False),
            ("entropy", torch.tensor([[1.0, 2.0, 3.0], [0.5, 1.0, 1.0]]), True), ("mask", mask, False)],
           ppo_objective(0.2, 0.2, 0.5, 0.01),
           note="garbage in the padding (ratio e^41, value 100): skipped, gradient 0 there")
