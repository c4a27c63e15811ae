"""Convert mediapipe's face detection, face mesh and selfie segmentation models to ONNX, once.

The .onnx files this writes ship in engine/analysis/models/ (see the NOTICE there); the engine
never runs this script. It reads the .tflite flatbuffers with the `tflite` package (generated
schema bindings) and writes ONNX with `onnx.helper`: no TensorFlow needed.

Source models: the Apache-2.0 .tflite files inside the mediapipe 0.10.14 wheel
(mediapipe/modules/...):

- face_detection/face_detection_full_range_sparse.tflite: 192x192 input, sparse fp16 weights
  (DENSIFY + DEQUANTIZE, folded here into dense fp16 initializers).
- face_landmark/face_landmark_with_attention.tflite: 192x192 input, 478 landmarks with irises.
  Its MediaPipe custom ops (mediapipe/util/tflite/operations/: Landmarks2TransformMatrix v2,
  TransformTensorBilinear v2, TransformLandmarks v2) are rewritten in standard ONNX ops
  (Gather, Reduce*, MatMul, GridSample).
- selfie_segmentation/selfie_segmentation.tflite: 256x256 input; its custom op
  Convolution2DTransposeBias becomes ConvTranspose with a bias.

Layout: the ONNX graphs take and return the tflite tensors' NHWC shapes and names; inside they
run NCHW (a Transpose at each end), so ONNX Runtime uses its usual convolution kernels.
Weights are stored as float16 initializers (as in the tflite files) behind a Cast, which ONNX
Runtime folds when it builds a session: the files stay small and the arithmetic is float32.

Run it in a throwaway venv (these are not project dependencies):

    python3 -m venv /tmp/conv && /tmp/conv/bin/pip install tflite==2.18.0 onnx numpy onnxruntime
    /tmp/conv/bin/python tools/convert_mediapipe_models.py \\
        --mediapipe .venv/lib/python3.11/site-packages/mediapipe --out engine/analysis/models

`--check` then compares the detector with the original run by the LiteRT interpreter (`pip
install ai-edge-litert` in the same venv; measured max |difference| 4e-5) and the segmenter with
mediapipe's own graph (mediapipe 0.10.14 and scikit-image importable; 1e-4); a check whose
runtime is missing is skipped with a note. The face mesh's original needs MediaPipe's custom ops,
which LiteRT lacks: it is checked end to end against mediapipe's face-mesh graph by
bench/face_analysis.py (eyes and irises, the custom ops' outputs, agree within ~1-2 px).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import tflite
from flatbuffers import flexbuffers
from onnx import TensorProto, helper, numpy_helper

MODELS = {
    "face_detection/face_detection_full_range_sparse.tflite": "face_detection_full_range.onnx",
    "face_landmark/face_landmark_with_attention.tflite": "face_landmark_with_attention.onnx",
    "selfie_segmentation/selfie_segmentation.tflite": "selfie_segmentation.onnx",
}
OPSET = 18
_OPS = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_NP = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}
_ACT = {0: None, 1: "Relu", 3: "Relu6"}


class Converter:
    """One tflite subgraph -> one ONNX graph; 4-D activations are NCHW inside."""

    def __init__(self, path: Path) -> None:
        self.buf = path.read_bytes()
        self.m = tflite.Model.GetRootAsModel(self.buf, 0)
        self.g = self.m.Subgraphs(0)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.consts: dict[int, np.ndarray] = {}  # tflite tensor index -> folded constant
        self.uid = 0

    # -- tensors --------------------------------------------------------------------------
    def name(self, t: int) -> str:
        return f"t{t}_{self.g.Tensors(t).Name().decode()}"

    def shape(self, t: int) -> list[int]:
        return [int(d) for d in self.g.Tensors(t).ShapeAsNumpy()]

    def raw(self, t: int) -> np.ndarray | None:
        """The constant stored in tensor t's buffer, densified when sparse."""
        if t in self.consts:
            return self.consts[t]
        tensor = self.g.Tensors(t)
        buf = self.m.Buffers(tensor.Buffer())
        if buf is None or buf.DataLength() == 0:
            return None
        data = np.frombuffer(bytes(buf.DataAsNumpy()), _NP[tensor.Type()])
        if tensor.Sparsity() is not None:
            return _densify(data, tensor.Sparsity(), self.shape(t))
        return data.reshape(self.shape(t))

    def fresh(self, hint: str) -> str:
        self.uid += 1
        return f"{hint}_{self.uid}"

    def init(self, value: np.ndarray, hint: str = "c") -> str:
        """An initializer; float weights stored as float16 behind a Cast to float32."""
        name = self.fresh(hint)
        if value.dtype in (np.float32, np.float16) and value.size > 16:
            self.inits.append(numpy_helper.from_array(value.astype(np.float16), name + "_h"))
            self.node("Cast", [name + "_h"], [name], to=TensorProto.FLOAT)
        else:
            if value.dtype == np.float16:
                value = value.astype(np.float32)
            self.inits.append(numpy_helper.from_array(np.array(value), name))
        return name

    def node(self, op: str, ins: list[str], outs: list[str], **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, ins, outs, name=self.fresh(op), **attrs))
        return outs[0]

    def op(self, op: str, ins: list[str], **attrs: Any) -> str:
        return self.node(op, ins, [self.fresh(op.lower())], **attrs)

    def slice(self, x: str, starts: list[int], ends: list[int], axes: list[int]) -> str:
        """x[starts:ends] along `axes`: an ONNX Slice with constant inputs."""
        bounds = [self.init(np.array(v, np.int64)) for v in (starts, ends, axes)]
        return self.op("Slice", [x, *bounds])

    def value(self, t: int) -> str:
        """ONNX name for tensor t (4-D activations NCHW); constants become initializers."""
        c = self.raw(t)
        if c is None:
            return self.name(t)
        c = c.astype(np.float32) if c.dtype == np.float16 else c
        return self.init(c.transpose(0, 3, 1, 2) if c.ndim == 4 else c)

    def channel_const(self, t: int) -> str:
        """A per-channel constant (shape [C], [1,1,C] or [1,1,1,C]) broadcast over NCHW."""
        c = np.asarray(self.raw(t), np.float32)
        return self.init(c.reshape(-1, 1, 1) if c.size > 1 else c.reshape(1))

    def activate(self, x: str, fused: int, out: str) -> str:
        if fused not in _ACT:
            raise NotImplementedError(f"fused activation {fused}")
        act = _ACT[fused]
        if act is None:
            return self.node("Identity", [x], [out])
        if act == "Relu6":
            return self.node("Clip", [x, self.init(np.float32(0)), self.init(np.float32(6))], [out])
        return self.node(act, [x], [out])

    # -- the graph ------------------------------------------------------------------------
    def convert(self) -> onnx.ModelProto:
        g = self.g
        inputs, outputs = [], []
        for t in g.InputsAsNumpy():
            inputs.append(
                helper.make_tensor_value_info(
                    self.g.Tensors(t).Name().decode(), TensorProto.FLOAT, self.shape(t)
                )
            )
            self.node("Transpose", [inputs[-1].name], [self.name(t)], perm=[0, 3, 1, 2])
        for i in range(g.OperatorsLength()):
            self.convert_op(g.Operators(i))
        for t in g.OutputsAsNumpy():
            shape, out = self.shape(t), self.g.Tensors(t).Name().decode()
            if len(shape) == 4:
                self.node("Transpose", [self.name(t)], [out], perm=[0, 2, 3, 1])
            else:
                self.node("Identity", [self.name(t)], [out])
            outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, shape))
        graph = helper.make_graph(self.nodes, "mediapipe", inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        return model

    def convert_op(self, op: Any) -> None:
        code = self.m.OperatorCodes(op.OpcodeIndex())
        kind = _OPS[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        ins = [int(t) for t in op.InputsAsNumpy()]
        out = int(op.OutputsAsNumpy()[0])
        if kind == "CUSTOM":
            kind = code.CustomCode().decode()
            opts = bytes(op.CustomOptionsAsNumpy()) if op.CustomOptionsLength() else b""
            getattr(self, "custom_" + kind)(ins, out, opts)
            return
        if kind in ("DEQUANTIZE", "DENSIFY"):  # fold: weights stay constants
            self.consts[out] = np.asarray(self.raw(ins[0]), np.float32)
            return
        getattr(self, "op_" + kind.lower())(ins, out, _options(op, kind))

    # -- builtin ops ----------------------------------------------------------------------
    def _pads(
        self, x: int, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int], same: bool
    ) -> list[int]:
        """Explicit ONNX pads reproducing TensorFlow's SAME padding (more at the end)."""
        if not same:
            return [0, 0, 0, 0]
        ins = self.shape(x)[1:3]
        before, after = [], []
        for n, kk, ss, dd in zip(ins, k, s, d, strict=True):
            total = max((-(-n // ss) - 1) * ss + (kk - 1) * dd + 1 - n, 0)
            before.append(total // 2)
            after.append(total - total // 2)
        return before + after

    def op_conv_2d(self, ins: list[int], out: int, o: Any) -> None:
        w = np.asarray(self.raw(ins[1]), np.float32)  # OHWI
        stride, dil = (o.StrideH(), o.StrideW()), (o.DilationHFactor(), o.DilationWFactor())
        args = [self.name(ins[0]), self.init(w.transpose(0, 3, 1, 2))]
        if len(ins) > 2 and ins[2] >= 0:
            args.append(self.init(np.asarray(self.raw(ins[2]), np.float32)))
        pads = self._pads(ins[0], w.shape[1:3], stride, dil, o.Padding() == 0)
        y = self.op("Conv", args, strides=list(stride), dilations=list(dil), pads=pads)
        self.activate(y, o.FusedActivationFunction(), self.name(out))

    def op_depthwise_conv_2d(self, ins: list[int], out: int, o: Any) -> None:
        w = np.asarray(self.raw(ins[1]), np.float32)  # 1HW(C*M)
        groups = self.shape(ins[0])[3]
        stride, dil = (o.StrideH(), o.StrideW()), (o.DilationHFactor(), o.DilationWFactor())
        args = [self.name(ins[0]), self.init(w.transpose(3, 0, 1, 2))]
        if len(ins) > 2 and ins[2] >= 0:
            args.append(self.init(np.asarray(self.raw(ins[2]), np.float32)))
        pads = self._pads(ins[0], w.shape[1:3], stride, dil, o.Padding() == 0)
        y = self.op(
            "Conv", args, strides=list(stride), dilations=list(dil), pads=pads, group=groups
        )
        self.activate(y, o.FusedActivationFunction(), self.name(out))

    def _binary(self, onnx_op: str, ins: list[int], out: int, fused: int) -> None:
        args = []
        four_d = len(self.shape(out)) == 4
        for t in ins:
            c = self.raw(t)
            if c is not None and four_d and c.ndim < 4:
                args.append(self.channel_const(t))
            else:
                args.append(self.value(t))
        self.activate(self.op(onnx_op, args), fused, self.name(out))

    def op_add(self, ins: list[int], out: int, o: Any) -> None:
        self._binary("Add", ins, out, o.FusedActivationFunction() if o else 0)

    def op_mul(self, ins: list[int], out: int, o: Any) -> None:
        self._binary("Mul", ins, out, o.FusedActivationFunction() if o else 0)

    def op_prelu(self, ins: list[int], out: int, o: Any) -> None:
        self.node("PRelu", [self.name(ins[0]), self.channel_const(ins[1])], [self.name(out)])

    def op_relu(self, ins: list[int], out: int, o: Any) -> None:
        self.node("Relu", [self.name(ins[0])], [self.name(out)])

    def op_logistic(self, ins: list[int], out: int, o: Any) -> None:
        self.node("Sigmoid", [self.name(ins[0])], [self.name(out)])

    def op_hard_swish(self, ins: list[int], out: int, o: Any) -> None:
        self.node("HardSwish", [self.name(ins[0])], [self.name(out)])

    def op_pad(self, ins: list[int], out: int, o: Any) -> None:
        p = np.asarray(self.raw(ins[1]), np.int64)[[0, 3, 1, 2]]  # NHWC rows -> NCHW
        self.node(
            "Pad",
            [self.name(ins[0]), self.init(np.concatenate([p[:, 0], p[:, 1]]))],
            [self.name(out)],
        )

    def _pool(self, onnx_op: str, ins: list[int], out: int, o: Any, **extra: Any) -> None:
        k, s = (o.FilterHeight(), o.FilterWidth()), (o.StrideH(), o.StrideW())
        pads = self._pads(ins[0], k, s, (1, 1), o.Padding() == 0)
        y = self.op(
            onnx_op, [self.name(ins[0])], kernel_shape=list(k), strides=list(s), pads=pads, **extra
        )
        self.activate(y, o.FusedActivationFunction(), self.name(out))

    def op_max_pool_2d(self, ins: list[int], out: int, o: Any) -> None:
        self._pool("MaxPool", ins, out, o)

    def op_average_pool_2d(self, ins: list[int], out: int, o: Any) -> None:
        self._pool("AveragePool", ins, out, o, count_include_pad=0)

    def op_resize_bilinear(self, ins: list[int], out: int, o: Any) -> None:
        mode = (
            "align_corners"
            if o.AlignCorners()
            else "half_pixel"
            if o.HalfPixelCenters()
            else "asymmetric"
        )
        size = np.array([1, self.shape(out)[3], *self.shape(out)[1:3]], np.int64)
        self.node(
            "Resize",
            [self.name(ins[0]), "", "", self.init(size)],
            [self.name(out)],
            mode="linear",
            coordinate_transformation_mode=mode,
        )

    def op_depth_to_space(self, ins: list[int], out: int, o: Any) -> None:
        self.node(
            "DepthToSpace",
            [self.name(ins[0])],
            [self.name(out)],
            blocksize=o.BlockSize(),
            mode="DCR",
        )

    def op_concatenation(self, ins: list[int], out: int, o: Any) -> None:
        rank = len(self.shape(out))
        axis = o.Axis() % rank
        if rank == 4:
            axis = [0, 2, 3, 1][axis]
        y = self.op("Concat", [self.value(t) for t in ins], axis=axis)
        self.activate(y, o.FusedActivationFunction(), self.name(out))

    def op_reshape(self, ins: list[int], out: int, o: Any) -> None:
        x = self.name(ins[0])
        if len(self.shape(ins[0])) == 4:  # back to NHWC so the element order is tflite's
            x = self.op("Transpose", [x], perm=[0, 2, 3, 1])
        shape = self.shape(out)
        if len(shape) == 4:
            y = self.op("Reshape", [x, self.init(np.array(shape, np.int64))])
            self.node("Transpose", [y], [self.name(out)], perm=[0, 3, 1, 2])
        else:
            self.node("Reshape", [x, self.init(np.array(shape, np.int64))], [self.name(out)])

    def op_strided_slice(self, ins: list[int], out: int, o: Any) -> None:
        begin, end, strides = (np.asarray(self.raw(t), np.int64) for t in ins[1:4])
        if o.EllipsisMask() or o.NewAxisMask() or o.ShrinkAxisMask():
            raise NotImplementedError("strided slice form")
        shape = self.shape(ins[0])
        for i in range(len(begin)):
            if o.BeginMask() >> i & 1:
                begin[i] = 0
            if o.EndMask() >> i & 1:
                end[i] = shape[i]
        if len(shape) == 4:  # NHWC bounds -> NCHW
            begin, end, strides = (v[[0, 3, 1, 2]] for v in (begin, end, strides))
        axes = np.arange(len(begin), dtype=np.int64)
        args = [
            self.name(ins[0]),
            self.init(begin),
            self.init(end),
            self.init(axes),
            self.init(strides),
        ]
        self.node("Slice", args, [self.name(out)])

    # -- MediaPipe custom ops -------------------------------------------------------------
    def custom_Convolution2DTransposeBias(self, ins: list[int], out: int, opts: bytes) -> None:
        """mediapipe/util/tflite/operations/transpose_conv_bias.cc: a transposed convolution
        (kernel OHWI, here 2x2 stride 2 with no padding) plus a bias."""
        w = np.asarray(self.raw(ins[1]), np.float32)
        k = list(w.shape[1:3])
        ih, iw = self.shape(ins[0])[1:3]
        oh, ow = self.shape(out)[1:3]
        stride = [oh // ih, ow // iw]
        args = [
            self.name(ins[0]),
            self.init(w.transpose(3, 0, 1, 2)),
            self.init(np.asarray(self.raw(ins[2]), np.float32)),
        ]
        if k != stride:  # SAME-padded variants would need output padding; none in our models
            raise NotImplementedError("transposed convolution with kernel != stride")
        self.node("ConvTranspose", args, [self.name(out)], kernel_shape=k, strides=stride)

    def custom_Landmarks2TransformMatrix(self, ins: list[int], out: int, opts: bytes) -> None:
        """landmarks_to_transform_matrix.cc, v2: the 4x4 matrix taking an output_width x
        output_height grid to the region around the `subset_idxs` landmarks, rotated so the
        left/right rotation landmarks lie level, scaled by scale_x/scale_y. The rotation's cos
        and sin come straight from the landmark difference (no atan2 in ONNX)."""
        p = flexbuffers.Loads(opts)
        if float(p["target_rotation_radians"]) != 0.0:
            raise NotImplementedError("target_rotation_radians != 0")
        x = self.name(ins[0])  # [1, N, 3]
        xy = self.slice(x, [0], [2], [2])
        pair = self.op(
            "Gather",
            [xy, self.init(np.array([p["left_rotation_idx"], p["right_rotation_idx"]], np.int64))],
            axis=1,
        )
        d = self.op(
            "Sub",
            [
                self.op("Gather", [pair, self.init(np.int64(1))], axis=1),
                self.op("Gather", [pair, self.init(np.int64(0))], axis=1),
            ],
        )  # [1, 2]
        unit = self.op(
            "Div",
            [
                d,
                self.op(
                    "Sqrt",
                    [
                        self.op(
                            "ReduceSum",
                            [self.op("Mul", [d, d]), self.init(np.array([1], np.int64))],
                            keepdims=1,
                        )
                    ],
                ),
            ],
        )
        cos = self.slice(unit, [0], [1], [1])  # [1, 1]
        sin_neg = self.slice(unit, [1], [2], [1])
        sin = self.op("Neg", [sin_neg])  # r = -atan2(dy, dx): sin r = -dy / |d|
        # rot(r) as a [1, 2, 2] matrix for row vectors: [x', y'] = [x, y] @ [[c, s], [-s, c]]
        row0 = self.op("Concat", [cos, sin], axis=1)
        row1 = self.op("Concat", [sin_neg, cos], axis=1)
        rot = self.op(
            "Reshape",
            [self.op("Concat", [row0, row1], axis=1), self.init(np.array([1, 2, 2], np.int64))],
        )
        subset = self.op("Gather", [xy, self.init(np.array(p["subset_idxs"], np.int64))], axis=1)
        turned = self.op("MatMul", [subset, rot])  # [1, K, 2]
        hi = self.op("ReduceMax", [turned, self.init(np.array([1], np.int64))], keepdims=0)
        lo = self.op("ReduceMin", [turned, self.init(np.array([1], np.int64))], keepdims=0)
        size = self.op("Sub", [hi, lo])  # [1, 2]
        mid = self.op("Mul", [self.op("Add", [hi, lo]), self.init(np.float32(0.5))])
        # Back with rot(-r): [x, y] @ [[c, -s], [s, c]]
        back = self.op(
            "Reshape",
            [
                self.op(
                    "Concat",
                    [
                        self.op("Concat", [cos, sin_neg], axis=1),
                        self.op("Concat", [sin, cos], axis=1),
                    ],
                    axis=1,
                ),
                self.init(np.array([1, 2, 2], np.int64)),
            ],
        )
        centre = self.op(
            "Reshape",
            [
                self.op(
                    "MatMul",
                    [self.op("Unsqueeze", [mid, self.init(np.array([1], np.int64))]), back],
                ),
                self.init(np.array([1, 2], np.int64)),
            ],
        )
        out_wh = np.array([p["output_width"], p["output_height"]], np.float32)
        scale = self.op(
            "Mul",
            [
                size,
                self.init(
                    (np.array([p["scale_x"], p["scale_y"]], np.float32) / out_wh).reshape(1, 2)
                ),
            ],
        )  # [sx, sy]
        sx = self.slice(scale, [0], [1], [1])
        sy = self.slice(scale, [1], [2], [1])
        # T = shift(centre) rot(-r) scale shift(-out/2): linear part [[c sx, s sy], [-s sx, c sy]]
        a00, a01 = self.op("Mul", [cos, sx]), self.op("Mul", [sin, sy])
        a10, a11 = self.op("Mul", [sin_neg, sx]), self.op("Mul", [cos, sy])
        hx, hy = -out_wh[0] / 2, -out_wh[1] / 2
        cx = self.slice(centre, [0], [1], [1])
        cy = self.slice(centre, [1], [2], [1])
        tx = self.op(
            "Add",
            [
                cx,
                self.op(
                    "Add",
                    [
                        self.op("Mul", [a00, self.init(np.float32(hx))]),
                        self.op("Mul", [a01, self.init(np.float32(hy))]),
                    ],
                ),
            ],
        )
        ty = self.op(
            "Add",
            [
                cy,
                self.op(
                    "Add",
                    [
                        self.op("Mul", [a10, self.init(np.float32(hx))]),
                        self.op("Mul", [a11, self.init(np.float32(hy))]),
                    ],
                ),
            ],
        )
        zero, one = self.init(np.zeros((1, 1), np.float32)), self.init(np.ones((1, 1), np.float32))
        flat = self.op(
            "Concat",
            [a00, a01, zero, tx, a10, a11, zero, ty, zero, zero, one, zero, zero, zero, zero, one],
            axis=1,
        )
        self.node("Reshape", [flat, self.init(np.array([1, 4, 4], np.int64))], [self.name(out)])

    def custom_TransformTensorBilinear(self, ins: list[int], out: int, opts: bytes) -> None:
        """transform_tensor_bilinear.cc, v2: output pixel (x, y) samples the input bilinearly at
        T @ (x + 0.5, y + 0.5, 0, 1) - 0.5, and is 0 where that lies outside [0, size - 1]."""
        p = flexbuffers.Loads(opts)
        oh, ow = p["output_height"], p["output_width"]
        ih, iw = self.shape(ins[0])[1:3]
        gy, gx = np.meshgrid(
            np.arange(oh, dtype=np.float32) + 0.5,
            np.arange(ow, dtype=np.float32) + 0.5,
            indexing="ij",
        )
        grid = np.stack([gx.ravel(), gy.ravel(), np.ones(oh * ow, np.float32)], axis=0)  # [3, P]
        m = self.slice(self.name(ins[1]), [0, 0], [2, 4], [1, 2])  # [1, 2, 4]
        m = self.op(
            "Gather", [m, self.init(np.array([0, 1, 3], np.int64))], axis=2
        )  # z column unused
        tc = self.op(
            "Sub", [self.op("MatMul", [m, self.init(grid)]), self.init(np.float32(0.5))]
        )  # [1, 2, P] pixels
        lim = self.init(np.array([iw - 1, ih - 1], np.float32).reshape(1, 2, 1))
        inside = self.op(
            "Cast",
            [
                self.op(
                    "And",
                    [
                        self.op("GreaterOrEqual", [tc, self.init(np.float32(0))]),
                        self.op("LessOrEqual", [tc, lim]),
                    ],
                )
            ],
            to=TensorProto.FLOAT,
        )
        inside = self.op(
            "ReduceMin", [inside, self.init(np.array([1], np.int64))], keepdims=1
        )  # [1, 1, P]
        norm = self.op(
            "Sub",
            [
                self.op(
                    "Mul",
                    [
                        tc,
                        self.init(
                            np.array([2 / (iw - 1), 2 / (ih - 1)], np.float32).reshape(1, 2, 1)
                        ),
                    ],
                ),
                self.init(np.float32(1)),
            ],
        )
        grid_t = self.op(
            "Reshape",
            [
                self.op("Transpose", [norm], perm=[0, 2, 1]),
                self.init(np.array([1, oh, ow, 2], np.int64)),
            ],
        )
        sampled = self.op(
            "GridSample",
            [self.name(ins[0]), grid_t],
            mode="bilinear",
            padding_mode="zeros",
            align_corners=1,
        )
        mask = self.op("Reshape", [inside, self.init(np.array([1, 1, oh, ow], np.int64))])
        self.node("Mul", [sampled, mask], [self.name(out)])

    def custom_TransformLandmarks(self, ins: list[int], out: int, opts: bytes) -> None:
        """transform_landmarks.cc, v2 with 2-D landmarks [1, N, 2]: each (x, y) becomes the
        first two rows of the 4x4 matrix applied to (x, y, 0, 1)."""
        if self.shape(ins[0])[-1] != 2:
            raise NotImplementedError("3-D TransformLandmarks")
        m = self.slice(self.name(ins[1]), [0, 0], [2, 4], [1, 2])  # [1, 2, 4]
        lin = self.op("Gather", [m, self.init(np.array([0, 1], np.int64))], axis=2)  # [1, 2, 2]
        shift = self.op("Gather", [m, self.init(np.array([3], np.int64))], axis=2)  # [1, 2, 1]
        y = self.op("MatMul", [self.name(ins[0]), self.op("Transpose", [lin], perm=[0, 2, 1])])
        self.node("Add", [y, self.op("Transpose", [shift], perm=[0, 2, 1])], [self.name(out)])


def _options(op: Any, kind: str) -> Any:
    """The op's builtin options table, typed (None when it has none)."""
    table = op.BuiltinOptions()
    if table is None:
        return None
    cls = {
        "CONV_2D": tflite.Conv2DOptions,
        "DEPTHWISE_CONV_2D": tflite.DepthwiseConv2DOptions,
        "ADD": tflite.AddOptions,
        "MUL": tflite.MulOptions,
        "MAX_POOL_2D": tflite.Pool2DOptions,
        "AVERAGE_POOL_2D": tflite.Pool2DOptions,
        "CONCATENATION": tflite.ConcatenationOptions,
        "RESIZE_BILINEAR": tflite.ResizeBilinearOptions,
        "DEPTH_TO_SPACE": tflite.DepthToSpaceOptions,
        "STRIDED_SLICE": tflite.StridedSliceOptions,
    }.get(kind)
    if cls is None:
        return None
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    return opts


def _union_vector(table: Any, kind: int) -> np.ndarray:
    cls = {1: tflite.Int32Vector, 2: tflite.Uint16Vector, 3: tflite.Uint8Vector}[kind]
    vec = cls()
    vec.Init(table.Bytes, table.Pos)
    return np.asarray(vec.ValuesAsNumpy(), np.int64)


def _densify(values: np.ndarray, sparsity: Any, shape: list[int]) -> np.ndarray:
    """Dense array from tflite sparsity parameters; handles the form mediapipe's detector uses:
    leading dense dimensions in order and a compressed (CSR) last one, no block map."""
    order = list(sparsity.TraversalOrderAsNumpy())
    if order != list(range(len(shape))) or sparsity.BlockMapLength():
        raise NotImplementedError("sparse layout")
    dims = [sparsity.DimMetadata(i) for i in range(sparsity.DimMetadataLength())]
    if any(d.Format() != 0 for d in dims[:-1]) or dims[-1].Format() != 1:
        raise NotImplementedError("sparse layout")
    segments = _union_vector(dims[-1].ArraySegments(), dims[-1].ArraySegmentsType())
    indices = _union_vector(dims[-1].ArrayIndices(), dims[-1].ArrayIndicesType())
    rows = int(np.prod(shape[:-1]))
    dense = np.zeros((rows, shape[-1]), values.dtype)
    for r in range(rows):
        a, b = segments[r], segments[r + 1]
        dense[r, indices[a:b]] = values[a:b]
    return dense.reshape(shape)


def _check(src: Path, dst: Path) -> str:
    """Max abs difference of every output against the LiteRT interpreter on random input."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(src))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    x = np.random.default_rng(0).uniform(-1, 1, inp["shape"]).astype(np.float32)
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    sess = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"])
    got = dict(
        zip(
            [o.name for o in sess.get_outputs()],
            sess.run(None, {sess.get_inputs()[0].name: x}),
            strict=True,
        )
    )
    diffs = []
    for o in interp.get_output_details():
        ref = interp.get_tensor(o["index"])
        diffs.append(
            f"{o['name']} max|d|={np.abs(got[o['name']] - ref).max():.2e} (range {np.abs(ref).max():.2g})"
        )
    return "; ".join(diffs)


def _check_segmenter(dst: Path) -> str:
    """Max abs difference against mediapipe's own selfie-segmentation graph on a 256 x 256
    picture (its resize is then the identity); needs mediapipe and scikit-image importable."""
    import onnxruntime as ort
    from mediapipe.python.solution_base import SolutionBase
    from mediapipe.python.solutions import selfie_segmentation
    from skimage import data, transform

    graph = SolutionBase(
        binary_graph_path=selfie_segmentation._BINARYPB_FILE_PATH,
        side_inputs={"model_selection": 0},
        outputs=["segmentation_mask"],
    )
    sess = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"])
    x = (transform.resize(data.astronaut(), (256, 256)) * 255).round().astype(np.uint8)
    ref = np.asarray(graph.process(x).segmentation_mask, np.float32)
    got = sess.run(None, {"input_1": (x.astype(np.float32) / 255)[None]})[0][0, :, :, 0]
    return f"mask max|d|={np.abs(got - ref).max():.2e} against mediapipe's graph"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--mediapipe", type=Path, required=True, help="the installed mediapipe package folder"
    )
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument(
        "--check", action="store_true", help="compare with LiteRT where it can run the original"
    )
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for rel, name in MODELS.items():
        src = args.mediapipe / "modules" / rel
        model = Converter(src).convert()
        dst = args.out / name
        onnx.save(model, dst)
        sha = hashlib.sha256(src.read_bytes()).hexdigest()
        print(f"{rel} (sha256 {sha[:16]}) -> {dst} ({dst.stat().st_size / 1e6:.2f} MB)")
        if args.check and ("face_detection" in rel or "selfie" in rel):
            try:  # each check needs its own reference runtime
                print("   ", _check(src, dst) if "face_detection" in rel else _check_segmenter(dst))
            except ImportError as exc:
                print(f"    check skipped: {exc}")


if __name__ == "__main__":
    main()
