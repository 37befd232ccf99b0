"""Knowledge ingestion: the worker that drains public.knowledge_jobs."""
