"""Prometheus instruments of the engine, registered on a registry the caller owns."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["JOB_OUTCOMES", "EngineMetrics"]

JOB_OUTCOMES = ("ok", "timeout", "failed", "cancelled", "queue_full", "closed")

# Seconds: from a few ms (a tiny CPU filter) to the two-minute job timeout.
_LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
)
_BATCH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256)


class EngineMetrics:
    """Queue depth, batch sizes, latencies and job outcomes; pass one to Engine(metrics=...)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.queue_depth = Gauge(
            "toonbot_engine_queue_depth", "Jobs waiting for a batch.", registry=registry
        )
        self.batch_size = Histogram(
            "toonbot_engine_batch_size",
            "Images per batch handed to the model.",
            buckets=_BATCH_BUCKETS,
            registry=registry,
        )
        self.queue_wait = Histogram(
            "toonbot_engine_queue_wait_seconds",
            "Time a job waited in the queue before its batch started.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.inference = Histogram(
            "toonbot_engine_inference_seconds",
            "Time the model took for one batch.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.job_latency = Histogram(
            "toonbot_engine_job_seconds",
            "Time from submit to result (or failure) of one job.",
            ["style"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.jobs = Counter(
            "toonbot_engine_jobs",
            "Jobs finished, by outcome and style.",
            ["outcome", "style"],
            registry=registry,
        )

    def watch_queue(self, depth: Callable[[], int]) -> None:
        """Read the queue depth from `depth` at each scrape."""
        self.queue_depth.set_function(depth)
