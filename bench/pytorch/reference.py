#!/usr/bin/python3
"""PyTorch reference figures for `npm run bench`: the same models and batches as bench/*.ts.

Each workload runs in a child process (own allocator, own peak RSS) with 2 threads, under PyTorch's
best CPU settings on this kind of machine (see ../shared/anchors/pytorch/README.md):
OMP_WAIT_POLICY=PASSIVE, glibc malloc tuned not to unmap/trim (ONNX Runtime has its own arena, so
this is like for like), and for the CNNs both NCHW and channels-last, keeping the faster.

Usage: /usr/bin/python3 bench/pytorch/reference.py [--only simclr,ae] [--steps N]
Prints one JSON object per workload: {"bench", "unit", "value", "rss_mb", "setting"}.
"""
import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

GLIBC_TUNED = 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=281474976710655:glibc.malloc.hugetlb=1'
WORKLOADS = {
    # name: (unit, formats to try)
    'supervised': ('images/s', ['nchw', 'channels_last']),
    'simclr': ('images/s', ['nchw', 'channels_last']),
    'ae': ('images/s', ['nchw']),
    'lm': ('tokens/s', ['nchw']),
    'infer': ('images/s', ['nchw', 'channels_last']),
}


def child(name, fmt_name, warmup, steps):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(2)
    torch.manual_seed(0)
    fmt = torch.channels_last if fmt_name == 'channels_last' else torch.contiguous_format

    def cbr(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    def small_cnn():
        return nn.Sequential(*cbr(1, 32), *cbr(32, 32), nn.MaxPool2d(2), *cbr(32, 64), *cbr(64, 64), nn.MaxPool2d(2),
                             *cbr(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten()).to(memory_format=fmt)

    class Block(nn.Module):
        def __init__(self, d, heads):
            super().__init__()
            self.heads = heads
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x, mask):
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
            q, k, v = (u.view(b, t, self.heads, c // self.heads).transpose(1, 2) for u in (q, k, v))
            att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.heads)
            att = att.masked_fill(mask[:t, :t] == 0, float('-inf')).softmax(-1)
            x = x + self.proj((att @ v).transpose(1, 2).contiguous().view(b, t, c))
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    class Gpt(nn.Module):
        def __init__(self, vocab=100, d=128, layers=4, heads=4, ctx=128):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
            self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
            self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)
            self.register_buffer('mask', torch.tril(torch.ones(ctx, ctx)))

        def forward(self, idx):
            x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
            for blk in self.blocks:
                x = blk(x, self.mask)
            return self.head(self.ln(x))

    g = torch.Generator().manual_seed(0)
    if name == 'supervised':
        enc, clf = small_cnn(), nn.Linear(128, 10)
        opt = torch.optim.Adam([*enc.parameters(), *clf.parameters()], lr=1e-3)
        x = torch.rand(256, 1, 28, 28, generator=g).contiguous(memory_format=fmt)
        y = torch.randint(0, 10, (256,), generator=g)
        per_step = 256

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(clf(enc(x)), y).backward()
            opt.step()
    elif name == 'simclr':
        enc = small_cnn()
        head = nn.Sequential(nn.Linear(128, 128), nn.ReLU(inplace=True), nn.Linear(128, 64))
        opt = torch.optim.Adam([*enc.parameters(), *head.parameters()], lr=1e-3)
        views = torch.rand(512, 1, 28, 28, generator=g).contiguous(memory_format=fmt)
        per_step = 256

        def step():
            opt.zero_grad(set_to_none=True)
            z = F.normalize(head(enc(views)), dim=1)
            sim = z @ z.t() / 0.5
            sim.fill_diagonal_(float('-inf'))
            target = torch.cat([torch.arange(256, 512), torch.arange(0, 256)])
            F.cross_entropy(sim, target).backward()
            opt.step()
    elif name == 'ae':
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(inplace=True), nn.Linear(512, 128),
                              nn.Linear(128, 512), nn.ReLU(inplace=True), nn.Linear(512, 784), nn.Sigmoid())
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.rand(256, 784, generator=g)
        per_step = 256

        def step():
            opt.zero_grad(set_to_none=True)
            F.mse_loss(model(x), x).backward()
            opt.step()
    elif name == 'lm':
        model = Gpt()
        opt = torch.optim.Adam(model.parameters(), lr=3e-4)
        idx = torch.randint(0, 100, (64, 129), generator=g)
        per_step = 64 * 128

        def step():
            opt.zero_grad(set_to_none=True)
            logits = model(idx[:, :-1])
            F.cross_entropy(logits.reshape(-1, 100), idx[:, 1:].reshape(-1)).backward()
            opt.step()
    elif name == 'infer':
        enc = small_cnn().eval()
        x = torch.rand(1024, 1, 28, 28, generator=g).contiguous(memory_format=fmt)
        per_step = 1024

        def step():
            with torch.inference_mode():
                enc(x)
    else:
        raise SystemExit(f'unknown workload {name}')

    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({'value': per_step / median, 'median_s': median,
                      'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--child', nargs=2, default=None)
    ap.add_argument('--only', default=None)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=5)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], a.child[1], a.warmup, a.steps)
        return
    env = dict(os.environ, OMP_WAIT_POLICY='PASSIVE', GLIBC_TUNABLES=GLIBC_TUNED)
    names = a.only.split(',') if a.only else list(WORKLOADS)
    for name in names:
        unit, formats = WORKLOADS[name]
        best = None
        for fmt in formats:
            cmd = [sys.executable, os.path.abspath(__file__), '--child', name, fmt,
                   '--steps', str(a.steps), '--warmup', str(a.warmup)]
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if p.returncode != 0:
                sys.stderr.write(p.stderr)
                continue
            r = json.loads(p.stdout.strip().splitlines()[-1])
            if best is None or r['value'] > best['value']:
                best = dict(r, setting=f'{fmt}, OMP_WAIT_POLICY=PASSIVE, tuned malloc')
        if best is not None:
            print(json.dumps({'bench': name, 'unit': unit, 'value': best['value'], 'rss_mb': best['rss_mb'],
                              'setting': best['setting']}), flush=True)


if __name__ == '__main__':
    main()
