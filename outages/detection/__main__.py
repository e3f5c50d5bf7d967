"""`python -m outages.detection INPUT.csv OUTPUT.csv`: see outages.detection.cli."""

from outages.detection.cli import main

raise SystemExit(main())
