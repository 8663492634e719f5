"""Reference data shipped in the repository: administrative divisions and local standards."""
