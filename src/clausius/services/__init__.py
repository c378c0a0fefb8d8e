"""The one service layer: every user action or query is one async function here.

Web routes, MCP tools and CLI commands all call these; no interface calls
another interface.
"""
