"""The Lambda entry point: API Gateway events through Mangum into the FastAPI app."""

from mangum import Mangum

from lambdas.api.app import create_app

handler = Mangum(create_app(), lifespan="off")
