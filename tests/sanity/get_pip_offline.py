"""Stand-in for the pip bootstrap script ansible-test downloads when it creates its sanity virtualenvs.

ansible-test fetches get-pip-<version>.py from a host that is not reachable from our CI; it first looks in its
cache, where the Makefile puts this file. It installs pip from the wheel bundled with the standard library
(ensurepip) and then lets that pip install the version ansible-test asked for, from the configured package index.
"""

import ensurepip
import os
import runpy
import sys

ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null while it runs; drop that so the machine's pip configuration
# (index URL, certificates) applies to the real install below.
os.environ.pop("PIP_CONFIG_FILE", None)
requested = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.argv = ["pip", "install", *requested]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
