"""TorchScript files for tests/nets/torchscript.rs, written by the pinned PyTorch
(scripts/setup-test-python.sh), and PyTorch's own scores on images semrob rendered.

  torchscript.py make OUT_DIR
      OUT_DIR/resnet18.pt            torchvision ResNet18, random weights (seed 0), traced
      OUT_DIR/mobilenet_v3_small.pt  torchvision MobileNetV3-Small, random weights, traced
      OUT_DIR/resnet18_10.pt         ResNet18 with 10 output classes, traced
      OUT_DIR/softmax10.pt           ResNet18 with 10 classes and a softmax: probabilities
      OUT_DIR/tuple.pt               returns (logits, pooled features): a tuple
      OUT_DIR/fixed32.pt             a linear layer on a flattened 3x32x32 image, scripted:
                                     rejects any other input size
      OUT_DIR/state_dict.pt          torch.save of a state dict: not TorchScript
      OUT_DIR/complete               written last

  torchscript.py eval MODEL IMAGES B H W SIZE OUT
      IMAGES: B x 3 x H x W float32 (little endian, row-major) in [0, 1]. Resized to SIZE
      (bilinear, antialias, align_corners=False) when H or W differ, normalised with
      torchvision's mean and std, run through MODEL; OUT gets the output rows as float32.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

torch.set_num_threads(os.cpu_count() or 1)
torch.use_deterministic_algorithms(True)

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def randomise_batch_norm(model, gen):
    """Non-trivial BN statistics, so that eval mode uses them visibly."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)


def traced(model, size=224):
    model.eval()
    return torch.jit.trace(model, torch.rand(1, 3, size, size))


class Tuple(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        y = self.net(x)
        return y, y.mean(dim=1)


class Softmax(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)


class Fixed32(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3 * 32 * 32, 1000)

    def forward(self, x):
        return self.fc(x.reshape(x.shape[0], 3 * 32 * 32))


def make(out):
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    r18 = torchvision.models.resnet18(weights=None)
    randomise_batch_norm(r18, gen)
    traced(r18).save(f"{out}/resnet18.pt")
    mnv3 = torchvision.models.mobilenet_v3_small(weights=None)
    randomise_batch_norm(mnv3, gen)
    traced(mnv3).save(f"{out}/mobilenet_v3_small.pt")
    r18_10 = torchvision.models.resnet18(weights=None, num_classes=10)
    randomise_batch_norm(r18_10, gen)
    traced(r18_10).save(f"{out}/resnet18_10.pt")
    traced(Softmax(r18_10)).save(f"{out}/softmax10.pt")
    traced(Tuple(r18_10)).save(f"{out}/tuple.pt")
    torch.jit.script(Fixed32().eval()).save(f"{out}/fixed32.pt")
    torch.save(r18_10.state_dict(), f"{out}/state_dict.pt")
    open(f"{out}/complete", "w").close()


def evaluate(model_path, images, b, h, w, size, out):
    model = torch.jit.load(model_path).eval()
    x = torch.from_numpy(np.fromfile(images, dtype="<f4").reshape(b, 3, h, w).copy())
    if h != size or w != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    with torch.no_grad():
        y = model((x - MEAN) / STD)
    y.numpy().astype("<f4").tofile(out)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "eval":
        m, images, b, h, w, size, out = sys.argv[2:9]
        evaluate(m, images, int(b), int(h), int(w), int(size), out)
    else:
        sys.exit(f"unknown command {sys.argv[1]!r}: make or eval")
