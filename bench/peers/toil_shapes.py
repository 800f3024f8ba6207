"""The benchmark shapes on Toil, for bench/peers/toil.ts.

usage: python3 toil_shapes.py wide WIDTH FANOUT [--no-chaining]
       python3 toil_shapes.py chain N [--no-chaining]

Prints one line of JSON: {"jobs": ..., "seconds": ...}.
The seconds are timed around startToil: they include making the job store and
starting and stopping Toil's leader, which jobtree's figure (from
WorkflowStarted to WorkflowFinished in its log) leaves out; on runs of many
seconds that is a small part.
"""

import json
import shutil
import sys
import tempfile
import time
from os.path import join

from toil.job import Job

# Small declared resources, so that only cores limit how many jobs run at
# once: 1 core each on --maxCores 2, as jobtree's default 1 core on 2 cores.
RESOURCES = {"cores": 1, "memory": "64M", "disk": "16M"}


def leaf(job):
    pass


def branch(job, fanout):
    for _ in range(fanout):
        job.addChildJobFn(leaf, **RESOURCES)


def wide(job, width, fanout):
    for _ in range(width):
        job.addChildJobFn(branch, fanout, **RESOURCES)


def chain(job, n):
    if n > 1:
        job.addFollowOnJobFn(chain, n - 1, **RESOURCES)


def main(argv):
    shape, *numbers = [a for a in argv if not a.startswith("--")]
    numbers = [int(n) for n in numbers]
    if shape == "wide":
        width, fanout = numbers
        root, jobs = Job.wrapJobFn(wide, width, fanout, **RESOURCES), 1 + width + width * fanout
    elif shape == "chain":
        (n,) = numbers
        root, jobs = Job.wrapJobFn(chain, n, **RESOURCES), n
    else:
        raise SystemExit(f"unknown shape {shape!r}")

    scratch = tempfile.mkdtemp(prefix="toil-bench-")
    try:
        options = Job.Runner.getDefaultOptions(join(scratch, "jobstore"))
        options.batchSystem = "single_machine"
        options.maxCores = 2
        options.logLevel = "WARNING"
        options.clean = "always"
        options.workDir = scratch
        options.disableChaining = "--no-chaining" in argv
        started = time.monotonic()
        Job.Runner.startToil(root, options)
        seconds = time.monotonic() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps({"jobs": jobs, "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1:])
