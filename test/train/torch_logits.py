"""Test helper for export.test.ts: loads cfinit exports with python/cfinit_torch.py and prints their logits.

    python3 torch_logits.py JOBS.json   (JOBS: [{"export": path, "batch": path}, ...])

Prints one JSON line: [{"className": ..., "depth": [[[...] per row] per depth]}, ...], the logits rounded to float32.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from cfinit_torch import load, read_safetensors  # noqa: E402

torch.set_num_threads(1)
out = []
for job in json.load(open(sys.argv[1])):
    model = load(job["export"])
    x = read_safetensors(job["batch"])[0]["x"]
    with torch.no_grad():
        depth = model.depth_logits(x)
        final = model(x)
    assert torch.equal(final, depth[-1]), "forward must be the last depth logits"
    out.append({"className": type(model).__name__, "depth": [l.float().double().tolist() for l in depth]})
print(json.dumps(out))
