"""Storage: tables, sessions, queries and evidence encryption."""
