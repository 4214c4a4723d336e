"""Reads and writes safetensors files with torch tensors, for the few
dtypes genwasm's state dicts use (F32, F64, I32, I64, U8): Debian's
python3-torch has no `safetensors` package. The same format as
`safetensors.torch.load_file` / `save_file`:

    u64 little-endian N | N bytes of JSON header | raw little-endian data
"""
import json
import struct

import torch

DTYPES = {
    "F32": torch.float32,
    "F64": torch.float64,
    "I32": torch.int32,
    "I64": torch.int64,
    "U8": torch.uint8,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}


def load_file(path: str):
    """(tensors by name, metadata dict) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + length:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(data[begin:end]),
                                dtype=DTYPES[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors, metadata


def save_file(tensors: dict, path: str, metadata=None) -> None:
    """Writes tensors (contiguous copies) and string metadata to `path`."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, tensor in tensors.items():
        tensor = tensor.detach().contiguous().cpu()
        chunk = tensor.numpy().tobytes()
        header[name] = {"dtype": NAMES[tensor.dtype],
                        "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    text = json.dumps(header)
    text += " " * ((8 - len(text.encode()) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text.encode())))
        f.write(text.encode())
        for chunk in chunks:
            f.write(chunk)
