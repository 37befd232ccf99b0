"""The AWS CDK app: `cdk deploy` from the repository root (see cdk.json)."""
