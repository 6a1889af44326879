#!/usr/bin/python3
"""PyTorch's figure for bench/generation.ts: greedy generation with a key/value cache.

The bench's LM (vocab 100, d 128, 4 layers, 4 heads, context 128, the same blocks as
bench/pytorch/reference.py), random init, batch 1: a 16-token prompt, then 256 greedy tokens.
Written as one would in PyTorch: a key and a value cache tensor per layer ([B, H, context, hd],
preallocated), the prompt in one forward pass (prefill), then one token per forward pass, all
under torch.inference_mode(). At the context limit it does what pretext's generateTokens does
with contextLimit "slide": the caches are rebuilt from the last context/2 tokens in one prefill.

Each thread count runs in its own child process under PyTorch's best CPU settings on this machine
(../shared/anchors/pytorch/README.md): OMP_WAIT_POLICY=PASSIVE and glibc malloc tuned not to trim.

Usage: /usr/bin/python3 bench/pytorch/generation.py [--threads 1,2] [--rounds 5] [--tokens 256]
Prints one JSON line per thread count, then the best: {"bench", "unit", "value", "setting", "tokens"}.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

GLIBC_TUNED = 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=281474976710655:glibc.malloc.hugetlb=1'


def child(threads, rounds, n_tokens, prompt_len):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)

    class Block(nn.Module):
        def __init__(self, d, heads):
            super().__init__()
            self.heads = heads
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x, k_cache, v_cache, start):
            """x: [B, T, d] at positions start..start+T-1; writes its keys and values into the caches."""
            b, t, c = x.shape
            hd = c // self.heads
            q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
            q, k, v = (u.view(b, t, self.heads, hd).transpose(1, 2) for u in (q, k, v))  # [B, H, T, hd]
            end = start + t
            k_cache[:, :, start:end] = k
            v_cache[:, :, start:end] = v
            keys, values = k_cache[:, :, :end], v_cache[:, :, :end]  # [B, H, end, hd]
            att = (q @ keys.transpose(-2, -1)) / math.sqrt(hd)  # [B, H, T, end]
            if t > 1:
                mask = torch.ones(t, end, dtype=torch.bool).tril(diagonal=start)
                att = att.masked_fill(~mask, float('-inf'))
            y = att.softmax(-1) @ values  # [B, H, T, hd]
            x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    class Gpt(nn.Module):
        def __init__(self, vocab=100, d=128, layers=4, heads=4, ctx=128):
            super().__init__()
            self.ctx, self.heads, self.hd = ctx, heads, d // heads
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
            self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
            self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)

        def new_caches(self, b):
            shape = (b, self.heads, self.ctx, self.hd)
            return [(torch.zeros(shape), torch.zeros(shape)) for _ in self.blocks]

        def forward(self, idx, caches, start):
            """idx: [B, T] at positions start..start+T-1 → logits of the last token [B, vocab]."""
            t = idx.shape[1]
            x = self.tok(idx) + self.pos(torch.arange(start, start + t))
            for blk, (k, v) in zip(self.blocks, caches):
                x = blk(x, k, v, start)
            return self.head(self.ln(x[:, -1]))

    model = Gpt().eval()
    prompt = [(7 * i + 3) % 100 for i in range(prompt_len)]
    keep = model.ctx // 2

    def generate():
        history = list(prompt)
        caches = model.new_caches(1)
        logits = model(torch.tensor([prompt]), caches, 0)
        pos = len(prompt)
        out = []
        while True:
            nxt = int(logits.argmax(-1))
            out.append(nxt)
            history.append(nxt)
            if len(out) == n_tokens:
                return out
            if pos == model.ctx:
                window = history[-keep:]
                caches = model.new_caches(1)
                logits = model(torch.tensor([window]), caches, 0)
                pos = len(window)
            else:
                logits = model(torch.tensor([[nxt]]), caches, pos)
                pos += 1

    def check():
        """The cached step's logits equal a full forward pass over the whole sequence, at every position."""
        seq = [(5 * i + 1) % 100 for i in range(model.ctx)]
        caches = model.new_caches(1)
        for pos, tok in enumerate(seq):
            cached = model(torch.tensor([[tok]]), caches, pos)
            full = model(torch.tensor([seq[:pos + 1]]), model.new_caches(1), 0)
            assert torch.allclose(cached, full, atol=1e-4), f'position {pos}: cached and full logits differ'

    with torch.inference_mode():
        check()
        generate()  # warm-up
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            out = generate()
            times.append(time.perf_counter() - t0)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({'threads': threads, 'value': n_tokens / median, 'ms_per_token': 1000 * median / n_tokens, 'tokens': out[:16]}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--tokens', type=int, default=256)
    ap.add_argument('--prompt', type=int, default=16)
    ap.add_argument('--child', type=int, default=0)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.rounds, args.tokens, args.prompt)
        return
    env = dict(os.environ, OMP_WAIT_POLICY='PASSIVE', GLIBC_TUNABLES=GLIBC_TUNED)
    results = []
    for threads in (int(t) for t in args.threads.split(',')):
        p = subprocess.run([sys.executable, __file__, '--child', str(threads), '--rounds', str(args.rounds), '--tokens', str(args.tokens),
                            '--prompt', str(args.prompt)], env=env, capture_output=True, text=True)
        if p.returncode != 0:
            sys.stderr.write(p.stderr)
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        print(json.dumps(r))
        results.append(r)
    if not results:
        sys.exit(1)
    best = max(results, key=lambda r: r['value'])
    print(json.dumps({'bench': 'generate', 'unit': 'tokens/s', 'value': best['value'], 'tokens': args.tokens,
                      'setting': f"{best['threads']} thread(s), OMP_WAIT_POLICY=PASSIVE, glibc malloc tuned, inference_mode"}))


if __name__ == '__main__':
    main()
