"""FastAPI dependencies: how a route reaches the shared services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from clausius.services.app import Services
from clausius.web.security import SecurityConfig


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_security(request: Request) -> SecurityConfig:
    security: SecurityConfig = request.app.state.security
    return security


ServicesDep = Annotated[Services, Depends(get_services)]
SecurityDep = Annotated[SecurityConfig, Depends(get_security)]
