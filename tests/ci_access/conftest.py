"""The dev and prod plans (tests/program's session fixtures), for the roles' checks against them."""

from tests.program.conftest import dev, prod

__all__ = ["dev", "prod"]
