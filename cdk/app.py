"""Entry point for `cdk synth` / `cdk deploy`.

Stacks are added as the product grows: the API now; document ingestion, the
Fargate agent service and telephony in their own issues."""

from __future__ import annotations

import aws_cdk as cdk

from cdk.api_stack import ApiStack


def build(app: cdk.App) -> cdk.App:
    stage = str(app.node.try_get_context("callcenter:stage") or "dev")
    ApiStack(app, f"CallCenter-{stage}-Api", stage=stage)
    return app


if __name__ == "__main__":
    build(cdk.App()).synth()
