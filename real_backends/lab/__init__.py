"""The virtual bare-metal lab: libvirt guests, virtual BMCs on 127.0.0.1, instackenv.json.

See README.md in this directory. Python API: `Lab(name, dir).up(n)`, `.status()`, `.down()`,
`.nodes()`; command line: `real_backends.lab.cli.register(subparsers)` (`twin lab ...`).
"""
from real_backends.lab.lab import Declared, Lab, LabError

__all__ = ["Declared", "Lab", "LabError"]
