"""Images per second of the paper's four torchvision networks on one GPU, for the cost
projection of the ShapeNet experiment (docs/cli.md "On a GPU", BENCHMARKS.md "GPU").

Runs on the lent GPU machine (scripts/gpu-check.sh calls it): PyTorch eager, float32,
eval mode, no autograd, random weights (torchvision's `weights=None`: the time of a forward
pass does not depend on the weights' values), inputs at each network's own size (224², and
299² for Inception v3), as semrob feeds them. Prints one JSON object per network and batch.

Usage: python3 gpu_throughput.py [--batches 64,256,512] [--seconds 2.0]
"""

import argparse
import json
import time

import torch
import torchvision.models as tvm

NETWORKS = [
    ("resnet50", lambda: tvm.resnet50(weights=None), 224),
    ("vgg11-bn", lambda: tvm.vgg11_bn(weights=None), 224),
    ("alexnet", lambda: tvm.alexnet(weights=None), 224),
    ("inception-v3", lambda: tvm.inception_v3(weights=None, aux_logits=True, init_weights=False), 299),
]


def images_per_second(net, size, batch, seconds):
    x = torch.rand(batch, 3, size, size, device="cuda")
    with torch.inference_mode():
        for _ in range(3):  # warm-up: cuDNN's algorithm choice, allocator
            net(x)
        torch.cuda.synchronize()
        n, start = 0, time.perf_counter()
        while True:
            net(x)
            n += 1
            torch.cuda.synchronize()
            elapsed = time.perf_counter() - start
            if elapsed >= seconds and n >= 3:
                return n * batch / elapsed, n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batches", default="64,256,512")
    p.add_argument("--seconds", type=float, default=2.0)
    a = p.parse_args()
    print(json.dumps({"torch": torch.__version__, "device": torch.cuda.get_device_name(0),
                      "cudnn_benchmark": torch.backends.cudnn.benchmark}))
    for name, make, size in NETWORKS:
        net = make().eval().cuda()
        for batch in (int(b) for b in a.batches.split(",")):
            rate, n = images_per_second(net, size, batch, a.seconds)
            print(json.dumps({"network": name, "input": size, "batch": batch,
                              "images_per_second": round(rate, 1), "forward_passes": n}),
                  flush=True)
        del net
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
