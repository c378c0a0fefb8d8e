"""Transports to clusters (local subprocess, SSH). Built in a later issue."""
