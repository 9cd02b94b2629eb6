"""The qsplay Jupyter kernel (cells are shell commands)."""
