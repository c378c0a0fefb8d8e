"""Slurm adapter: argv builders and pure parsers of Slurm's output. Built in a later issue."""
