"""The CDK app synthesizes the API stack (bundling skipped: no AWS, no Docker here)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk.assertions import Match, Template

from cdk.app import build


def test_api_stack_synthesizes() -> None:
    app = cdk.App(context={"aws:cdk:bundling-stacks": [], "callcenter:stage": "test"})
    build(app)
    stack = app.node.find_child("CallCenter-test-Api")
    template = Template.from_stack(stack)  # type: ignore[arg-type]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": "lambdas.api.handler.handler", "Runtime": "python3.11",
         "Environment": {"Variables": Match.object_like({"DATABASE_STATEMENT_CACHE_SIZE": "0"})}},
    )
    template.resource_count_is("AWS::ApiGatewayV2::Api", 1)
    template.has_resource_properties("AWS::ApiGatewayV2::Route", {"RouteKey": "$default"})
    template.resource_count_is("AWS::SecretsManager::Secret", 1)
