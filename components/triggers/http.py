"""The `http` trigger: the API Gateway HTTP API in front of one function, and its optional Function
URL (HttpApi, created once the function exists; nothing is needed before).

Owns: the API (protocol HTTP), its Lambda proxy integration (payload format 2.0), one route per
contract route key, the `$default` stage (auto-deployed, JSON access logs to the API's own log
group), the JWT authorizer when `http.auth` is `jwt`, the permission letting this API (and only
this API) invoke the function, and, when the contract asks for one, the Function URL with the
permissions a public (`NONE`) URL needs.

Authorization, secure by default: every route uses the configured authorizer, whether its method
changes data (POST, PUT, PATCH, DELETE) or only reads (GET, HEAD, OPTIONS). `jwt` puts the JWT
authorizer on every route and `iam` puts AWS_IAM (SigV4) on every route; reads are not opened up
just because they do not write, since what a route returns may be as sensitive as what it takes.
`none` leaves every route open, and is only accepted with the explicit opt-out
`http.allowUnauthenticatedWrites` (checked in model.stack_config).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.alias import InvokeTarget
from components.triggers.base import TriggerPlan, TriggerScope
from model.contract import ROUTE_KEY_PATTERN, HttpTrigger
from model.stack_config import HttpSettings

ROUTE_KEY = re.compile(ROUTE_KEY_PATTERN)
# What API Gateway's route `authorization_type` is for each `http.auth` mode.
AUTHORIZATION_TYPES = {"jwt": "JWT", "iam": "AWS_IAM", "none": "NONE"}
JWT_IDENTITY_SOURCE = "$request.header.Authorization"


@dataclass(frozen=True)
class HttpApiArgs:
    api_name: str
    function_name: pulumi.Input[str]
    # What the API invokes (the live alias's ARN), and the qualifier the permissions and the URL name.
    invoke_target_arn: pulumi.Input[str]
    qualifier: pulumi.Input[str] | None
    routes: Sequence[str]
    settings: HttpSettings
    function_url: bool
    log_retention_days: int
    tags: Mapping[str, str] = field(default_factory=dict)


def route_authorization(settings: HttpSettings) -> str:
    """Every route's authorization type: the configured authorizer (module docstring). The settings'
    model has already refused `none` without the explicit opt-out."""
    return AUTHORIZATION_TYPES[settings.auth]


def route_role(route_key: str) -> str:
    """A stable child-name role for a route: `GET /items/{id}` -> `route-get-items-id`."""
    method, path = route_key.split(" ", 1)
    slug = "-".join(part for part in re.split(r"[^a-z0-9]+", path.lower()) if part)
    return f"route-{method.lower()}" + (f"-{slug}" if slug else "")


def access_log_format() -> str:
    """One JSON object per request (HTTP API `$context` variables)."""
    return json.dumps(
        {
            "requestId": "$context.requestId",
            "requestTime": "$context.requestTime",
            "sourceIp": "$context.identity.sourceIp",
            "httpMethod": "$context.httpMethod",
            "routeKey": "$context.routeKey",
            "path": "$context.path",
            "protocol": "$context.protocol",
            "status": "$context.status",
            "responseLength": "$context.responseLength",
            "responseLatency": "$context.responseLatency",
            "integrationLatency": "$context.integration.latency",
            "integrationStatus": "$context.integration.status",
            "integrationError": "$context.integrationErrorMessage",
            "authorizerError": "$context.authorizer.error",
            "error": "$context.error.message",
        },
        sort_keys=True,
    )


def _validate(args: HttpApiArgs) -> None:
    if not args.routes:
        raise ValueError(f"HttpApi {args.api_name}: give at least one route")
    roles: dict[str, str] = {}
    for route in args.routes:
        if not ROUTE_KEY.match(route):
            raise ValueError(f"HttpApi {args.api_name}: route {route!r} is not 'METHOD /path'")
        role = route_role(route)
        if role in roles:
            raise ValueError(f"HttpApi {args.api_name}: routes {roles[role]!r} and {route!r} share the name {role}")
        roles[role] = route


class HttpApi(pulumi.ComponentResource):
    api: aws.apigatewayv2.Api
    integration: aws.apigatewayv2.Integration
    routes: dict[str, aws.apigatewayv2.Route]
    stage: aws.apigatewayv2.Stage
    access_logs: aws.cloudwatch.LogGroup
    authorizer: aws.apigatewayv2.Authorizer | None
    url: aws.lambda_.FunctionUrl | None
    api_endpoint: pulumi.Output[str]
    function_url: pulumi.Output[str] | None

    def __init__(self, name: str, args: HttpApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _validate(args)
        super().__init__("rustlambda:index:HttpApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        tags = dict(args.tags)

        self.api = aws.apigatewayv2.Api(
            f"{name}-api",
            name=args.api_name,
            protocol_type="HTTP",
            tags=tags,
            opts=child,
        )
        self.integration = aws.apigatewayv2.Integration(
            f"{name}-integration",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=args.invoke_target_arn,
            payload_format_version="2.0",
            opts=child,
        )
        self.authorizer = None
        if settings.auth == "jwt":
            self.authorizer = aws.apigatewayv2.Authorizer(
                f"{name}-jwt",
                api_id=self.api.id,
                name=f"{args.api_name}-jwt",
                authorizer_type="JWT",
                identity_sources=[JWT_IDENTITY_SOURCE],
                jwt_configuration=aws.apigatewayv2.AuthorizerJwtConfigurationArgs(
                    issuer=settings.jwt_issuer,
                    audiences=list(settings.jwt_audience),
                ),
                opts=child,
            )
        self.routes = {}
        for route_key in args.routes:
            self.routes[route_key] = aws.apigatewayv2.Route(
                f"{name}-{route_role(route_key)}",
                api_id=self.api.id,
                route_key=route_key,
                target=self.integration.id.apply(lambda integration_id: f"integrations/{integration_id}"),
                authorization_type=route_authorization(settings),
                authorizer_id=self.authorizer.id if self.authorizer is not None else None,
                opts=child,
            )
        self.access_logs = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=f"/aws/apigateway/{args.api_name}",
            retention_in_days=args.log_retention_days,
            tags=tags,
            opts=child,
        )
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=self.api.id,
            name="$default",
            auto_deploy=True,
            access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
                destination_arn=self.access_logs.arn,
                format=access_log_format(),
            ),
            tags=tags,
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke",
            function=args.function_name,
            action="lambda:InvokeFunction",
            principal="apigateway.amazonaws.com",
            # Any stage and route of this API only.
            source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/*/*"),
            qualifier=args.qualifier,
            opts=child,
        )

        self.url = None
        self.function_url = None
        if args.function_url:
            self.url = aws.lambda_.FunctionUrl(
                f"{name}-url",
                function_name=args.function_name,
                authorization_type=settings.function_url_auth,
                qualifier=args.qualifier,
                opts=child,
            )
            self.function_url = self.url.function_url
            if settings.function_url_auth == "NONE":
                self._public_url_permissions(name, args, self.url)

        self.api_endpoint = self.api.api_endpoint
        self.register_outputs({"api_endpoint": self.api_endpoint, "function_url": self.function_url})

    def _public_url_permissions(self, name: str, args: HttpApiArgs, url: aws.lambda_.FunctionUrl) -> None:
        """What a public URL needs: anyone may call the URL, and the URL may invoke the function.

        The provider adds both statements itself only when it creates a URL with auth NONE (not when
        an existing URL is switched to NONE) and leaves them behind on destroy; declaring them makes
        the grant visible in the plan and keeps it in step with the setting. No statement_id: a
        generated one cannot collide with the provider's own statements or with a replacement.
        """
        opts = pulumi.ResourceOptions(parent=self, depends_on=[url])
        aws.lambda_.Permission(
            f"{name}-url-public",
            function=args.function_name,
            action="lambda:InvokeFunctionUrl",
            principal="*",
            function_url_auth_type="NONE",
            qualifier=args.qualifier,
            opts=opts,
        )
        aws.lambda_.Permission(
            f"{name}-url-invoke",
            function=args.function_name,
            action="lambda:InvokeFunction",
            principal="*",
            invoked_via_function_url=True,
            qualifier=args.qualifier,
            opts=opts,
        )


class HttpKind:
    type: str = "http"
    exports: tuple[str, ...] = ("httpApiUrls", "functionUrls")

    def prepare(self, trigger: HttpTrigger, scope: TriggerScope) -> TriggerPlan:
        def attach(target: InvokeTarget) -> Mapping[str, pulumi.Output[str]]:
            api = HttpApi(
                f"{scope.name}-http",
                HttpApiArgs(
                    api_name=scope.function_name,
                    function_name=target.function_name,
                    invoke_target_arn=target.arn,
                    qualifier=target.qualifier,
                    routes=trigger.routes,
                    settings=scope.stack.http,
                    function_url=trigger.function_url,
                    log_retention_days=scope.stack.log_retention_days,
                    tags=scope.stack.tags,
                ),
                scope.child,
            )
            exports = {"httpApiUrls": api.api_endpoint}
            if api.function_url is not None:
                exports["functionUrls"] = api.function_url
            return exports

        return TriggerPlan(attach=attach)


KIND = HttpKind()
