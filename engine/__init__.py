"""ToonBot inference engine: queue, micro-batcher, worker thread, styles and media I/O."""
