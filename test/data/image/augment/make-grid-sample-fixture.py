"""Writes grid-sample-fixture.json: torch 1.13 affine_grid + grid_sample (bilinear, zeros,
align_corners=False) on random batches, the PyTorch anchor's resampling, for geometric.test.ts.
Run: /usr/bin/python3 test/data/image/augment/make-grid-sample-fixture.py"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
cases = []
for (n, c, h, w) in [(4, 1, 28, 28), (3, 2, 5, 7)]:
    x = torch.rand(n, c, h, w)
    x = (x * 1e6).round() / 1e6  # the values stored in the JSON, so both sides read the same input
    rows = []
    for k in range(n):
        th = math.radians([15.0, -90.0, 7.0, -3.0][k])
        t = math.tan(math.radians([10.0, 0.0, -8.0, 4.0][k]))
        cw, ch_ = [0.7, 1.0, 0.9, 1.0][k], [0.8, 1.0, 0.6, 1.0][k]
        cx, cy = [0.2, 0.0, -0.1, 0.9][k], [-0.15, 0.0, 0.3, -0.7][k]
        co, si = math.cos(th), math.sin(th)
        rows.append([[co * cw, (co * t - si) * ch_, cx], [si * cw, (si * t + co) * ch_, cy]])
    theta = torch.tensor(rows[:n], dtype=torch.float32)
    grid = F.affine_grid(theta, [n, c, h, w], align_corners=False)
    y = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=False)
    cases.append({"shape": [n, c, h, w], "theta": theta.flatten().tolist(), "input": [round(v, 6) for v in x.flatten().tolist()],
                  "output": [round(v, 6) for v in y.flatten().tolist()]})
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "grid-sample-fixture.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
