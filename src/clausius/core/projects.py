"""Project styling rules: the palette new projects are given automatically."""

from __future__ import annotations

from collections.abc import Collection

PALETTE: tuple[str, ...] = (
    "#e8f4fd",
    "#fef3e2",
    "#e8f5e9",
    "#fce4ec",
    "#ede7f6",
    "#fff8e1",
    "#e0f2f1",
    "#fbe9e7",
    "#e3f2fd",
    "#f3e5f5",
    "#e8eaf6",
    "#fff3e0",
)
EMOJIS: tuple[str, ...] = ("🔬", "🧪", "🚀", "⚡", "🎯", "🔮", "🌊", "🔥", "💎", "🧬", "🏗️", "🎨")


def pick_style(used_colors: Collection[str], used_emojis: Collection[str], count: int) -> tuple[str, str]:
    """First unused colour and emoji; once all are used, cycle by project count."""
    color = next((c for c in PALETTE if c not in used_colors), PALETTE[count % len(PALETTE)])
    emoji = next((e for e in EMOJIS if e not in used_emojis), EMOJIS[count % len(EMOJIS)])
    return color, emoji


def default_prefix(name: str) -> str:
    return f"{name}_"
