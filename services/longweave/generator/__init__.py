"""Generator: writes one K-turn segment per task and starts regenerations."""
