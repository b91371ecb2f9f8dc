"""PyTorch modules of the models cfinit trains, and load() for the files `cfinit export` writes.

    from cfinit_torch import load
    model = load("out.safetensors")      # an nn.Module in eval mode, weights loaded with strict=True
    logits = model(x)                    # the final logits (B, C)
    every_depth = model.depth_logits(x)  # the cumulative logits after each depth, shallowest first

Inputs are the models' inputs as cfinit encodes them: tabular rows (B, features) (covtype: z-scored), or token
tensors (B, T, d) (patch embeddings, token embeddings plus positions). The forward math is cfinit's, op for op
(src/train/models.ts, src/nn/transformer.ts, src/train/fit.ts, src/train/ridge.ts); the state_dict names and
orientations are PyTorch's (a Linear weight is (out, in)). A closed-form encoder has one key layout whether it is
fine-tuned (ClosedFormMlp, ClosedFormTransformer) or frozen under `encoder.` (ClosedFormCeHead, ClosedFormRidge).

Only torch is needed; the `safetensors` package is used when importable, else the file is parsed here.
"""

import json
import math
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "BackpropMlp",
    "BaselineTransformer",
    "ClosedFormMlpEncoder",
    "ClosedFormMlp",
    "ClosedFormAttention",
    "ClosedFormBlock",
    "ClosedFormTransformerEncoder",
    "ClosedFormTransformer",
    "ClosedFormCeHead",
    "ClosedFormRidge",
    "load",
    "read_safetensors",
]

FORMAT = "cfinit-torch"
VERSION = 1
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _pool(h, pooling):
    """(B, T, d) -> (B, d): mean over tokens, or the last token."""
    return h.mean(1) if pooling == "mean" else h[:, -1]


def _cumulative(parts):
    """[l_0, l_0 + l_1, ...]"""
    out = []
    for p in parts:
        out.append(p if not out else out[-1] + p)
    return out


class _Buffers(nn.Module):
    """Tensors saved with the state but never trained, named 0, 1, ... (state_dict keys `<name>.<i>`)."""

    def __init__(self, shapes, dtype):
        super().__init__()
        for i, shape in enumerate(shapes):
            self.register_buffer(str(i), torch.zeros(shape, dtype=dtype))

    def __getitem__(self, i):
        return getattr(self, str(i))

    def __len__(self):
        return len(self._buffers)


# ---- backprop MLP ------------------------------------------------------------------------------------


class BackpropMlp(nn.Module):
    """features -> width (x depth, bias-free Linear + ReLU) -> Linear(width, classes) with bias."""

    def __init__(self, features, classes, width, depth):
        super().__init__()
        self.hidden = nn.ModuleList(
            nn.Linear(features if i == 0 else width, width, bias=False) for i in range(depth)
        )
        self.head = nn.Linear(width, classes)

    def depth_logits(self, x):
        h = x
        for layer in self.hidden:
            h = F.relu(layer(h))
        return [self.head(h)]

    def forward(self, x):
        return self.depth_logits(x)[-1]


# ---- baseline transformer ----------------------------------------------------------------------------


class SelfAttention(nn.Module):
    """nn.MultiheadAttention's packed layout: in_proj_weight (3d, d) = [Wq; Wk; Wv], out_proj a Linear."""

    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.in_proj_weight = nn.Parameter(torch.zeros(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)

    def forward(self, x):
        # softmax(q k^T / sqrt(head_dim)) v per head, heads concatenated, then out_proj
        b, t, d = x.shape
        hd = d // self.num_heads
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)  # (B, T, 3d)
        q, k, v = qkv.view(b, t, 3, self.num_heads, hd).permute(2, 0, 3, 1, 4).reshape(3, b * self.num_heads, t, hd)
        weights = torch.softmax(torch.bmm(q * (1 / math.sqrt(hd)), k.transpose(1, 2)), -1)  # (B*H, T, T)
        context = torch.bmm(weights, v).view(b, self.num_heads, t, hd).transpose(1, 2).reshape(b, t, d)
        return self.out_proj(context)


class EncoderLayer(nn.Module):
    """nn.TransformerEncoderLayer(norm_first=True, activation='gelu', dropout=0, batch_first=True); same keys."""

    def __init__(self, dim, num_heads, ffn_dim, eps):
        super().__init__()
        self.self_attn = SelfAttention(dim, num_heads)
        self.linear1 = nn.Linear(dim, ffn_dim)
        self.linear2 = nn.Linear(ffn_dim, dim)
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.norm2 = nn.LayerNorm(dim, eps=eps)

    def forward(self, x):
        # x <- x + attn(LN1(x)); x <- x + W2 gelu(W1 LN2(x) + b1) + b2
        h = x + self.self_attn(self.norm1(x))
        return h + self.linear2(F.gelu(self.linear1(self.norm2(h))))


class BaselineTransformer(nn.Module):
    """Pre-norm encoder layers on tokens (B, T, d); head i reads the pooled output of block i; logits accumulate."""

    def __init__(self, token_dim, classes, depth, num_heads, ffn_dim, pooling, eps=1e-5):
        super().__init__()
        self.pooling = pooling
        self.blocks = nn.ModuleList(EncoderLayer(token_dim, num_heads, ffn_dim, eps) for _ in range(depth))
        self.output_heads = nn.ModuleList(nn.Linear(token_dim, classes) for _ in range(depth))

    def depth_logits(self, tokens):
        h, parts = tokens, []
        for block, head in zip(self.blocks, self.output_heads):
            h = block(h)
            parts.append(head(_pool(h, self.pooling)))
        return _cumulative(parts)

    def forward(self, tokens):
        return self.depth_logits(tokens)[-1]


# ---- closed-form MLP ---------------------------------------------------------------------------------


class ClosedFormMlpEncoder(nn.Module):
    """h_0 = (x - m_0)/s_0; per layer a_l = ReLU(h_{l-1} A_l) (hidden.l.weight = A_l^T), h_l = (a_l - m_l)/s_l.

    Computes in its own dtype (cfinit: float32 when fine-tuned, float64 when frozen under a CE head or ridge).
    """

    def __init__(self, features, depth, dtype=torch.float32):
        super().__init__()
        self.register_buffer("initial_mean", torch.zeros(1, features, dtype=dtype))
        self.register_buffer("initial_scale", torch.ones(1, features, dtype=dtype))
        self.hidden = nn.ModuleList(nn.Linear(features, features, bias=False, dtype=dtype) for _ in range(depth))
        self.norm_mean = _Buffers([(1, features)] * depth, dtype)
        self.norm_scale = _Buffers([(1, features)] * depth, dtype)

    def streams(self, x):
        """The normalised streams [h_0 ... h_L] and the post-ReLU activations [a_1 ... a_L], each (B, d)."""
        h = (x.to(self.initial_mean.dtype) - self.initial_mean) / self.initial_scale
        normalised, activations = [h], []
        for l, layer in enumerate(self.hidden):
            a = F.relu(layer(h))
            activations.append(a)
            h = (a - self.norm_mean[l]) / self.norm_scale[l]
            normalised.append(h)
        return normalised, activations

    def features(self, x):
        """cfinit's frozen features: [h_0 | ... | h_L] in float32. (B, (L + 1) d)"""
        return torch.cat(self.streams(x)[0], 1).float()

    def readout_inputs(self, features):
        """cf-ridge's read-out inputs from the features: a_l = h_l s_l + m_l (l = 1..L) in float64."""
        d = self.initial_mean.shape[1]
        return [
            features[:, (l + 1) * d : (l + 2) * d].double() * self.norm_scale[l].double() + self.norm_mean[l].double()
            for l in range(len(self.hidden))
        ]


class ClosedFormMlp(ClosedFormMlpEncoder):
    """The fine-tuned closed-form MLP: logits += heads.l(a_l) after each layer (before its normalisation)."""

    def __init__(self, features, classes, depth):
        super().__init__(features, depth)
        self.heads = nn.ModuleList(nn.Linear(features, classes, bias=False) for _ in range(depth))

    def depth_logits(self, x):
        _, activations = self.streams(x)
        return _cumulative([head(a) for head, a in zip(self.heads, activations)])

    def forward(self, x):
        return self.depth_logits(x)[-1]


# ---- closed-form transformer -------------------------------------------------------------------------


class ClosedFormAttention(nn.Module):
    """q = k = rownorm(X S P_h) (norm floored at 1e-8), ctx_h = softmax(q k^T / sqrt(k)) X;
    out = a X + (1 - a) [ctx_1 | ... | ctx_H] W_O with a = clamp(mix_scale, 0, 1)."""

    def __init__(self, dim, heads, head_dim, dtype=torch.float32):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.sigma_inv_sqrt = nn.Parameter(torch.zeros(dim, dim, dtype=dtype))
        self.projection_heads = nn.Parameter(torch.zeros(heads, dim, head_dim, dtype=dtype))  # (H, d, k)
        self.output_map = nn.Parameter(torch.zeros(heads * dim, dim, dtype=dtype))
        self.mix_scale = nn.Parameter(torch.zeros((), dtype=dtype))

    def forward(self, x):
        scores = torch.matmul(x, self.sigma_inv_sqrt)  # (B, T, d)
        contexts = []
        for h in range(self.heads):
            p = torch.matmul(scores, self.projection_heads[h])  # (B, T, k)
            q = p / p.norm(2, -1, keepdim=True).clamp_min(1e-8)
            weights = torch.softmax(torch.bmm(q, q.transpose(1, 2)) * (1 / math.sqrt(self.head_dim)), -1)
            contexts.append(torch.bmm(weights, x))  # (B, T, d)
        attended = torch.matmul(torch.cat(contexts, -1), self.output_map)  # (B, T, d)
        alpha = self.mix_scale.clamp(0, 1)
        return x * alpha + attended * (1 - alpha)


class ClosedFormBlock(nn.Module):
    """H = LN(attention(X)); out = LN(H + ReLU(H A_F)) (ffn.weight = A_F^T); layer norms without affine, eps 1e-5."""

    def __init__(self, dim, heads, head_dim, dtype=torch.float32):
        super().__init__()
        self.attention = ClosedFormAttention(dim, heads, head_dim, dtype)
        self.ffn = nn.Linear(dim, dim, bias=False, dtype=dtype)

    def forward(self, x):
        d = x.shape[-1]
        h = F.layer_norm(self.attention(x), (d,), eps=1e-5)
        return F.layer_norm(h + F.relu(self.ffn(h)), (d,), eps=1e-5)


class ClosedFormTransformerEncoder(nn.Module):
    """The spectral transformer encoder: blocks on tokens (B, T, d), computing in its own dtype (cfinit: float32
    when fine-tuned; the fit's compute dtype when frozen)."""

    def __init__(self, dim, depth, heads, landmarks, pooling, dtype=torch.float32):
        super().__init__()
        self.pooling = pooling
        self.blocks = nn.ModuleList(ClosedFormBlock(dim, heads, landmarks, dtype) for _ in range(depth))

    def pooled(self, tokens):
        """The pooled input and the pooled output of every block [p_0 ... p_L], each (B, d)."""
        h = tokens.to(self.blocks[0].ffn.weight.dtype)
        out = [_pool(h, self.pooling)]
        for block in self.blocks:
            h = block(h)
            out.append(_pool(h, self.pooling))
        return out

    def features(self, tokens):
        """cfinit's frozen features: [p_0 | ... | p_L] in float32. (B, (L + 1) d)"""
        return torch.cat(self.pooled(tokens), 1).float()

    def readout_inputs(self, features):
        """cf-ridge's read-out inputs: the pooled inputs of blocks 1..L (p_0 ... p_{L-1}) in float64."""
        d = features.shape[1] // (len(self.blocks) + 1)
        return [features[:, l * d : (l + 1) * d].double() for l in range(len(self.blocks))]


class ClosedFormTransformer(ClosedFormTransformerEncoder):
    """The fine-tuned closed-form transformer: logits += output_heads.l(pool(input of block l)), then block l
    (as in the reference, the last block's output reaches no head)."""

    def __init__(self, dim, classes, depth, heads, landmarks, pooling):
        super().__init__(dim, depth, heads, landmarks, pooling)
        self.output_heads = nn.ModuleList(nn.Linear(dim, classes, bias=False) for _ in range(depth))

    def depth_logits(self, tokens):
        h, parts = tokens.to(self.blocks[0].ffn.weight.dtype), []
        for l, (block, head) in enumerate(zip(self.blocks, self.output_heads)):
            parts.append(head(_pool(h, self.pooling)))
            if l < len(self.blocks) - 1:
                h = block(h)
        return _cumulative(parts)

    def forward(self, tokens):
        return self.depth_logits(tokens)[-1]


# ---- heads on the frozen encoder ---------------------------------------------------------------------


def _encoder(kind, dtype="float32", **config):
    """A frozen closed-form encoder from its export config: {"kind": "mlp"|"transformer", "dtype", ...}."""
    classes = {"mlp": ClosedFormMlpEncoder, "transformer": ClosedFormTransformerEncoder}
    if kind not in classes:
        raise ValueError(f"unknown encoder kind {kind!r}; expected one of {', '.join(classes)}")
    if dtype not in DTYPES:
        raise ValueError(f"unknown encoder dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
    encoder = classes[kind](dtype=DTYPES[dtype], **config)
    encoder.requires_grad_(False)
    return encoder


def _width(encoder):
    return encoder.initial_mean.shape[1] if isinstance(encoder, ClosedFormMlpEncoder) else encoder.blocks[0].ffn.in_features


class ClosedFormCeHead(nn.Module):
    """cf-ce-head: Linear((L + 1) d, classes) with bias on the frozen encoder's features."""

    def __init__(self, encoder, classes):
        super().__init__()
        self.encoder = _encoder(**encoder)
        depth = len(self.encoder.hidden) if isinstance(self.encoder, ClosedFormMlpEncoder) else len(self.encoder.blocks)
        self.head = nn.Linear((depth + 1) * _width(self.encoder), classes)

    def depth_logits(self, x):
        return [self.head(self.encoder.features(x))]

    def forward(self, x):
        return self.depth_logits(x)[-1]


class ClosedFormRidge(nn.Module):
    """cf-ridge: logits = temperature * sum_l X_l W_l in float64 (readouts.l.weight = W_l^T, (classes, d))."""

    def __init__(self, encoder, classes, temperature=1.0):
        super().__init__()
        self.encoder = _encoder(**encoder)
        depth = len(self.encoder.hidden) if isinstance(self.encoder, ClosedFormMlpEncoder) else len(self.encoder.blocks)
        width = _width(self.encoder)
        self.readouts = nn.ModuleList(
            nn.Linear(width, classes, bias=False, dtype=torch.float64) for _ in range(depth)
        )
        self.readouts.requires_grad_(False)
        self.temperature = float(temperature)

    def forward(self, x):
        inputs = self.encoder.readout_inputs(self.encoder.features(x))
        z = self.readouts[0](inputs[0])
        for readout, xl in zip(self.readouts[1:], inputs[1:]):
            z = z + readout(xl)
        return z if self.temperature == 1 else z * self.temperature

    def depth_logits(self, x):
        """cf-ridge has one prediction (the read-outs are fitted jointly as residuals): [forward(x)]."""
        return [self.forward(x)]


CLASSES = {
    cls.__name__: cls
    for cls in (BackpropMlp, BaselineTransformer, ClosedFormMlp, ClosedFormTransformer, ClosedFormCeHead, ClosedFormRidge)
}

# ---- files -------------------------------------------------------------------------------------------

_SAFETENSORS_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


def read_safetensors(path):
    """(tensors by name, metadata) of a safetensors file; with the `safetensors` package when importable."""
    try:
        from safetensors import safe_open
    except ImportError:
        safe_open = None
    if safe_open is not None:
        with safe_open(path, framework="pt") as f:
            return {name: f.get_tensor(name) for name in f.keys()}, dict(f.metadata() or {})
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: not a safetensors file (header length {n} exceeds the file)")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    body = memoryview(data)[8 + n :]
    tensors, spans = {}, []
    for name, info in header.items():
        dtype = _SAFETENSORS_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {info['dtype']!r}")
        begin, end = info["data_offsets"]
        shape = info["shape"]
        size = math.prod(shape) * torch.tensor([], dtype=dtype).element_size()
        if not 0 <= begin <= end <= len(body) or end - begin != size:
            raise ValueError(f"{path}: tensor {name!r} data_offsets {begin, end} do not fit shape {shape}")
        spans.append((begin, end))
        raw = bytearray(body[begin:end])
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        if sys.byteorder != "little" and flat.element_size() > 1:
            flat = torch.from_numpy(flat.numpy().byteswap())
        tensors[name] = flat.reshape(shape)
    spans.sort()
    if [b for b, _ in spans] != [0] + [e for _, e in spans[:-1]] or (spans and spans[-1][1] != len(body)):
        raise ValueError(f"{path}: tensor data overlaps, has holes or trailing bytes")
    return tensors, metadata


def load(path, map_location="cpu"):
    """The module a `cfinit export` file holds, weights loaded with strict=True, in eval mode."""
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: not a cfinit export (metadata format {metadata.get('format')!r}, expected {FORMAT!r})")
    if metadata.get("version") != str(VERSION):
        raise ValueError(f"{path}: export version {metadata.get('version')!r}; this cfinit_torch reads {VERSION}")
    name = metadata.get("class")
    if name not in CLASSES:
        raise ValueError(f"{path}: unknown class {name!r}; expected one of {', '.join(CLASSES)}")
    model = CLASSES[name](**json.loads(metadata["config"]))
    model.load_state_dict(tensors, strict=True)
    return model.to(map_location).eval()
