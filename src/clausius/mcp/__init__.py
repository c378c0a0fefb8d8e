"""MCP interface (tools and resources over the shared services). Built in a later issue."""
