#!/usr/bin/python3
"""Reference outputs of a tiny ViT written as one would in PyTorch, for test/nn/encoders/vit.test.ts.

Run from the project root:
  /usr/bin/python3 test/nn/encoders/vit_reference.py > test/nn/encoders/vit-reference.json
The patch embedding is a strided Conv2d (the usual PyTorch form), so the test also checks that
pretext's reshape + Linear takes the pixels in the conv's (c, ky, kx) order. Parameters are filled
with scale*sin(0.7k + 0.3) over all parameters in named_parameters() order, which is pretext's
namedParameters() order, as test/nn/pytorch_reference.py does.
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

C, H, W, P, D, LAYERS, HEADS, RATIO = 2, 8, 12, 4, 8, 2, 2, 2


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.ln2 = nn.LayerNorm(D)
        self.fc1, self.fc2 = nn.Linear(D, RATIO * D), nn.Linear(RATIO * D, D)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (u.view(b, t, HEADS, c // HEADS).transpose(1, 2) for u in (q, k, v))
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(c // HEADS)).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, c))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class Vit(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(C, D, P, stride=P)
        self.pos = nn.Parameter(torch.zeros(H // P * (W // P), D))
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln = nn.LayerNorm(D)

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2) + self.pos  # [N, T, D]
        for blk in self.blocks:
            t = blk(t)
        return self.ln(t.mean(1))  # [N, D]


def fill(module, scale):
    k = 0
    with torch.no_grad():
        for _, p in module.named_parameters():
            n = p.numel()
            p.copy_((scale * torch.sin(0.7 * torch.arange(k, k + n, dtype=torch.float64) + 0.3)).reshape(p.shape))
            k += n


model = Vit()
fill(model, 0.3)
x = torch.sin(0.37 * torch.arange(3 * C * H * W, dtype=torch.float64) + 1.0).reshape(3, C, H, W)
print(json.dumps({'names': [n for n, _ in model.named_parameters()], 'vit_output': model(x).flatten().tolist()}))
