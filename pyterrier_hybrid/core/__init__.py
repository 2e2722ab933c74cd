"""The ground floor: atomic writes, cache locations and CPU features. Every room may import it; it imports
no other part of the project."""
