"""``python -m flowstudio`` runs the command line."""

from flowstudio.cli.main import main

raise SystemExit(main())
