"""HTTP routes for logs (thin: each calls one service function)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["logs"])
