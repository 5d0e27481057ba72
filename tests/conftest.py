import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# the command line's cache of compiled plans (sim/plancache.py) stays out of the tests, which run on what they
# compile; tests/test_plancache.py turns it on in a folder of its own
os.environ["RSOM_PLAN_CACHE"] = "off"
