#!/usr/bin/python3
"""Reference outputs of the anchor's PyTorch models for test/nn/pytorch-reference.test.ts.

Run from the project root:
  /usr/bin/python3 test/nn/pytorch_reference.py > test/nn/pytorch-reference.json
The models are the anchor's own (../shared/anchors/pytorch/throughput.py). Parameters are filled
with a fixed formula over the concatenation of all parameters in named_parameters() order, which
is also pretext's namedParameters() order, so both sides hold identical weights without files.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'anchors', 'pytorch'))
from throughput import build_models  # noqa: E402

torch.set_default_dtype(torch.float64)


def fill(module, scale):
    k = 0
    with torch.no_grad():
        for _, p in module.named_parameters():
            n = p.numel()
            idx = torch.arange(k, k + n, dtype=torch.float64)
            p.copy_((scale * torch.sin(0.7 * idx + 0.3)).reshape(p.shape))
            k += n


def inputs(n):
    return torch.sin(0.37 * torch.arange(n, dtype=torch.float64) + 1.0)


m = build_models()
out = {}

gpt = m['TinyGPT'](7, 8, 2, 2, 6)
fill(gpt, 0.5)
ids = torch.tensor([[1, 2, 3, 4, 5], [6, 0, 6, 1, 2]])
out['tinygpt_logits'] = gpt(ids).flatten().tolist()

enc = m['Encoder']()
fill(enc, 0.1)
with torch.no_grad():
    for name, b in enc.named_buffers():
        if name.endswith('running_mean'):
            b.copy_(0.1 * torch.sin(torch.arange(b.numel(), dtype=torch.float64)))
        elif name.endswith('running_var'):
            b.copy_(1 + 0.5 * torch.sin(torch.arange(b.numel(), dtype=torch.float64)) ** 2)
x = inputs(2 * 8 * 8).reshape(2, 1, 8, 8)
enc.eval()
out['cnn_eval'] = enc(x).flatten().tolist()
enc.train()
y = enc(x)
out['cnn_train'] = y.flatten().tolist()
out['cnn_train_running_mean_block5'] = enc.net[15].running_mean.tolist()
out['cnn_train_running_var_block5'] = enc.net[15].running_var.tolist()
print(json.dumps({k: [float("%.8g" % v) for v in vs] for k, vs in out.items()}))
