"""Run by cibuildwheel on every built wheel, before the suite.

The installed cyiter must be the compiled twin, and on a free-threaded
CPython (3.14t, 3.15t) importing it must leave the GIL disabled: an extension
module that does not declare free-threading support would switch it back on.
"""

import sys
import sysconfig

import cyiter

assert cyiter.IMPLEMENTATION == "cython", cyiter.IMPLEMENTATION
if sysconfig.get_config_var("Py_GIL_DISABLED"):
    assert not sys._is_gil_enabled(), "importing cyiter re-enabled the GIL"
    print(f"cyiter {cyiter.__version__}: compiled twin, the GIL stays disabled")
else:
    print(f"cyiter {cyiter.__version__}: compiled twin")
