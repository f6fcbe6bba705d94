import sys

from faceapp.cli import main

sys.exit(main())
