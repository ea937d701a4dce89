#!/usr/bin/env python3
"""Writes the fixtures of ModelImportTests next to this script.

Only needed to regenerate them: the tests read the committed files and never run Python.
Needs Debian's python3-torch, so run it with that interpreter:

    /usr/bin/python3 Tests/ModelImportTests/Fixtures/make_fixtures.py

The networks follow the authors' `modules/classifiers.py` (nn.Sequential, noise layers with
the parameters `umin`, `umax`, `mu`, `logsigma`, `mask` and, for BMRS_N, a 0-d float64
`pruning_eps`; conv noise has shape (C, 1, 1)). Values are random but seeded. The expected
logits are computed here in float64 with θ = E[θ]·mask (evaluation mode, SPEC §1), E[θ]
rounded to float32 as bmrs's noise layer does, so they check the Swift import end to end.
"""
import collections
import io
import json
import math
import os
import pickle
import struct
import zipfile

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
A, B, LS_MIN, LS_MAX = -20.0, 0.0, -20.0, 5.0
torch.manual_seed(20240612)


class Noise(nn.Module):
    """The authors' noise-layer parameters (values only: the fixtures never train)."""

    def __init__(self, shape, with_pruning_eps=False):
        super().__init__()
        self.umin = nn.Parameter(torch.tensor([0.0]), requires_grad=False)
        self.umax = nn.Parameter(torch.tensor([1.0]), requires_grad=False)
        units = shape[0]
        # μ and log σ away from the degenerate corners, so E[θ] is easy in float64.
        self.mu = nn.Parameter((torch.rand(units) * -2.8 - 0.2).reshape(shape))
        self.logsigma = nn.Parameter((torch.rand(units) * -3.0).reshape(shape))
        mask = (torch.rand(units) > 0.3).float()
        mask[0] = 1.0
        self.mask = nn.Parameter(mask.reshape(shape), requires_grad=False)
        if with_pruning_eps:
            self.pruning_eps = nn.Parameter(torch.tensor(math.sqrt(1e-12)).double(), requires_grad=False)

    def theta(self):
        mu = self.mu.detach().double().flatten()
        s = self.logsigma.detach().double().flatten().clamp(LS_MIN, LS_MAX).exp()
        al, be = (A - mu) / s, (B - mu) / s
        phi = torch.special.ndtr
        e = torch.exp(mu + s * s / 2) * (phi(s - al) - phi(s - be)) / (phi(be) - phi(al))
        return e.float().double() * self.mask.detach().double().flatten()


def quantise(module, step):
    """Rounds weights and biases to multiples of `step` (so the LeNet5 file deflates well)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("weight") or name.endswith("bias"):
                p.copy_(torch.round(p / step) * step)


def mlp(c=1, h=8, depth=2):
    blocks = [nn.Sequential(nn.Linear(h, h), nn.Tanh(), Noise([h])) for _ in range(depth)]
    return nn.Sequential(nn.Linear(1024 * c, h), nn.Tanh(), Noise([h], with_pruning_eps=True), *blocks, nn.Linear(h, 10))


def lenet5(c=1):
    return nn.Sequential(
        nn.Conv2d(c, 6 * c, 5), nn.ReLU(), Noise([6 * c, 1, 1]), nn.MaxPool2d(2),
        nn.Conv2d(6 * c, 16 * c, 5), nn.ReLU(), Noise([16 * c, 1, 1]), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400 * c, 120 * c), nn.ReLU(), Noise([120 * c]),
        nn.Linear(120 * c, 84 * c), nn.ReLU(), Noise([84 * c]), nn.Linear(84 * c, 10))


def forward64(model, x):
    """Evaluation-mode forward in float64: Noise multiplies by E[θ]·mask per structure."""
    x = x.double()
    for m in model:
        if isinstance(m, nn.Sequential):
            x = forward64(m, x)
        elif isinstance(m, Noise):
            t = m.theta()
            x = x * (t.reshape(-1, 1, 1) if x.dim() == 4 else t)
        elif isinstance(m, (nn.Linear, nn.Conv2d)):
            w, b = m.weight.detach().double(), m.bias.detach().double()
            x = torch.nn.functional.linear(x, w, b) if isinstance(m, nn.Linear) else torch.nn.functional.conv2d(x, w, b)
        else:
            x = m(x)
    return x


def probe_input(n, size):
    """Exact in float32 on both sides: ((i·7919) mod 1024)/1024 − 0.5 for element i."""
    i = np.arange(n * size, dtype=np.int64)
    return torch.tensor(((i * 7919) % 1024) / 1024.0 - 0.5, dtype=torch.float32).reshape(n, size)


def tensor_summary(sd, keys):
    out = {}
    for k in keys:
        t = sd[k].detach().double().flatten()
        idx = [0, t.numel() // 2, t.numel() - 1]
        out[k] = {"shape": list(sd[k].shape), "sum": float(t.sum()), "elements": [[i, float(t[i])] for i in idx]}
    return out


def masks_of(model):
    return [m.mask.detach().flatten().tolist() for m in model.modules() if isinstance(m, Noise)]


def write_safetensors(path, sd):
    """safetensors by hand: u64 LE header length, JSON header (space-padded to 8), raw LE data."""
    names = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for k, v in sd.items():
        v = v.detach().contiguous()
        raw = v.view(torch.int16).numpy().tobytes() if v.dtype == torch.bfloat16 else v.numpy().tobytes()
        header[k] = {"dtype": names[v.dtype], "shape": list(v.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def repack(src, dst, compression):
    """Copies a zip entry by entry with another compression method."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename), compress_type=compression)


def torch_like_zip(path, pickled, name="archive"):
    """A zip laid out as torch.save lays it out, around an arbitrary pickle."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{name}/data.pkl", pickled)
        z.writestr(f"{name}/byteorder", "little")
        z.writestr(f"{name}/version", "3\n")


class SystemCall:
    """Pickles as a call of os.system: the loader must refuse it without running it."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/bmrs-import-should-not-exist",))


class EvalCall:
    def __reduce__(self):
        return (eval, ("1+1",))


def main():
    expected = {"torch": torch.__version__}

    # The authors' MLP (H=8, D=2, C=1): torch.save, and the same tensors as safetensors.
    model = mlp()
    sd = model.state_dict()
    torch.save(sd, os.path.join(HERE, "mlp.pth"))
    write_safetensors(os.path.join(HERE, "mlp.safetensors"), sd)
    x = probe_input(3, 1024)
    expected["mlp"] = {
        "spec": {"kind": "mlp", "inputChannels": 1, "hidden": 8, "depth": 2},
        "keys": list(sd.keys()),
        "tensors": tensor_summary(sd, ["0.weight", "0.bias", "2.mu", "2.logsigma", "3.0.weight", "4.2.logsigma", "5.weight", "5.bias"]),
        "masks": masks_of(model),
        "logits": forward64(model, x).flatten().tolist(),
    }

    # The same MLP under other names in a NumPy .npz (deflated), for the mapping file.
    rename = {"0.weight": "encoder.input.w", "0.bias": "encoder.input.b", "5.weight": "head.w", "5.bias": "head.b"}
    for i, k in enumerate(["2", "3.2", "4.2"]):
        for p, q in [("mu", "loc"), ("logsigma", "log_scale"), ("mask", "keep")]:
            rename[f"{k}.{p}"] = f"gates.{i}.{q}"
    for i, k in enumerate(["3.0", "4.0"]):
        rename[f"{k}.weight"], rename[f"{k}.bias"] = f"encoder.hidden.{i}.w", f"encoder.hidden.{i}.b"
    arrays = {rename[k]: v.detach().numpy() for k, v in sd.items() if k in rename}
    arrays["step"] = np.array(1234, dtype=np.int64)
    np.savez_compressed(os.path.join(HERE, "mlp_renamed.npz"), **arrays)
    ours = {"encoder.input.w": "fc1.weight", "encoder.input.b": "fc1.bias", "head.w": "fc4.weight", "head.b": "fc4.bias"}
    for i in range(3):
        ours.update({f"gates.{i}.loc": f"noise{i + 1}.mu", f"gates.{i}.log_scale": f"noise{i + 1}.logsigma",
                     f"gates.{i}.keep": f"noise{i + 1}.mask"})
    for i in range(2):
        ours.update({f"encoder.hidden.{i}.w": f"fc{i + 2}.weight", f"encoder.hidden.{i}.b": f"fc{i + 2}.bias"})
    mapping = {"network": expected["mlp"]["spec"], "parameters": {o: t for t, o in sorted(ours.items(), key=lambda kv: kv[1])},
               "ignore": ["step"]}
    with open(os.path.join(HERE, "mlp_renamed.mapping.json"), "w") as f:
        json.dump(mapping, f, indent=2)
        f.write("\n")

    # The authors' LeNet5 (C=1), values on a 2^-7 grid, zip re-packed with deflate to stay small.
    model = lenet5()
    quantise(model, 2.0 ** -7)
    sd = model.state_dict()
    raw = io.BytesIO()
    torch.save(sd, raw)
    repack(raw, os.path.join(HERE, "lenet5_deflated.pth"), zipfile.ZIP_DEFLATED)
    x = probe_input(2, 1024).reshape(2, 1, 32, 32)
    expected["lenet5"] = {
        "spec": {"kind": "lenet5", "inputChannels": 1, "hidden": 50, "depth": 5},
        "keys": list(sd.keys()),
        "tensors": tensor_summary(sd, ["0.weight", "2.mu", "4.weight", "9.weight", "14.logsigma", "15.bias"]),
        "masks": masks_of(model),
        "logits": forward64(model, x).flatten().tolist(),
    }

    # Strides, offsets, shared storages and dtypes.
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.25 - 1
    big = torch.randn(5, 6)
    tensors = collections.OrderedDict([
        ("transposed", base.t()),
        ("sliced", big[1:4, 2:5]),
        ("strided", big[::2, 1::3]),
        ("big", big),
        ("expanded", torch.tensor([1.5, -2.0, 3.0]).expand(2, 3)),
        ("half", torch.randn(2, 3).half()),
        ("bf16", torch.randn(4).bfloat16()),
        ("f64", torch.randn(2, 2).double()),
        ("scalar64", torch.tensor(0.125, dtype=torch.float64)),
        ("count", torch.tensor(7)),
        ("int8", torch.tensor([1, -2, 3], dtype=torch.int8)),
        ("empty", torch.zeros(0, 3)),
        ("param", nn.Parameter(torch.randn(3))),
    ])
    torch.save(tensors, os.path.join(HERE, "tensors.pth"))
    expected["tensors"] = {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""),
                               "values": v.detach().double().flatten().tolist()} for k, v in tensors.items()}

    # Inputs that must be refused.
    torch_like_zip(os.path.join(HERE, "evil_system.pth"),
                   pickle.dumps(collections.OrderedDict([("x", SystemCall())]), protocol=2), "evil_system")
    torch_like_zip(os.path.join(HERE, "evil_eval.pth"),
                   pickle.dumps(collections.OrderedDict([("x", EvalCall())]), protocol=2), "evil_eval")
    torch.save(nn.Linear(2, 2), os.path.join(HERE, "whole_module.pth"))
    raw = io.BytesIO()
    torch.save(collections.OrderedDict([("a", torch.tensor([1.0, 2.0]))]), raw)
    with zipfile.ZipFile(raw) as z:
        prefix = z.namelist()[0].split("/")[0]
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(os.path.join(HERE, "big_endian.pth"), "w") as zout:
        for info in zin.infolist():
            if not info.filename.endswith("/byteorder"):
                zout.writestr(info.filename, zin.read(info.filename))
        zout.writestr(f"{prefix}/byteorder", "big")

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
