"""``python -m hydasklearn``: run the main job."""

import sys

from ._cli import main

sys.exit(main())
