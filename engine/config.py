"""Typed, validated settings of the inference engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Backend", "DeviceName", "EngineConfig", "Precision"]

DeviceName = Literal["auto", "cpu", "cuda"]
Precision = Literal["auto", "fp32", "fp16", "bf16"]
Backend = Literal["local", "ray"]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How the engine queues, batches and runs jobs."""

    device: DeviceName = "auto"
    # "auto": fp16 autocast on CUDA, fp32 on CPU (CPU half precision is slower, not faster).
    precision: Precision = "auto"
    max_batch_size: int = 8
    max_wait_ms: float = 15.0
    queue_size: int = 256
    job_timeout_s: float = 120.0
    # A batch still in the model after this long is failed and its thread abandoned (a hung
    # GPU call cannot be interrupted); the engine goes on with a fresh thread.
    batch_timeout_s: float = 120.0
    # Images are padded up to a multiple of this so photos of similar size share a batch.
    bucket_px: int = 128
    # On the CPU, run a batch image by image: these memory-bound filters are 2-3x slower on a
    # stacked batch there (bench/engine.py). Batches still form, so the GPU path is unchanged.
    split_cpu_batches: bool = True
    # webtoon styles people and backgrounds apart (bundled face models); off = whole-image look,
    # about 1.7x faster on a 2-core CPU for portraits (bench/engine.py).
    person_aware: bool = True
    # Faces person-aware styles analyze per image, the most confident first (each costs a face
    # mesh on its crop, ~9 ms on one CPU core); at most 256.
    max_faces: int = 32
    # Portrait looks (webtoon, manhwa) warp faces toward webtoon proportions: bigger eyes,
    # slimmer jaw and nose. 0 = no warp, 1 = the strongest; the default keeps people recognisable.
    portrait_warp: float = 0.5
    # 0 means "all cores": torch's default already is, but an explicit value makes benches honest.
    torch_threads: int = 0
    # "local": the engine runs in this process. "ray": jobs go to a Ray Serve application
    # (engine/remote/) whose replicas each run this same engine, e.g. one per GPU machine.
    backend: Backend = "local"
    # Where the Ray cluster is: "auto" finds one started on this machine with `ray start`.
    ray_address: str = "auto"
    # Name of the Serve application the engine is deployed as (and the bots look up).
    ray_app: str = "toonbot-engine"
    # Used when deploying: how many replicas, and how many GPUs each one reserves.
    ray_replicas: int = 1
    ray_gpus_per_replica: float = 1.0

    def __post_init__(self) -> None:
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"engine.device must be auto, cpu or cuda, not {self.device!r}")
        if self.precision not in ("auto", "fp32", "fp16", "bf16"):
            raise ValueError(
                f"engine.precision must be auto, fp32, fp16 or bf16, not {self.precision!r}"
            )
        _positive("engine.max_batch_size", self.max_batch_size, upper=256)
        _positive("engine.queue_size", self.queue_size, upper=1_000_000)
        _positive("engine.bucket_px", self.bucket_px, upper=4096)
        _positive("engine.max_faces", self.max_faces, upper=256)
        if not 0.0 <= self.portrait_warp <= 1.0:
            raise ValueError("engine.portrait_warp must be between 0 and 1")
        if not 0 <= self.max_wait_ms <= 10_000:
            raise ValueError("engine.max_wait_ms must be between 0 and 10000")
        if not 0 < self.job_timeout_s <= 86_400:
            raise ValueError("engine.job_timeout_s must be > 0 and at most a day")
        if not 0 < self.batch_timeout_s <= 86_400:
            raise ValueError("engine.batch_timeout_s must be > 0 and at most a day")
        if not 0 <= self.torch_threads <= 1024:
            raise ValueError("engine.torch_threads must be between 0 and 1024")
        if self.backend not in ("local", "ray"):
            raise ValueError(f"engine.backend must be local or ray, not {self.backend!r}")
        if not self.ray_address.strip():
            raise ValueError('engine.ray_address must not be empty (use "auto")')
        if not self.ray_app.strip():
            raise ValueError("engine.ray_app must not be empty")
        _positive("engine.ray_replicas", self.ray_replicas, upper=1024)
        if not 0 <= self.ray_gpus_per_replica <= 16:
            raise ValueError("engine.ray_gpus_per_replica must be between 0 and 16")


def _positive(name: str, value: int, *, upper: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
        raise ValueError(f"{name} must be an integer between 1 and {upper}, not {value!r}")
