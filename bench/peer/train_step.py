"""PyTorch peer for bench/train-step.ts: the reference baseline transformer, timed step by step.

A long-lived process speaking line-delimited JSON: one request per stdin line, one reply per
stdout line. Run with Debian's PyTorch: /usr/bin/python3 bench/peer/train_step.py

Requests (every reply carries "ok"; failures carry "error"):
  {"cmd": "init", "threads": 2}
  {"cmd": "setup", "name": s, "batch": B, "tokens": T, "dim": d, "classes": C, "pooling": "mean"|"last", "seed": n}
  {"cmd": "time", "name": s, "steps": k}            -> {"ms": [per-step ms], "cpu_ms": [per-step process CPU ms]}
  {"cmd": "matmul", "n": 1024, "reps": r}           -> {"gflops": x}
  {"cmd": "check", "weights": path, "inputs": path, "pooling": p, "steps": k, "seed": s}
      -> losses of k AdamW steps (and after them) from the given weights and inputs (safetensors);
         with a seed, also how far PyTorch's init from that seed is from the given weights
  {"cmd": "quit"}
"""
import copy
import json
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

LR = 3e-4
WEIGHT_DECAY = 0.05


class BaselineTransformer(nn.Module):
    """Pre-norm encoder layers (deep copies of one), a linear head per layer, cumulative logits."""

    def __init__(self, dim, num_heads, depth, num_classes, mlp_ratio, pooling):
        super().__init__()
        layer = nn.TransformerEncoderLayer(
            d_model=dim,
            nhead=num_heads,
            dim_feedforward=max(int(dim * mlp_ratio), dim),
            dropout=0.0,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.blocks = nn.ModuleList([copy.deepcopy(layer) for _ in range(depth)])
        self.output_heads = nn.ModuleList([nn.Linear(dim, num_classes) for _ in range(depth)])
        self.pooling = pooling

    def forward(self, tokens):
        cumulative = None
        depth_logits = []
        hidden = tokens
        for block, head in zip(self.blocks, self.output_heads):
            hidden = block(hidden)
            pooled = hidden[:, -1, :] if self.pooling == "last" else hidden.mean(dim=1)
            logits = head(pooled)
            cumulative = logits if cumulative is None else cumulative + logits
            depth_logits.append(cumulative)
        return depth_logits

    def loss(self, tokens, targets):
        depth_logits = self(tokens)
        return sum(nn.functional.cross_entropy(logits, targets) for logits in depth_logits) / len(depth_logits)


class Workload:
    def __init__(self, batch, tokens, dim, classes, pooling, seed):
        torch.manual_seed(seed)
        self.model = BaselineTransformer(dim, 4, 3, classes, 2.0, pooling)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        self.x = torch.randn(batch, tokens, dim)
        self.y = torch.randint(0, classes, (batch,))

    def step(self):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.model.loss(self.x, self.y)
        loss.backward()
        self.optimizer.step()


def read_safetensors(path):
    """The safetensors layout: u64 header length, JSON header, raw little-endian data."""
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[base + start : base + end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


def check(req):
    weights = read_safetensors(req["weights"])
    inputs = read_safetensors(req["inputs"])
    x, y = inputs["tokens"], inputs["targets"]
    classes = weights["output_heads.0.weight"].shape[0]
    model = BaselineTransformer(x.shape[2], 4, 3, classes, 2.0, req["pooling"])
    model.load_state_dict(weights)
    optimizer = torch.optim.AdamW(model.parameters(), lr=req.get("lr", LR), weight_decay=req.get("wd", WEIGHT_DECAY))
    losses = []
    for _ in range(req.get("steps", 1)):
        optimizer.zero_grad(set_to_none=True)
        loss = model.loss(x, y)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        losses.append(model.loss(x, y).item())
        logits = model(x)[-1]
    reply = {"losses": losses, "logits_head": logits[:2].flatten().tolist()}
    if "seed" in req:
        # How far PyTorch's own init from the same seed is from the weights cfinit drew.
        torch.manual_seed(req["seed"])
        fresh = BaselineTransformer(x.shape[2], 4, 3, classes, 2.0, req["pooling"]).state_dict()
        reply["init_max_abs_diff"] = max(float((fresh[k] - v).abs().max()) for k, v in weights.items())
    return reply


def matmul_gflops(n, reps):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    seconds = time.perf_counter() - start
    return 2.0 * n * n * n * reps / seconds / 1e9


def main():
    workloads = {}
    torch.set_grad_enabled(True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        cmd = req.get("cmd")
        try:
            if cmd == "init":
                torch.set_num_threads(int(req["threads"]))
                reply = {"torch": torch.__version__, "threads": torch.get_num_threads()}
            elif cmd == "setup":
                workloads[req["name"]] = Workload(
                    req["batch"], req["tokens"], req["dim"], req["classes"], req["pooling"], req.get("seed", 0)
                )
                reply = {}
            elif cmd == "time":
                work = workloads[req["name"]]
                ms, cpu_ms = [], []
                for _ in range(req["steps"]):
                    start, cpu = time.perf_counter(), time.process_time()
                    work.step()
                    ms.append((time.perf_counter() - start) * 1e3)
                    cpu_ms.append((time.process_time() - cpu) * 1e3)
                reply = {"ms": ms, "cpu_ms": cpu_ms}
            elif cmd == "matmul":
                reply = {"gflops": matmul_gflops(req["n"], req["reps"])}
            elif cmd == "check":
                reply = check(req)
            elif cmd == "quit":
                print(json.dumps({"ok": True}), flush=True)
                return
            else:
                raise ValueError(f"unknown command {cmd!r}")
            reply["ok"] = True
        except Exception as err:  # reported to the caller, which stops the benchmark
            reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
