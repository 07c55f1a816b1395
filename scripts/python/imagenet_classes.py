"""Writes the 1000 ImageNet-1k class names, one per line in class-index order, from
torchvision's own metadata (run once; the output src/nets/imagenet_classes.txt is committed).

    .venv-torch/bin/python scripts/python/imagenet_classes.py > src/nets/imagenet_classes.txt
"""
from torchvision.models import ResNet50_Weights

categories = ResNet50_Weights.IMAGENET1K_V1.meta["categories"]
assert len(categories) == 1000
for name in categories:
    assert "\n" not in name
    print(name)
