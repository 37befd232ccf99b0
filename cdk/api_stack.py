"""The HTTP API: the FastAPI app on Lambda (through Mangum) behind API Gateway.

Configuration that is secret (database URL, hook secret, SMTP password) comes
from one Secrets Manager secret whose keys are the app's environment names;
the function reads them at cold start through the Lambda environment."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk.bundling import ROOT, bundling_options

SECRET_KEYS = ("DATABASE_URL", "AUTH_HOOK_SECRET", "SUPABASE_JWT_SECRET", "SMTP_PASSWORD")


class ApiStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        ctx = self.node.try_get_context
        runtime_name = str(ctx("callcenter:pythonRuntime") or "python3.11")
        python_version = runtime_name.removeprefix("python")

        secret = secretsmanager.Secret(
            self, "ApiSecrets",
            description=f"Call center API secrets ({stage}): " + ", ".join(SECRET_KEYS),
        )
        environment = {
            "SUPABASE_URL": str(ctx("callcenter:supabaseUrl") or ""),
            "SITE_URL": str(ctx("callcenter:siteUrl") or ""),
            "SMTP_HOST": str(ctx("callcenter:smtpHost") or "email-smtp.us-east-1.amazonaws.com"),
            "SMTP_PORT": "587",
            "SMTP_STARTTLS": "true",
            # Supavisor in transaction mode: no prepared statements, small pools per container.
            "DATABASE_STATEMENT_CACHE_SIZE": "0",
            "DATABASE_POOL_MAX_SIZE": "2",
        }
        for key in SECRET_KEYS:
            environment[key] = secret.secret_value_from_json(key).unsafe_unwrap()

        function = lambda_.Function(
            self, "ApiFunction",
            runtime=lambda_.Runtime(runtime_name, lambda_.RuntimeFamily.PYTHON),
            architecture=lambda_.Architecture.X86_64,
            handler="lambdas.api.handler.handler",
            code=lambda_.Code.from_asset(str(ROOT), bundling=bundling_options("api", python_version)),
            memory_size=512,
            timeout=Duration.seconds(29),
            environment=environment,
            log_retention=logs.RetentionDays.ONE_MONTH,
        )
        api = apigw.HttpApi(
            self, "HttpApi",
            default_integration=integrations.HttpLambdaIntegration("Api", function),
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=[str(ctx("callcenter:siteUrl") or "*")],
                allow_methods=[apigw.CorsHttpMethod.ANY],
                allow_headers=["authorization", "content-type"],
                max_age=Duration.minutes(10),
            ),
        )
        CfnOutput(self, "ApiUrl", value=api.api_endpoint)
        CfnOutput(self, "ApiSecretsArn", value=secret.secret_arn)
        self.function = function
        self.api = api
