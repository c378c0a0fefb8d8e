"""clausius: one board for your jobs on every Slurm cluster."""

__version__ = "0.1.0"
