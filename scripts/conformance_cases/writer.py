"""The case writer shared by the conformance generator's families: the runner's JSON Lines records, computed in float64
with autograd, and seeded random inputs rounded to 6 significant digits (so the JSON numbers are exactly the doubles
the computation used)."""
import json
import os

import torch

def r6(t):
    return torch.tensor([float(f"{v:.6g}") for v in t.flatten().tolist()]).reshape(t.shape)


def tensor_obj(t):
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": t.flatten().tolist()}
    return {"shape": list(t.shape), "dtype": "float64", "data": [float(v) for v in t.detach().flatten().tolist()]}


class Writer:
    def __init__(self):
        self.files = {}

    def case(self, loss, reference, params, inputs, fn, flags=(), note=None):
        """inputs: list of (name, tensor, requires_grad); fn(*tensors) -> loss tensor."""
        leaves = []
        for name, t, rg in inputs:
            leaf = t.clone().detach()
            if rg:
                leaf.requires_grad_(True)
            leaves.append(leaf)
        value = fn(*leaves)
        grads = {}
        wanted = [(n, l) for (n, _, rg), l in zip(inputs, leaves) if rg]
        if wanted:
            gs = torch.autograd.grad(value.sum(), [l for _, l in wanted], allow_unused=True)
            for (n, l), g in zip(wanted, gs):
                grads[n] = tensor_obj(g if g is not None else torch.zeros_like(l))
        cases = self.files.setdefault(loss, [])
        record = {
            "id": f"{loss}_{len(cases):02d}",
            "loss": loss,
            "reference": reference,
            "params": {k: (tensor_obj(v) if isinstance(v, torch.Tensor) else v) for k, v in params.items()},
            "inputs": [dict(name=n, requires_grad=rg, **tensor_obj(t)) for n, t, rg in inputs],
            "expected_loss": tensor_obj(value),
            "expected_grads": grads,
            "flags": list(flags),
        }
        if note:
            record["note"] = note
        text = json.dumps(record, allow_nan=False)
        cases.append(text)

    def write(self, out):
        os.makedirs(out, exist_ok=True)
        for loss, lines in self.files.items():
            with open(os.path.join(out, f"{loss}.jsonl"), "w") as f:
                f.write("\n".join(lines) + "\n")


class Inputs:
    """Random inputs from one seeded generator: each family has its own seed, so adding cases to one family leaves
    every other family's cases unchanged."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, scale=1.0):
        return r6(torch.randn(*shape, generator=self.g) * scale)

    def rand(self, *shape, lo=0.0, hi=1.0):
        return r6(lo + (hi - lo) * torch.rand(*shape, generator=self.g))

    def mask(self, *shape):
        return (torch.rand(*shape, generator=self.g) > 0.5).double()

    def randint(self, lo, hi, shape):
        return torch.randint(lo, hi, shape, generator=self.g)
