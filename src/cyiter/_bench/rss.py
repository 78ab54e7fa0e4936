"""The child process of a peak-memory run (see :mod:`cyiter._bench.memory`).

``python -m cyiter._bench.rss KIND READER PATH OPTIONS`` reads the file at
PATH through one reader of twin KIND, made with the JSON keyword arguments
OPTIONS, and prints ``{"baseline": bytes, "peak": bytes}``: the peak RSS
after the imports and after the whole file.  The package never imports
this module, so that ``-m`` runs it fresh.
"""

import json
import sys
from collections import deque
from typing import Any

from cyiter._bench.cases import twin_classes
from cyiter._bench.memory import peak_rss_bytes


def main(kind: str, reader: str, path: str, options: dict[str, Any]) -> None:
    cls = twin_classes(kind)[0][reader]
    baseline = peak_rss_bytes()
    with cls(path, **options) as iterator:
        deque(iterator, maxlen=0)
    print(json.dumps({"baseline": baseline, "peak": peak_rss_bytes()}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
