"""Schools and their coordinators."""
