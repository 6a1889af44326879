#!/usr/bin/python3
"""PyTorch's SimCLR anchor under a wall-time budget, for comparisons at equal wall time.

    /usr/bin/python3 scripts/pytorch-simclr-budget.py [--budget 290] [--seed 0] [--batch 256]
        [--max-steps N] [--temperature 0.5] [--anchor ../shared/anchors/pytorch/simclr_mnist.py]

The anchor script runs a whole number of epochs; this one imports it and uses its own pieces
(data, split, label draws, encoder, projection head, augmentation, NT-Xent, probes) with its
optimizer settings, but stops pretraining before the step that would end past the budget, as
`examples/simclr-mnist.ts --budget` plans its steps to end inside it. Only the SimCLR encoder is
probed (the anchor's baselines do not depend on the budget). Prints one JSON line.
"""
import argparse
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ANCHOR = os.path.normpath(os.path.join(HERE, '..', '..', 'shared', 'anchors', 'pytorch', 'simclr_mnist.py'))


def load_anchor(path):
    if not os.path.exists(path):
        sys.exit(f'pytorch-simclr-budget: no anchor script at {path} (pass --anchor)')
    # Importing the anchor re-executes this script under its tuned environment (OMP_WAIT_POLICY,
    # GLIBC_TUNABLES) unless --default-env is given, exactly as running the anchor itself does.
    spec = importlib.util.spec_from_file_location('simclr_anchor', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--budget', type=float, default=290.0, help='seconds of pretraining')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--temperature', type=float, default=0.5, help="NT-Xent temperature (the anchor's is 0.5)")
    ap.add_argument('--max-steps', type=int, default=None, help='also stop after this many steps (equal steps rather than equal time)')
    ap.add_argument('--anchor', default=DEFAULT_ANCHOR)
    ap.add_argument('--default-env', action='store_true', help='do not re-exec under the anchor\'s tuned environment')
    a = ap.parse_args()
    anchor = load_anchor(a.anchor)
    torch, np = anchor.torch, anchor.np

    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    X, Y = anchor.load_mnist()
    idx_pool, idx_test = anchor.train_test_split(np.arange(len(Y)), test_size=1000, stratify=Y, random_state=0)
    x_pool, y_pool = X[idx_pool][:, None], Y[idx_pool]
    x_test, y_test = X[idx_test][:, None], Y[idx_test]
    subsets = anchor.label_subsets(y_pool, 10, range(5))

    torch.manual_seed(a.seed)
    enc = anchor.Encoder().to(memory_format=anchor.CL)
    head = anchor.projection_head()
    opt = torch.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=1e-3)
    g = torch.Generator().manual_seed(a.seed)
    xp = torch.from_numpy(x_pool)
    steps_per_epoch = len(xp) // a.batch
    enc.train()
    head.train()
    steps, longest_step = 0, 0.0
    t0 = time.time()
    perm = None
    while True:
        elapsed = time.time() - t0
        if elapsed + longest_step > a.budget or (a.max_steps is not None and steps >= a.max_steps):
            break
        ts = time.time()
        s = steps % steps_per_epoch
        if s == 0:
            perm = torch.randperm(len(xp), generator=g)
        xb = xp[perm[s * a.batch:(s + 1) * a.batch]]
        v = torch.cat([anchor.augment(xb, g), anchor.augment(xb, g)], 0).contiguous(memory_format=anchor.CL)
        opt.zero_grad(set_to_none=True)
        z = head(enc(v))
        loss = anchor.nt_xent(z[:len(xb)], z[len(xb):], a.temperature)
        loss.backward()
        opt.step()
        steps += 1
        longest_step = max(longest_step, time.time() - ts) if steps > 3 else 0.0
        if steps % steps_per_epoch == 0:
            print(f'epoch {steps // steps_per_epoch}  nt-xent {float(loss):.4f}  {time.time() - t0:.1f}s', file=sys.stderr, flush=True)
    pretrain_s = time.time() - t0
    results = anchor.probe_suite('SimCLR', anchor.embed(enc, xp), y_pool, anchor.embed(enc, torch.from_numpy(x_test)), y_test, subsets)
    print(json.dumps(dict(
        script='pytorch-simclr-budget.py', anchor=a.anchor, torch=torch.__version__, seed=a.seed, batch=a.batch, temperature=a.temperature,
        budget_s=a.budget, max_steps=a.max_steps, pretrain_s=pretrain_s, steps=steps, epochs=steps / steps_per_epoch,
        images_per_s=steps * a.batch / pretrain_s, simclr=results,
    )))


if __name__ == '__main__':
    main()
