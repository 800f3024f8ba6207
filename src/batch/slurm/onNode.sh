#!/bin/sh
# The batch script of every Slurm job jobtree submits. It runs its arguments
# (the worker's command line, given to sbatch as separate words) exactly as
# given: no word of it is ever parsed by a shell.
exec "$@"
