"""clausius SDK: report run metadata and metrics from training and evaluation code.

Standard library only, because it runs inside training containers. The `Run`
API arrives with the SDK issue; this package exists now so the import name is
reserved and installed alongside the service.
"""

__all__: list[str] = []
__version__ = "0.1.0"
