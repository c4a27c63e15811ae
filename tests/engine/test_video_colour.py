"""Video colour: HDR (PQ, HLG) tone-mapped to SDR BT.709, declared YUV matrices and ranges
honoured, and the output tagged and encoded BT.709 limited range.

Inputs are flat colour patches encoded from known SDR colours with the formulas of ITU-R BT.2100
and BT.2087 written out here (not taken from engine.video.colour), losslessly where the codec
allows, so what comes back measures the reader, the tone mapping and the writer.
"""

from __future__ import annotations

import io
import math

import av
import numpy as np
import pytest

from engine.video import toon_video
from engine.video.colour import pq_eotf, pq_inverse_eotf, primaries_matrix, tone_map_nits
from tests.engine.tiny_styles import identity_engine

PW, H = 32, 32  # each patch is PW x H, so 4:2:0 chroma never straddles two patches
KR_KB = {"601": (0.299, 0.114), "709": (0.2126, 0.0722), "2020": (0.2627, 0.0593)}
SPACE = {"601": 6, "709": 1, "2020": 9}  # AVColorSpace ids
BT709_TO_BT2020 = np.array(  # ITU-R BT.2087, linear RGB
    [[0.6274, 0.3293, 0.0433], [0.0691, 0.9195, 0.0114], [0.0164, 0.0880, 0.8956]]
)

# Patch colours (sRGB 8-bit) whose brightest channel stays below the BT.2390 knee (~95 cd/m²
# for a 1000 cd/m² source shown with 203 cd/m² as SDR white): they come back as they went in.
MIDTONES = [(180, 40, 40), (30, 160, 60), (40, 60, 180), (170, 130, 100), (128, 128, 128)]
# Tolerance for them, in 8-bit levels per channel: 10-bit quantization, 4:2:0, swscale's
# decode, then the SDR encode (x264 CRF 20) and decode. Measured: at most 2.6.
MIDTONE_TOLERANCE = 4


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    x = np.asarray(rgb, np.float64) / 255
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def pq_signal(nits: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084 inverse EOTF, written out."""
    m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
    y = (np.clip(nits, 0, 10000) / 10000) ** m1
    return ((c1 + c2 * y) / (1 + c3 * y)) ** m2


def hlg_signal(nits: np.ndarray) -> np.ndarray:
    """Display light (1000 cd/m² HLG display) -> HLG signal: BT.2100 inverse OOTF, then OETF."""
    yd = nits @ np.array([0.2627, 0.6780, 0.0593])
    ys = (np.maximum(yd, 1e-9) / 1000) ** (1 / 1.2)
    scene = nits / (1000 * ys**0.2)[..., None]
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    return np.where(
        scene <= 1 / 12, np.sqrt(3 * scene), a * np.log(np.maximum(12 * scene - b, 1e-9)) + c
    )


def patches(colours: list[tuple[float, ...]]) -> np.ndarray:
    """An (H, PW * n, 3) image of flat patches."""
    return np.repeat(np.asarray(colours, np.float64)[None, :, :], PW, axis=1).repeat(H, axis=0)


def encode_yuv(
    signal: np.ndarray, matrix: str, bits: int, full: bool, tags: dict[str, int] | None
) -> bytes:
    """A 3-frame clip of the non-linear R'G'B' image `signal` ([0, 1]) as 4:2:0 YUV with the
    given matrix, depth and range, losslessly coded, its colour tags set when `tags`."""
    kr, kb = KR_KB[matrix]
    y = kr * signal[..., 0] + (1 - kr - kb) * signal[..., 1] + kb * signal[..., 2]
    u = (signal[..., 2] - y) / (2 * (1 - kb))
    v = (signal[..., 0] - y) / (2 * (1 - kr))
    scale = 1 << (bits - 8)
    if full:
        top = (1 << bits) - 1
        planes = (y * top, 2 ** (bits - 1) + u * top, 2 ** (bits - 1) + v * top)
    else:
        planes = (
            16 * scale + 219 * scale * y,
            128 * scale + 224 * scale * u,
            128 * scale + 224 * scale * v,
        )
    h, w = y.shape
    sub = [
        p if i == 0 else p.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        for i, p in enumerate(planes)
    ]
    dtype = np.uint16 if bits > 8 else np.uint8
    if bits == 8:
        fmt, codec, container, options = "yuv420p", "libx264", "mp4", {"qp": "0"}
    elif "libx265" in av.codecs_available:
        fmt, codec, container = "yuv420p10le", "libx265", "mp4"
        options = {"x265-params": "lossless=1:log-level=none"}
    else:  # a PyAV build without x265: FFV1 (lossless, FFmpeg's own) in Matroska
        fmt, codec, container, options = "yuv420p10le", "ffv1", "matroska", {}
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=container) as out:
        vs = out.add_stream(codec, rate=10)
        vs.width, vs.height, vs.pix_fmt, vs.options = w, h, fmt, options
        cc = vs.codec_context
        if tags is not None:
            cc.color_primaries, cc.color_trc = tags["primaries"], tags["trc"]
            cc.colorspace, cc.color_range = SPACE[matrix], 2 if full else 1
        for i in range(3):
            frame = av.VideoFrame(w, h, fmt)
            for plane, values in zip(frame.planes, sub, strict=True):
                row = plane.line_size // np.dtype(dtype).itemsize
                buf2 = np.zeros((values.shape[0], row), dtype)
                buf2[:, : values.shape[1]] = np.clip(np.round(values), 0, (1 << bits) - 1)
                plane.update(buf2.tobytes())
            if tags is not None:
                frame.colorspace, frame.color_range = SPACE[matrix], 2 if full else 1
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    return buf.getvalue()


def hdr_clip(colours: list[tuple[int, int, int]], transfer: str, peak_nits: float) -> bytes:
    """SDR colours as 10-bit BT.2020 PQ or HLG, SDR white at 203 cd/m² (ITU-R BT.2408), then a
    grey patch at peak_nits."""
    linear = srgb_to_linear(patches(colours)) @ BT709_TO_BT2020.T * 203
    linear = np.concatenate([linear, patches([(peak_nits,) * 3])], axis=1)
    signal = pq_signal(linear) if transfer == "pq" else hlg_signal(linear)
    trc = 16 if transfer == "pq" else 18
    return encode_yuv(signal, "2020", 10, False, {"primaries": 9, "trc": trc})


async def through_identity(clip: bytes) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """toon_video's first output frame: (RGB 0-255 float as FFmpeg decodes it by the output's
    tags, the raw
    yuv420p planes, (primaries, transfer, matrix, range) tags of the output stream)."""
    async with identity_engine() as engine:
        result = await toon_video(engine, clip, "identity", "u1", stabilize=False)
    with av.open(io.BytesIO(result.data)) as c:
        cc = c.streams.video[0].codec_context
        tags = (int(cc.color_primaries), int(cc.color_trc), int(cc.colorspace), int(cc.color_range))
        frame = next(c.decode(video=0))
        # Float: libswscale's unscaled 8-bit RGB output can be 2 levels off.
        return frame.to_ndarray(format="gbrpf32le") * 255, frame.to_ndarray(), tags


def patch_centres(rgb: np.ndarray, n: int) -> np.ndarray:
    """The mean colour of the middle of each of n patches side by side."""
    h, w = rgb.shape[:2]
    step = w / n
    return np.array(
        [
            rgb[h // 4 : 3 * h // 4, int((i + 0.25) * step) : int((i + 0.75) * step)]
            .reshape(-1, 3)
            .mean(axis=0)
            for i in range(n)
        ]
    )


@pytest.mark.parametrize("transfer", ["pq", "hlg"])
async def test_hdr_is_tone_mapped_to_sdr_bt709(transfer: str) -> None:
    colours = [*MIDTONES, (240, 240, 240)]
    rgb, _, _ = await through_identity(hdr_clip(colours, transfer, peak_nits=1000.0))
    got = patch_centres(rgb, len(colours) + 1)
    # Below the knee: the SDR colour itself (today: washed out, grey 128 came back ~108).
    assert np.abs(got[: len(MIDTONES)] - MIDTONES).max() <= MIDTONE_TOLERANCE
    white, peak = got[-2], got[-1]
    # SDR white is rolled off a little (measured 220) and stays neutral; the 1000 cd/m²
    # highlight becomes full white, brighter than it.
    assert white.min() > 205 and np.ptp(white) <= 4
    assert peak.min() >= 250 and white.max() < peak.min() - 10


async def test_display_p3_video_is_converted_to_bt709() -> None:
    p3 = np.array([[0.8225, 0.1774, 0.0], [0.0332, 0.9669, 0.0], [0.0171, 0.0724, 0.9108]])
    linear = srgb_to_linear(patches(MIDTONES)) @ p3.T  # BT.709 -> Display P3 (D65), linear
    signal = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    clip = encode_yuv(signal, "709", 10, False, {"primaries": 12, "trc": 13})
    rgb, _, _ = await through_identity(clip)
    got = patch_centres(rgb, len(MIDTONES))
    assert np.abs(got - MIDTONES).max() <= MIDTONE_TOLERANCE


RED = (200, 60, 40)
TAGS_709 = {"primaries": 1, "trc": 1}


def flat_clip(matrix: str, full: bool, tags: dict[str, int] | None, w: int, h: int) -> bytes:
    signal = np.broadcast_to(np.asarray(RED, np.float64) / 255, (h, w, 3))
    return encode_yuv(signal, matrix, 8, full, tags)


@pytest.mark.parametrize(
    ("matrix", "full", "tags", "size"),
    [
        ("601", False, TAGS_709, (64, 48)),
        ("709", False, TAGS_709, (64, 48)),
        ("709", True, TAGS_709, (64, 48)),  # full range
        ("2020", False, TAGS_709, (64, 48)),  # BT.2020 matrix on SDR BT.709 colours
        ("601", False, None, (64, 48)),  # untagged SD: BT.601, as players assume
        ("709", False, None, (1280, 720)),  # untagged HD: BT.709 (today read as BT.601)
    ],
)
async def test_declared_matrix_and_range_decode_to_the_same_colour(
    matrix: str, full: bool, tags: dict[str, int] | None, size: tuple[int, int]
) -> None:
    rgb, _, _ = await through_identity(flat_clip(matrix, full, tags, *size))
    centre = rgb[rgb.shape[0] // 4 : -rgb.shape[0] // 4, rgb.shape[1] // 4 : -rgb.shape[1] // 4]
    assert np.abs(centre.reshape(-1, 3).mean(axis=0) - RED).max() <= 3  # measured: 2.3


async def test_output_is_encoded_and_tagged_bt709_limited_range() -> None:
    _, yuv, tags = await through_identity(flat_clip("601", False, TAGS_709, 64, 48))
    # BT.709 primaries, transfer and matrix; limited (MPEG) range.
    assert tags == (1, 1, 1, 1)
    r, g, b = np.asarray(RED) / 255
    luma = 16 + 219 * (0.2126 * r + 0.7152 * g + 0.0722 * b)  # BT.601 would give 101.5
    assert abs(float(yuv[12:36, 16:48].mean()) - luma) <= 1.5


def test_transfer_functions_and_matrices_match_the_standards() -> None:
    # ITU-R BT.2087: BT.2020 -> BT.709 linear RGB.
    bt2087 = [[1.6605, -0.5876, -0.0728], [-0.1246, 1.1329, -0.0083], [-0.0182, -0.1006, 1.1187]]
    np.testing.assert_allclose(primaries_matrix(9, 1), bt2087, atol=2e-4)
    # PQ: 100 cd/m² -> 0.5081, 203 -> 0.5807 (BT.2408's 58 %), 1000 -> 0.7518; round trip.
    np.testing.assert_allclose(
        pq_inverse_eotf([100, 203, 1000]), [0.5081, 0.5807, 0.7518], atol=2e-4
    )
    nits = np.geomspace(0.01, 10000, 50)
    np.testing.assert_allclose(pq_eotf(pq_inverse_eotf(nits)), nits, rtol=1e-9)
    # BT.2390 EETF: identity below the knee, the source peak lands on the target, monotonic.
    mapped = tone_map_nits(nits, 1000, 203)
    assert mapped[nits < 80] == pytest.approx(nits[nits < 80])
    assert float(tone_map_nits(1000, 1000, 203)) == pytest.approx(203, rel=1e-6)
    assert np.all(np.diff(mapped) >= 0) and mapped.max() <= 203 * (1 + 1e-6)
    assert tone_map_nits(150.0, 180, 203) == pytest.approx(150.0)  # nothing to compress
    assert math.isclose(float(pq_eotf(1.0)), 10000)
