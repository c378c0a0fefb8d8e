"""slurmlab: bring up, inspect and tear down the two-cluster Slurm test lab (see docs/lab.md)."""
