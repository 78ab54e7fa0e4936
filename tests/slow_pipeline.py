"""Imported by test_convert's driver: the pipeline in small batches and
parts, each batch followed by a pause, a job slow enough to interrupt.

Applied on import, so that worker processes get it too: forked ones
inherit it, and the driver has the forkserver (3.14's default start
method) preload this module.
"""

import time

from cyiter import _pipeline

_pipeline.BATCH_BYTES = 4000
_pipeline.BATCH_STEP = 16
_pipeline.PART_BYTES = 40000
_end_batch = _pipeline._Output.end_batch


def _slow_end_batch(self):
    _end_batch(self)
    time.sleep(0.02)


_pipeline._Output.end_batch = _slow_end_batch
