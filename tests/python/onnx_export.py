"""ONNX files for tests/nets/onnx.rs, exported by the pinned PyTorch's torch.onnx.export
(scripts/setup-test-python.sh pins onnx and onnxscript), each beside the same network as
TorchScript where libtorch is to run it too.

  onnx_export.py lite0 OUT_FILE [WEIGHTS_DIR]
      EfficientNet-Lite0 with its pretrained weights alone, written to OUT_FILE.tmp and
      renamed (scripts/fidelity.sh runs its reference on it through ONNX Runtime)

  onnx_export.py make OUT_DIR [WEIGHTS_DIR]
      OUT_DIR/resnet18.{onnx,pt}            torchvision ResNet18, random weights (seed 0):
                                             torchvision's ImageNet weights are in no package here
      OUT_DIR/mobilenet_v3_small.{onnx,pt}  torchvision MobileNetV3-Small, random weights
      OUT_DIR/efficientnet-lite0.onnx       EfficientNet-Lite0 with its pretrained weights
                                             (WEIGHTS_DIR/efficientnet-lite0.pth, scripts/setup.sh)
      OUT_DIR/batch1.onnx                   ResNet18 exported with a fixed batch of 1
      OUT_DIR/resnet18_10.onnx              ResNet18 with 10 output classes
      OUT_DIR/bytes.onnx                    takes uint8 images (not float)
      OUT_DIR/tuple.onnx                    returns (logits, their mean): two outputs
      OUT_DIR/flat.onnx                     takes flattened images [B, 3*224*224]
      OUT_DIR/not_onnx.onnx                 a text file
      OUT_DIR/complete                      written last

Every other file has a dynamic batch axis; all take [B, 3, 224, 224] normalised images.
"""
import os
import sys

import torch
import torchvision
from efficientnet_lite_pytorch import EfficientNet

torch.set_num_threads(os.cpu_count() or 1)


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


def export(model, path, example, dynamic_batch=True):
    model.eval()
    shapes = ({0: torch.export.Dim("batch", min=1, max=1024)},) if dynamic_batch else None
    torch.onnx.export(
        model, (example,), path, input_names=["x"], output_names=["scores"],
        dynamic_shapes=shapes, dynamo=True, external_data=False, verbose=False,
    )


class Bytes(torch.nn.Module):
    """Takes uint8 pixels: a network whose input is not float."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x.float() / 255)


class Tuple(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        y = self.net(x)
        return y, y.mean(dim=1)


class Flat(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x.reshape(x.shape[0], 3, 224, 224))


def pretrained_lite0(weights):
    return EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=f"{weights}/efficientnet-lite0.pth"
    ).eval()


def lite0_only(out_file, weights):
    torch.manual_seed(0)
    os.makedirs(os.path.dirname(out_file) or ".", exist_ok=True)
    export(pretrained_lite0(weights), out_file + ".tmp", torch.rand(2, 3, 224, 224))
    os.replace(out_file + ".tmp", out_file)


def make(out, weights):
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    x = torch.rand(2, 3, 224, 224)
    r18 = torchvision.models.resnet18(weights=None).eval()
    randomise_batch_norm(r18, gen)
    export(r18, f"{out}/resnet18.onnx", x)
    torch.jit.trace(r18, x[:1]).save(f"{out}/resnet18.pt")
    export(r18, f"{out}/batch1.onnx", x[:1], dynamic_batch=False)
    mnv3 = torchvision.models.mobilenet_v3_small(weights=None).eval()
    randomise_batch_norm(mnv3, gen)
    export(mnv3, f"{out}/mobilenet_v3_small.onnx", x)
    torch.jit.trace(mnv3, x[:1]).save(f"{out}/mobilenet_v3_small.pt")
    export(pretrained_lite0(weights), f"{out}/efficientnet-lite0.onnx", x)
    r18_10 = torchvision.models.resnet18(weights=None, num_classes=10).eval()
    export(r18_10, f"{out}/resnet18_10.onnx", x)
    export(Bytes(r18_10), f"{out}/bytes.onnx", (255 * x).to(torch.uint8))
    export(Tuple(r18_10), f"{out}/tuple.onnx", x)
    export(Flat(r18_10), f"{out}/flat.onnx", x.reshape(2, -1))
    with open(f"{out}/not_onnx.onnx", "w") as f:
        f.write("not a model\n")
    open(f"{out}/complete", "w").close()


if __name__ == "__main__":
    weights_dir = sys.argv[3] if len(sys.argv) > 3 else ".cache/weights"
    if sys.argv[1] == "make":
        make(sys.argv[2], weights_dir)
    elif sys.argv[1] == "lite0":
        lite0_only(sys.argv[2], weights_dir)
    else:
        sys.exit(f"unknown command {sys.argv[1]!r}: make or lite0")
