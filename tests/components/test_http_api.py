"""HttpApi under Pulumi's mocks: the resources it registers, their exact inputs and authorization."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi
import pytest

from components.triggers.http import HttpApi, HttpApiArgs, access_log_format, route_authorization, route_role
from model.stack_config import HttpSettings
from offline.engine import ACCOUNT_ID, REGION, Registration, run_callable

FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:rl-dev-http-api"
# What the API invokes: the function's live alias.
ALIAS_ARN = f"{FUNCTION_ARN}:live"
ROUTES = ("GET /health", "GET /items/{id}", "POST /items")
HAPPY = HttpApiArgs(
    api_name="rl-dev-http",
    function_name="rl-dev-http-api",
    invoke_target_arn=ALIAS_ARN,
    qualifier="live",
    routes=ROUTES,
    settings=HttpSettings(auth="iam"),
    function_url=False,
    log_retention_days=14,
    tags={"project": "rl"},
)
JWT = HttpSettings(auth="jwt", jwt_issuer="https://issuer.example.com", jwt_audience=("items-api", "admin"))
# The mocked execution ARN of the API (offline/engine.py names it after the resource).
EXECUTION_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:items-api"


def run(args: HttpApiArgs) -> tuple[dict[str, Registration], dict[str, Any]]:
    def program() -> None:
        api = HttpApi("items", args)
        pulumi.export("endpoint", api.api_endpoint)
        if api.function_url is not None:
            pulumi.export("url", api.function_url)

    registrations, outputs = run_callable(program, "dev", {})
    (component,) = (r for r in registrations if r.type == "rustlambda:index:HttpApi")
    assert component.name == "items"
    # Every resource but the stack and the component is a child of the component.
    children = {r.name: r for r in registrations if r.parent == component.urn}
    assert set(children) == {r.name for r in registrations} - {"items", "rustlambda-dev"}
    return children, outputs


def with_settings(**changes: Any) -> HttpApiArgs:
    return dataclasses.replace(HAPPY, **changes)


def routes(children: dict[str, Registration]) -> dict[str, dict[str, Any]]:
    return {r.inputs["routeKey"]: r.inputs for r in children.values() if r.type == "aws:apigatewayv2/route:Route"}


def test_the_happy_path_registers_the_api_its_integration_routes_stage_logs_and_permission() -> None:
    children, outputs = run(HAPPY)
    assert {name: r.type for name, r in children.items()} == {
        "items-api": "aws:apigatewayv2/api:Api",
        "items-integration": "aws:apigatewayv2/integration:Integration",
        "items-route-get-health": "aws:apigatewayv2/route:Route",
        "items-route-get-items-id": "aws:apigatewayv2/route:Route",
        "items-route-post-items": "aws:apigatewayv2/route:Route",
        "items-access-logs": "aws:cloudwatch/logGroup:LogGroup",
        "items-stage": "aws:apigatewayv2/stage:Stage",
        "items-invoke": "aws:lambda/permission:Permission",
    }
    assert children["items-api"].inputs == {"name": "rl-dev-http", "protocolType": "HTTP", "tags": {"project": "rl"}}
    assert children["items-integration"].inputs == {
        "apiId": "items-api-id",
        "integrationType": "AWS_PROXY",
        "integrationMethod": "POST",
        "integrationUri": ALIAS_ARN,
        "payloadFormatVersion": "2.0",
    }
    assert children["items-integration"].property_dependencies["apiId"] == [children["items-api"].urn]
    assert children["items-access-logs"].inputs == {
        "name": "/aws/apigateway/rl-dev-http",
        "retentionInDays": 14.0,
        "tags": {"project": "rl"},
    }
    stage = children["items-stage"]
    log_settings = stage.inputs.pop("accessLogSettings")
    assert stage.inputs == {"apiId": "items-api-id", "name": "$default", "autoDeploy": True, "tags": {"project": "rl"}}
    assert log_settings["destinationArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/apigateway/rl-dev-http"
    assert json.loads(log_settings["format"]) == json.loads(access_log_format())
    assert stage.property_dependencies["accessLogSettings"] == [children["items-access-logs"].urn]
    assert children["items-invoke"].inputs == {
        "function": "rl-dev-http-api",
        "action": "lambda:InvokeFunction",
        "principal": "apigateway.amazonaws.com",
        "sourceArn": f"{EXECUTION_ARN}/*/*",
        "qualifier": "live",
    }
    assert children["items-invoke"].property_dependencies["sourceArn"] == [children["items-api"].urn]
    assert outputs == {"endpoint": f"https://items-api.execute-api.{REGION}.amazonaws.com"}


def test_iam_puts_aws_iam_on_every_route_reads_included() -> None:
    children, _ = run(HAPPY)
    assert routes(children) == {
        key: {
            "apiId": "items-api-id",
            "routeKey": key,
            "target": "integrations/items-integration-id",
            "authorizationType": "AWS_IAM",
        }
        for key in ROUTES
    }
    assert children["items-route-post-items"].property_dependencies["target"] == [children["items-integration"].urn]


def test_jwt_adds_the_authorizer_and_puts_it_on_every_route() -> None:
    children, _ = run(with_settings(settings=JWT))
    assert children["items-jwt"].type == "aws:apigatewayv2/authorizer:Authorizer"
    assert children["items-jwt"].inputs == {
        "apiId": "items-api-id",
        "name": "rl-dev-http-jwt",
        "authorizerType": "JWT",
        "identitySources": ["$request.header.Authorization"],
        "jwtConfiguration": {"issuer": "https://issuer.example.com", "audiences": ["items-api", "admin"]},
    }
    assert {key: (r["authorizationType"], r["authorizerId"]) for key, r in routes(children).items()} == {
        key: ("JWT", "items-jwt-id") for key in ROUTES
    }
    assert children["items-route-get-health"].property_dependencies["authorizerId"] == [children["items-jwt"].urn]


def test_none_with_the_opt_out_leaves_every_route_open_and_adds_no_authorizer() -> None:
    children, _ = run(with_settings(settings=HttpSettings(auth="none", allow_unauthenticated_writes=True)))
    assert "items-jwt" not in children
    assert {key: r["authorizationType"] for key, r in routes(children).items()} == dict.fromkeys(ROUTES, "NONE")
    assert all("authorizerId" not in r for r in routes(children).values())


def test_another_qualifier_is_the_integration_target_and_the_permissions_qualifier() -> None:
    children, _ = run(with_settings(invoke_target_arn=f"{FUNCTION_ARN}:canary", qualifier="canary", function_url=True))
    assert children["items-integration"].inputs["integrationUri"] == f"{FUNCTION_ARN}:canary"
    assert children["items-invoke"].inputs["qualifier"] == "canary"
    assert children["items-url"].inputs["qualifier"] == "canary"


def test_an_iam_function_url_has_no_public_permission() -> None:
    children, outputs = run(with_settings(function_url=True))
    assert children["items-url"].type == "aws:lambda/functionUrl:FunctionUrl"
    assert children["items-url"].inputs == {
        "functionName": "rl-dev-http-api",
        "authorizationType": "AWS_IAM",
        "qualifier": "live",
    }
    assert [name for name, r in children.items() if r.type == "aws:lambda/permission:Permission"] == ["items-invoke"]
    assert outputs["url"] == f"https://items-url.lambda-url.{REGION}.on.aws/"


def test_a_public_function_url_gets_both_public_permissions() -> None:
    settings = HttpSettings(auth="iam", allow_unauthenticated_writes=True, function_url_auth="NONE")
    children, _ = run(with_settings(function_url=True, settings=settings))
    assert children["items-url"].inputs == {
        "functionName": "rl-dev-http-api",
        "authorizationType": "NONE",
        "qualifier": "live",
    }
    assert children["items-url-public"].inputs == {
        "function": "rl-dev-http-api",
        "action": "lambda:InvokeFunctionUrl",
        "principal": "*",
        "functionUrlAuthType": "NONE",
        "qualifier": "live",
    }
    assert children["items-url-invoke"].inputs == {
        "function": "rl-dev-http-api",
        "action": "lambda:InvokeFunction",
        "principal": "*",
        "invokedViaFunctionUrl": True,
        "qualifier": "live",
    }
    assert children["items-url-public"].dependencies == [children["items-url"].urn]
    assert children["items-url-invoke"].dependencies == [children["items-url"].urn]


def test_without_a_function_url_there_is_no_url_output() -> None:
    _, outputs = run(HAPPY)
    assert "url" not in outputs


def test_route_names_and_reads_versus_writes() -> None:
    assert route_role("GET /items/{id}") == "route-get-items-id"
    assert route_role("GET /") == "route-get"
    assert route_role("DELETE /items/{proxy+}") == "route-delete-items-proxy"
    open_routes = HttpSettings(auth="none", allow_unauthenticated_writes=True)
    assert [route_authorization(open_routes), route_authorization(JWT), route_authorization(HAPPY.settings)] == [
        "NONE",
        "JWT",
        "AWS_IAM",
    ]


def test_routes_whose_names_collide_or_that_are_malformed_are_refused() -> None:
    with pytest.raises(ValueError, match=r"share the name route-get-items-id"):
        run(with_settings(routes=("GET /items/{id}", "GET /items/id")))
    with pytest.raises(ValueError, match=r"route 'FETCH /items' is not 'METHOD /path'"):
        run(with_settings(routes=("FETCH /items",)))


def test_the_access_log_format_is_one_json_object_of_context_variables() -> None:
    fields = json.loads(access_log_format())
    assert fields["requestId"] == "$context.requestId"
    assert fields["routeKey"] == "$context.routeKey"
    assert fields["status"] == "$context.status"
    assert all(value.startswith("$context.") for value in fields.values())
