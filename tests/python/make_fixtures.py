"""Writes the parity fixtures of tests/nets/ with PyTorch itself (pinned in
scripts/setup-test-python.sh). Usage: make_fixtures.py OUT_DIR [WEIGHTS_DIR]

OUT_DIR/
  arch/<name>.pth        fixed random init of each architecture, torch.save(state_dict)
                         (zip format; alexnet and vgg11-bn stored as float16, the others float32;
                         efficientnet-lite0 also as <name>.legacy.pth in the old non-zip format)
  arch/<name>.io.pt      {"input": [2,3,S,S] in [0,1], "logits": [2,1000]} and, for alexnet,
                         "grad_class" and "grad" (d softmax[class] / d input)
  pretrained/<name>.io.pt  EfficientNet-Lite with its real weights on synthetic images:
                         {"input": native size, "logits", "input_big": 300x300, "logits_big",
                          "grad_class", "grad"} (input_big resized in PyTorch by
                          interpolate(bilinear, align_corners=False, antialias=True))
  pretrained/<name>-<i>.png  the same images as 8-bit PNGs (what the CLI reads)
  reader/{zip,legacy}.pt + reader/expected.json: tensors of several dtypes, strides, offsets;
                         reader/not_a_state_dict.pt: a dict holding an int
  complete               written last
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from efficientnet_lite_pytorch import EfficientNet
from PIL import Image

torch.set_num_threads(os.cpu_count() or 1)
torch.use_deterministic_algorithms(True)
OUT = sys.argv[1]
WEIGHTS = sys.argv[2] if len(sys.argv) > 2 else ".cache/weights"
os.makedirs(f"{OUT}/arch", exist_ok=True)
os.makedirs(f"{OUT}/pretrained", exist_ok=True)
os.makedirs(f"{OUT}/reader", exist_ok=True)

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def torchvision_norm(x):
    return (x - MEAN) / STD


def tf_norm(x):
    return (255 * x - 127) / 128


def randomise_batch_norm(model, gen):
    """Non-trivial BN statistics so that the test sees eps, mean and var used right."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)


def lite(variant):
    return EfficientNet.from_name(f"efficientnet-lite{variant}")


ARCHS = [
    # name, constructor, input size, normalisation, stored dtype
    ("resnet50", lambda: torchvision.models.resnet50(), 224, torchvision_norm, torch.float32),
    ("vgg11-bn", lambda: torchvision.models.vgg11_bn(), 224, torchvision_norm, torch.float16),
    ("alexnet", lambda: torchvision.models.alexnet(), 224, torchvision_norm, torch.float16),
    (
        "inception-v3",
        lambda: torchvision.models.inception_v3(aux_logits=True, transform_input=False, init_weights=True),
        299,
        torchvision_norm,
        torch.float32,
    ),
    ("efficientnet-lite0", lambda: lite(0), 224, tf_norm, torch.float32),
    ("efficientnet-lite1", lambda: lite(1), 240, tf_norm, torch.float32),
    ("efficientnet-lite2", lambda: lite(2), 260, tf_norm, torch.float32),
]


def input_gradient(model, norm, x, cls):
    x = x.clone().requires_grad_(True)
    p = torch.softmax(model(norm(x)), dim=1)[:, cls].sum()
    p.backward()
    return x.grad.detach()


for index, (name, make, size, norm, dtype) in enumerate(ARCHS):
    torch.manual_seed(1000 + index)
    gen = torch.Generator().manual_seed(2000 + index)
    model = make().eval()
    randomise_batch_norm(model, gen)
    if dtype != torch.float32:
        # Round the weights to float16 (what the file stores) so both sides use the same values.
        model.half().float()
    state = model.state_dict()
    torch.save({k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}, f"{OUT}/arch/{name}.pth")
    if name == "efficientnet-lite0":
        torch.save(state, f"{OUT}/arch/{name}.legacy.pth", _use_new_zipfile_serialization=False)
    x = torch.rand(2, 3, size, size, generator=gen)
    with torch.no_grad():
        logits = model(norm(x))
    io = {"input": x, "logits": logits}
    if name == "alexnet":
        cls = int(logits[0].argmax())
        io["grad_class"] = torch.tensor(cls)
        io["grad"] = input_gradient(model, norm, x, cls)
    torch.save(io, f"{OUT}/arch/{name}.io.pt")
    print(f"fixtures: {name} done", flush=True)


def synthetic_images(n, size, seed):
    """Smooth colour fields with a few discs: images with some structure, 8-bit like a PNG."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = []
    for _ in range(n):
        img = np.zeros((size, size, 3))
        for c in range(3):
            a, b, ph = rng.uniform(0.5, 4, 3)
            img[..., c] = 0.5 + 0.4 * np.sin(a * 3 * xx + b * 2 * yy + ph * 6)
        for _ in range(4):
            cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.25)
            mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
            img[mask] = rng.uniform(0, 1, 3)
        out.append(np.round(np.clip(img, 0, 1) * 255).astype(np.uint8))
    return out


def as_batch(images):
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255


for variant, size in [(0, 224), (1, 240), (2, 260)]:
    name = f"efficientnet-lite{variant}"
    model = EfficientNet.from_pretrained(name, weights_path=f"{WEIGHTS}/{name}.pth").eval()
    images = synthetic_images(3, size, 10 + variant)
    big = synthetic_images(1, 300, 20 + variant)
    for i, img in enumerate(images + big):
        Image.fromarray(img).save(f"{OUT}/pretrained/{name}-{i}.png")
    x, x_big = as_batch(images), as_batch(big)
    with torch.no_grad():
        logits = model(tf_norm(x))
        resized = F.interpolate(x_big, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        logits_big = model(tf_norm(resized))
    cls = int(logits[0].argmax())
    grad = input_gradient(model, tf_norm, x[:1], cls)
    io = {"input": x, "logits": logits, "input_big": x_big, "logits_big": logits_big,
          "grad_class": torch.tensor(cls), "grad": grad}
    torch.save(io, f"{OUT}/pretrained/{name}.io.pt")
    print(f"fixtures: pretrained {name} done", flush=True)

# Reader cases: views that are not plain contiguous tensors, and several dtypes.
base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
cases = {
    "f32": base,
    "transposed": base.t(),
    "offset_slice": base[1:3, 2:5],
    "strided": base[::2, ::3],
    "shares_storage": base[2],
    "f16": (base * 3).half(),
    "bf16": (base - 1).bfloat16(),
    "f64": base.double() / 3,
    "i64": torch.tensor([[-(2**40), 3], [7, 2**33]], dtype=torch.int64),
    "i32": torch.tensor([-5, 6, 2**30], dtype=torch.int32),
    "u8": torch.tensor([0, 128, 255], dtype=torch.uint8),
    "scalar": torch.tensor(2.5),
    "empty": torch.zeros(0, 3),
    "param": torch.nn.Parameter(base[:, :2]),
}
torch.save(cases, f"{OUT}/reader/zip.pt")
torch.save(cases, f"{OUT}/reader/legacy.pt", _use_new_zipfile_serialization=False)
expected = {
    k: {"dtype": str(v.dtype).removeprefix("torch."), "shape": list(v.shape),
        "values": v.detach().double().flatten().tolist()}
    for k, v in cases.items()
}
torch.save({"epoch": 3, "weight": base}, f"{OUT}/reader/not_a_state_dict.pt")
with open(f"{OUT}/reader/expected.json", "w") as f:
    json.dump(expected, f)

with open(f"{OUT}/complete", "w") as f:
    f.write("ok\n")
