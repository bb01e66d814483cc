"""MAF vs IAF: density evaluation and sampling time for D = 2, 16, 64, ours next to zuko's flows used directly.

    python benchmarks/vector_flow_speed.py [--dims 2 16 64] [--batch 1024] [--transforms 4] [--hidden 64]

The flow survey's trade-off (Kobyzev et al. 2020, arXiv:1908.09257, sec. 3.4.1):
a MAF (Papamakarios et al. 2017, arXiv:1705.07057) evaluates a density in one
network pass per layer and samples in ``D`` (one per coordinate); an IAF
(Kingma et al. 2016, arXiv:1606.04934) is the reverse.  MAF and IAF here have
equal settings, hence equal parameters.  "zuko" is a raw zuko flow
(``zuko.flows.MAF``, and ``Flow(MAF.transform.inv, base)`` for IAF) holding
the same weights, called through zuko's own API (``flow().log_prob(x)``,
``flow().sample((n,))``); "ours" is Flow Studio's model (``log_prob``,
``sample``).  Times are this thread's CPU time (``time.thread_time``), not
wall time, so other processes on a shared machine do not count, and the
shortest of the repeats (as ``timeit`` advises: noise only ever adds time),
each repeat timing both back to back in alternating order; the overhead is
ours/zuko - 1 of those.  The goal is at most 5%.  One thread,
``torch.no_grad``, float32, CPU.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
import zuko

from flowstudio.models import build_model
from flowstudio.models.vector import ZukoFlowConfig


def raw_zuko(family: str, config: ZukoFlowConfig) -> zuko.flows.Flow:
    """The zuko flow of ``family`` built from zuko's recipes alone (not our code)."""
    maf = zuko.flows.MAF(config.dim, transforms=config.transforms, hidden_features=[config.hidden] * config.depth)
    return maf if family == "maf" else zuko.flows.Flow(maf.transform.inv, maf.base)


def shortest_times(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Shortest CPU seconds of each of ``fns`` over ``repeats`` rounds (which runs first rotates every round)."""
    for fn in fns:
        fn()  # warm-up
    spent: list[list[float]] = [[] for _ in fns]
    for i in range(repeats):
        for j in range(len(fns)):
            k = (i + j) % len(fns)
            t0 = time.thread_time()
            fns[k]()
            spent[k].append(time.thread_time() - t0)
    return [min(times) for times in spent]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dims", type=int, nargs="+", default=[2, 16, 64])
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--transforms", type=int, default=4)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"batch {args.batch}, {args.transforms} transforms of {args.depth} x {args.hidden} hidden, "
          f"{args.threads} thread(s), shortest of {args.repeats}; CPU time of this thread in ms; "
          "noise = zuko timed again / zuko - 1")
    print(f"{'family':<6} {'D':>3} {'params':>7} | {'density: ours':>13} {'zuko':>8} {'overhead':>8} {'noise':>6} | "
          f"{'sampling: ours':>14} {'zuko':>8} {'overhead':>8} {'noise':>6}")
    worst = noisiest = 0.0
    for dim in args.dims:
        for family in ("maf", "iaf"):
            model = build_model({"family": family, "dim": dim, "transforms": args.transforms,
                                 "hidden": args.hidden, "depth": args.depth}).eval()
            raw = raw_zuko(family, model.config).eval()
            raw.load_state_dict(model.flow.state_dict())
            x = torch.randn(args.batch, dim, generator=torch.Generator().manual_seed(dim))
            row = f"{family:<6} {dim:>3} {sum(q.numel() for q in model.parameters()):>7,} |"
            with torch.no_grad():
                assert torch.equal(model.log_prob(x), raw().log_prob(x))
                for task in ([lambda: model.log_prob(x), lambda: raw().log_prob(x), lambda: raw().log_prob(x)],
                             [lambda: model.sample(args.batch, seed=0), lambda: raw().sample((args.batch,)),
                              lambda: raw().sample((args.batch,))]):
                    ours, theirs, again = shortest_times(task, args.repeats)
                    worst, noisiest = max(worst, ours / theirs - 1), max(noisiest, abs(again / theirs - 1))
                    row += (f" {ours * 1e3:>13.2f} {theirs * 1e3:>8.2f} {(ours / theirs - 1) * 100:>+7.1f}% "
                            f"{(again / theirs - 1) * 100:>+5.1f}% |")
            print(row.rstrip(" |"))
    print(f"largest overhead of ours over zuko: {worst * 100:+.1f}% (goal: at most +5%); "
          f"largest difference between two timings of the same zuko call: {noisiest * 100:.1f}%")
    fixed_cost(args.transforms, args.hidden, args.depth)


def fixed_cost(transforms: int, hidden: int, depth: int, repeats: int = 300) -> None:
    """The wrapper's own cost per call, where it is all there is: one 2-D point, shortest of many calls."""
    model = build_model({"family": "maf", "dim": 2, "transforms": transforms, "hidden": hidden, "depth": depth})
    raw = raw_zuko("maf", model.config)
    raw.load_state_dict(model.flow.state_dict())
    x = torch.randn(1, 2)
    with torch.no_grad():
        d_ours, d_raw = shortest_times([lambda: model.log_prob(x), lambda: raw().log_prob(x)], repeats)
        s_ours, s_raw = shortest_times([lambda: model.sample(1, seed=0), lambda: raw().sample((1,))], repeats)
    print(f"fixed cost per call (MAF, one 2-D point, shortest of {repeats}): density ours {d_ours * 1e6:.0f} us, "
          f"zuko {d_raw * 1e6:.0f} us; sampling ours {s_ours * 1e6:.0f} us, zuko {s_raw * 1e6:.0f} us")


if __name__ == "__main__":
    main()
