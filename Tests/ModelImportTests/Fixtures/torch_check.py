#!/usr/bin/env python3
"""Loads what `bmrs export` and `bmrs compact --format safetensors` wrote into PyTorch, the
way the authors' code would, and prints what PyTorch sees as JSON, for ExportTests to compare
with bmrs (run by the tests with Debian's python3-torch: /usr/bin/python3).

    torch_check.py SPEC.json EXPORTED.pth [COMPACT.safetensors COMPACT.architecture.json]

SPEC.json: {"kind": "mlp"|"lenet5", "channels": C, "hidden": H, "depth": D,
            "pruning_eps": true|false, "images": N, "images_file": PATH (optional)}

The input is N probe images, or N images read from PATH (raw little-endian float32,
N × C·32·32, preprocessed by bmrs).

The networks are the authors' `nn.Sequential`s (their modules/classifiers.py) with noise
modules that register the parameters of their noise-layer classes in the same order
(umin, umax, mu, logsigma, mask, and pruning_eps for their BMRS_N class), so
`load_state_dict(strict=True)` fails on any missing, extra or misshapen key exactly as it
would with their classes. Evaluation multiplies by E[θ]·mask (SPEC §1), E[θ] computed in
float64 and rounded to float32 as bmrs does; everything else runs in float32.
The compacted network is rebuilt from its architecture JSON alone; its safetensors file is
parsed by hand (the PyPI safetensors package is not needed).
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

A, B, LS_MIN, LS_MAX = -20.0, 0.0, -20.0, 5.0


class Noise(nn.Module):
    def __init__(self, shape, pruning_eps):
        super().__init__()
        self.umin = nn.Parameter(torch.tensor([0.0]), requires_grad=False)
        self.umax = nn.Parameter(torch.tensor([1.0]), requires_grad=False)
        self.mu = nn.Parameter(torch.zeros(shape))
        self.logsigma = nn.Parameter(torch.ones(shape) * -5)
        self.mask = nn.Parameter(torch.ones(shape), requires_grad=False)
        if pruning_eps:
            self.pruning_eps = nn.Parameter(torch.tensor(np.sqrt(1e-12)).double(), requires_grad=False)

    def forward(self, x):
        mu = self.mu.detach().double()
        s = self.logsigma.detach().double().clamp(LS_MIN, LS_MAX).exp()
        al, be = (A - mu) / s, (B - mu) / s
        phi = torch.special.ndtr
        e = torch.exp(mu + s * s / 2) * (phi(s - al) - phi(s - be)) / (phi(be) - phi(al))
        return x * (e.float() * self.mask)


def mlp(c, h, depth, eps):
    blocks = [nn.Sequential(nn.Linear(h, h), nn.Tanh(), Noise([h], eps)) for _ in range(depth)]
    return nn.Sequential(nn.Linear(1024 * c, h), nn.Tanh(), Noise([h], eps), *blocks, nn.Linear(h, 10))


def lenet5(c, eps):
    return nn.Sequential(
        nn.Conv2d(c, 6 * c, 5), nn.ReLU(), Noise([6 * c, 1, 1], eps), nn.MaxPool2d(2),
        nn.Conv2d(6 * c, 16 * c, 5), nn.ReLU(), Noise([16 * c, 1, 1], eps), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400 * c, 120 * c), nn.ReLU(), Noise([120 * c], eps),
        nn.Linear(120 * c, 84 * c), nn.ReLU(), Noise([84 * c], eps), nn.Linear(84 * c, 10))


def probe_input(n, c):
    """((i·7919) mod 1024)/1024 − 0.5 for element i: exact in float32 on both sides."""
    i = np.arange(n * 1024 * c, dtype=np.int64)
    return torch.tensor(((i * 7919) % 1024) / 1024.0 - 0.5, dtype=torch.float32)


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    types = {"F32": np.float32, "F64": np.float64}
    out = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[8 + n + b:8 + n + e], dtype=types[v["dtype"]]).reshape(v["shape"]).copy())
    return out


def from_architecture(arch):
    make = {
        "linear": lambda l: nn.Linear(l["in_features"], l["out_features"]),
        "conv2d": lambda l: nn.Conv2d(l["in_channels"], l["out_channels"], l["kernel"]),
        "tanh": lambda l: nn.Tanh(),
        "relu": lambda l: nn.ReLU(),
        "maxpool2d": lambda l: nn.MaxPool2d(l["kernel"]),
        "flatten": lambda l: nn.Flatten(),
    }
    assert [l["index"] for l in arch["layers"]] == list(range(len(arch["layers"])))
    return nn.Sequential(*[make[l["kind"]](l) for l in arch["layers"]])


def main():
    spec = json.load(open(sys.argv[1]))
    c, n = spec["channels"], spec["images"]
    state = torch.load(sys.argv[2])
    result = {"type": type(state).__name__,
              "keys": [[k, list(v.shape), str(v.dtype).replace("torch.", ""), float(v.double().sum())] for k, v in state.items()]}
    model = lenet5(c, spec["pruning_eps"]) if spec["kind"] == "lenet5" else mlp(c, spec["hidden"], spec["depth"], spec["pruning_eps"])
    model.load_state_dict(state, strict=True)
    model.eval()
    x = torch.from_numpy(np.fromfile(spec["images_file"], dtype="<f4")) if "images_file" in spec else probe_input(n, c)
    x = x.reshape(n, c, 32, 32) if spec["kind"] == "lenet5" else x.reshape(n, 1024 * c)
    with torch.no_grad():
        result["logits"] = model(x).flatten().tolist()
    if len(sys.argv) > 4:
        arch = json.load(open(sys.argv[4]))
        compact = from_architecture(arch)
        compact.load_state_dict(read_safetensors(sys.argv[3]), strict=True)
        compact.eval()
        with torch.no_grad():
            result["compact_logits"] = compact(x.reshape([n] + arch["input"])).flatten().tolist()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
