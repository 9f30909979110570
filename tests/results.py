"""Where tests leave what a person looks at afterwards: screenshots, PDFs, reports.

`test-results/` by default; TEST_RESULTS_DIR moves it, so that two runs of the suite at the
same time (CI runs SQLite and PostgreSQL side by side) do not write over each other's files.
"""

import os
from pathlib import Path

from django.conf import settings

RESULTS = Path(os.environ.get("TEST_RESULTS_DIR") or Path(settings.BASE_DIR) / "test-results")
