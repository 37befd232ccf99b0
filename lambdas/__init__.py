"""AWS Lambda code: the HTTP API (FastAPI through Mangum) and, later, ingestion."""
