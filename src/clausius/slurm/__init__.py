"""Slurm adapter: argv builders and pure parsers of Slurm's output (no I/O here).

- `commands`: validated argv builders (+ `to_shell`) for squeue, sacct, scontrol, sinfo,
  sshare, sprio, squeue --start, sstat and scancel; formats in `formats`.
- `refresh`: the one-round-trip refresh script (clock + squeue + sacct, nonce-framed)
  and its parser.
- Parsers (`squeue`, `sacct`, `scontrol`, `sinfo`, `shares`, `sstat`, `scancel`) turn text
  into the frozen dataclasses of `models`; they raise only `errors.SlurmParseError`.
- `timeparse`: cluster-local Slurm times → UTC epoch, once, with the cluster's offset.
"""
