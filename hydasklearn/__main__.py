"""``python -m hydasklearn``: run the main job."""

import sys

from ._main_job.cli import main

sys.exit(main())
