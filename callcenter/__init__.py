"""Shared code for the API Lambdas, the ingestion Lambdas and the LiveKit agent.

Settings, database access and domain logic live here once; every deployable
imports them instead of carrying its own copy.
"""
