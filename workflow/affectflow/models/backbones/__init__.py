"""Pretrained-network backbones written in plain torch with torchvision's state-dict layout, so
published weights load from a local ``.pth`` file without torchvision.

- ``r2plus1d``: R(2+1)D-18 (Tran et al. 2018; torchvision ``r2plus1d_18``, Kinetics-400 weights).
- ``resnet``: ResNet18 (He et al. 2016; torchvision ``resnet18``, ImageNet weights), and the
  adaptation of its first convolution to one-channel inputs (spectrograms).
- ``weights``: strict loading of a local state-dict file, with an error naming the file and the
  missing/unexpected/mis-shaped keys.
"""
