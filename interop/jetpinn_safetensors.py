#!/usr/bin/env python3
"""A jetpinn safetensors model in NumPy alone: load it, rebuild the network, evaluate u.

The file (src/engine/safetensors.ts, safetensorsModel.ts): an 8-byte little-endian header
length N, N bytes of JSON mapping each tensor to {"dtype": "F32", "shape", "data_offsets"} plus
"__metadata__" (string -> string), then the raw little-endian float32 data. The tensors are a
PyTorch / DeepXDE fully connected network, linears.{l}.weight [out, in] and linears.{l}.bias
[out]; the metadata's "architecture" is JSON {"widths", "activation", "boundary"}.

    python3 interop/jetpinn_safetensors.py model.safetensors --points points.json

reads points.json ([[x_1, ..., x_d], ...]) and prints {"u": [[u_1, ...], ...]}: one row per
point, one entry per network output, evaluated in float64.

It is written for jetpinn's own files and checks what it relies on; it is the independent side
of the test that compares it with `jetpinn jet --cpu` (test/interop/python.test.ts).
"""

import argparse
import json
import struct
import sys

import numpy as np

FORMAT = "jetpinn-safetensors"
VERSION = "1"
MAX_HEADER_BYTES = 1 << 20

ACTIVATIONS = {
    "tanh": np.tanh,
    "sin": np.sin,
    # log(1 + e^z) without overflow for large z.
    "softplus": lambda z: np.logaddexp(0.0, z),
    "identity": lambda z: z,
}

# Every hard boundary transform of the engine (src/jet/boundaryFactor.ts): u = b(x)^p * MLP(x)
# with b = 1 - |x|^2 over all inputs. It vanishes on the unit sphere; its power p ("ball2" ..
# "ball4") also has p - 1 vanishing normal derivatives there (clamped and order-2p problems).
BOUNDARY_POWERS = {"none": 0, "ball": 1, "ball2": 2, "ball3": 3, "ball4": 4}


def read_safetensors(path):
    """The float32 tensors (name -> array) and the metadata of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short for a safetensors file")
    (length,) = struct.unpack("<Q", data[:8])
    if length > MAX_HEADER_BYTES or 8 + length > len(data):
        raise ValueError(f"{path}: header length {length} is impossible for this file")
    header = json.loads(data[8 : 8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    buffer = memoryview(data)[8 + length :]
    tensors = {}
    covered = 0
    # The tensors must tile the data: sorted by offset, each begins where the previous ended.
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        if entry["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        if end > len(buffer):
            raise ValueError(f"{name}: data ends at byte {end}, past the {len(buffer)} there are (truncated)")
        if begin != covered or end - begin != 4 * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{name}: data_offsets {begin}..{end} do not fit shape {shape}")
        tensors[name] = np.frombuffer(buffer[begin:end], dtype="<f4").reshape(shape)
        covered = end
    if covered != len(buffer):
        raise ValueError(f"{path}: the tensors cover {covered} of {len(buffer)} data bytes")
    return tensors, metadata


class Network:
    """u(x) = b(x)^p * MLP(x), the MLP's last layer linear, in float64."""

    def __init__(self, tensors, metadata):
        if metadata.get("format") != FORMAT or metadata.get("version") != VERSION:
            raise ValueError(f"not a {FORMAT} version {VERSION} file: {metadata.get('format')}")
        architecture = json.loads(metadata["architecture"])
        self.widths = architecture["widths"]
        self.activation = ACTIVATIONS[architecture["activation"]]
        self.power = BOUNDARY_POWERS[architecture["boundary"]]
        self.layers = []
        for l, (inputs, outputs) in enumerate(zip(self.widths[:-1], self.widths[1:])):
            weight = tensors[f"linears.{l}.weight"]
            bias = tensors[f"linears.{l}.bias"]
            if weight.shape != (outputs, inputs) or bias.shape != (outputs,):
                raise ValueError(f"layer {l}: shapes {weight.shape}, {bias.shape}")
            self.layers.append((weight.astype(np.float64), bias.astype(np.float64)))

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        h = x
        for l, (weight, bias) in enumerate(self.layers):
            h = h @ weight.T + bias
            if l < len(self.layers) - 1:
                h = self.activation(h)
        factor = 1.0 - np.sum(x * x, axis=1, keepdims=True)
        return factor**self.power * h


def load(path):
    """The network a jetpinn safetensors file holds, with its metadata."""
    tensors, metadata = read_safetensors(path)
    return Network(tensors, metadata), metadata


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a .safetensors file written by jetpinn")
    parser.add_argument("--points", required=True, help="JSON file [[x_1, ..., x_d], ...]")
    args = parser.parse_args(argv)
    network, _ = load(args.model)
    with open(args.points, encoding="utf-8") as f:
        points = np.array(json.load(f), dtype=np.float64).reshape(-1, network.widths[0])
    u = network(points)
    # repr of a float64 round-trips exactly, so the comparison sees every bit.
    json.dump({"u": u.tolist()}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
