"""Names the stack gives its resources are never cut short: a name that does not fit is an error."""

from __future__ import annotations

import pytest

from model.naming import MAX_FUNCTION_NAME, function_name, role_name


def test_names_keep_the_project_and_stack_prefix() -> None:
    assert function_name("rustlambda", "prod", "scheduled-job") == "rustlambda-prod-scheduled-job"
    assert role_name("rustlambda-prod-scheduled-job") == "rustlambda-prod-scheduled-job-role"


def test_a_function_name_too_long_for_its_role_is_refused() -> None:
    crate = "c" * (MAX_FUNCTION_NAME - len("rustlambda-prod-") + 1)
    with pytest.raises(ValueError) as error:
        function_name("rustlambda", "prod", crate)
    assert str(error.value) == (
        f"the function name 'rustlambda-prod-{crate}' has 60 characters, and Lambda and IAM allow 59 (with the "
        "role's '-role' suffix): shorten the project, stack or crate name"
    )
    assert len(role_name(function_name("rustlambda", "prod", crate[1:]))) == 64
