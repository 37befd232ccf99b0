"""A workspace's knowledge: sources (crawled sites, written articles, uploaded
documents), their text split into chunks with embeddings, and hybrid search."""
