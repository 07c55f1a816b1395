"""PyTorch eager side of benches/nets.rs: the same networks, weights, batch sizes and
threads, timed the same way (softmax probabilities of a [B,3,S,S] batch, no grad).

    .venv-torch/bin/python scripts/peers/classify_torch.py [--threads 2] [--models a,b] [--batches 1,8,32]

Prints median ms per batch and images/s; when `cargo bench --bench nets` has run, also
semrob's criterion estimate (target/criterion/nets/<model>/<batch>) and the ratio
semrob time / PyTorch time (below 1: semrob faster).
"""
import argparse
import json
import os
import statistics
import time

import torch
import torchvision
from efficientnet_lite_pytorch import EfficientNet

SIZES = {"resnet50": 224, "vgg11-bn": 224, "alexnet": 224, "inception-v3": 299,
         "efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260}
HEAVY = {"resnet50", "vgg11-bn", "inception-v3"}


def build(name, weights_dir):
    if name.startswith("efficientnet-lite"):
        path = os.path.join(weights_dir, f"{name}.pth")
        model = EfficientNet.from_pretrained(name, weights_path=path)
        return model.eval(), lambda x: (255 * x - 127) / 128
    make = {"resnet50": torchvision.models.resnet50, "vgg11-bn": torchvision.models.vgg11_bn,
            "alexnet": torchvision.models.alexnet,
            "inception-v3": lambda: torchvision.models.inception_v3(aux_logits=True, init_weights=True)}[name]
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return make().eval(), lambda x: (x - mean) / std


def time_batch(model, norm, batch, size, budget_s):
    i = torch.arange(batch * 3 * size * size, dtype=torch.int64)
    x = ((i * 7919) % 1000).float().div(999).view(batch, 3, size, size)
    with torch.no_grad():
        for _ in range(2):
            torch.softmax(model(norm(x)), dim=1)
        times = []
        start = time.perf_counter()
        while len(times) < 10 or (time.perf_counter() - start < budget_s and len(times) < 200):
            t0 = time.perf_counter()
            torch.softmax(model(norm(x)), dim=1)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def semrob_estimate(name, batch):
    path = f"target/criterion/nets/{name}/{batch}/new/estimates.json"
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--models", default=",".join(SIZES))
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--budget", type=float, default=3.0, help="seconds of measurement per case")
    ap.add_argument("--full", action="store_true", help="also batch 32 of the heavy models")
    ap.add_argument("--weights-dir", default=".cache/weights")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'model':<20} {'batch':>5} {'torch ms':>10} {'img/s':>8} {'semrob ms':>10} {'ratio':>6}")
    for name in args.models.split(","):
        model, norm = build(name, args.weights_dir)
        for batch in map(int, args.batches.split(",")):
            if batch == 32 and name in HEAVY and not args.full:
                continue
            t = time_batch(model, norm, batch, SIZES[name], args.budget)
            ours = semrob_estimate(name, batch)
            extra = f"{ours * 1e3:>10.1f} {ours / t:>6.2f}" if ours else f"{'-':>10} {'-':>6}"
            print(f"{name:<20} {batch:>5} {t * 1e3:>10.1f} {batch / t:>8.1f} {extra}", flush=True)


if __name__ == "__main__":
    main()
